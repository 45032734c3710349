"""A trait's SNPs in loci, by distance and by LD in a reference panel, and a lead's proxies."""

import numpy as np
import pandas as pd

from cisflow.io.panel import read_panel
from cisflow.variants.loci import distance_loci, ld_loci, proxies, site_loci, trait_snps, with_proxies
from tests.test_panel import panel_vcf

CONTIGS = ["chr1", "chr2"]


def snps(rows):
    """(trait, site, chrom, pos, id, p_value[, ref, alt]) rows as trait_snps gives them."""
    table = pd.DataFrame(rows, columns=["trait", "site", "chrom", "pos", "id", "p_value"])
    return table.assign(ref="A", alt="G")


def test_snps_within_the_window_of_each_other_are_chained_the_smallest_p_leads():
    table = snps([("t", 0, "chr1", 1_000, "a", 1e-9), ("t", 1, "chr1", 400_000, "b", 1e-12),
                  ("t", 2, "chr1", 850_000, "c", 1e-8),   # within 500 kb of b, not of a: chained
                  ("t", 3, "chr1", 1_400_000, "d", 1e-10),  # 550 kb from c: a locus of its own
                  ("t", 4, "chr2", 1_000, "e", np.nan), ("t", 5, "chr2", 2_000, "f", np.nan),  # no p: first leads
                  ("u", 1, "chr1", 400_000, "b", 1e-3)])  # another trait: its own loci
    loci = distance_loci(table, 500_000).set_index(["trait", "site"])
    assert loci.loc[[("t", 0), ("t", 1), ("t", 2)], "locus"].tolist() == ["chr1:400000"] * 3
    assert loci.loc[("t", 0), "lead"] == "b" and loci.loc[("t", 0), "lead_site"] == 1
    assert loci.loc[("t", 3), "locus"] == "chr1:1400000"
    assert loci.loc[[("t", 4), ("t", 5)], "lead"].tolist() == ["e", "e"]
    assert loci.loc[("u", 1), "locus"] == "chr1:400000" and len(loci) == 7
    assert distance_loci(table, 0)["locus"].nunique() == 6  # every position its own locus


def linked_panel(tmp_path, n=200, seed=0):
    """A panel of ``n`` samples: 'lead' at 1,000, 'proxy' at 3,000 its copy (r² 1), 'half' at
    2,000 a noisy copy (r² 0.19 at seed 0), 'free' at 4,000 independent; 'far' 900 kb away, a copy."""
    rng = np.random.default_rng(seed)
    haplotypes = rng.random((n, 2)) < 0.4
    noisy = np.where(rng.random((n, 2)) < 0.25, ~haplotypes, haplotypes)
    free = rng.random((n, 2)) < 0.4

    def calls(h):
        return [f"{int(a)}|{int(b)}" for a, b in h]

    records = [("1", 1000, "lead", "A", "G", calls(haplotypes)), ("1", 2000, "half", "C", "T", calls(noisy)),
               ("1", 3000, "proxy", "G", "A", calls(haplotypes)), ("1", 4000, "free", "T", "C", calls(free)),
               ("1", 901_000, "far", "A", "C", calls(haplotypes))]
    return panel_vcf(tmp_path / "panel.vcf", records, n)


def test_ld_loci_clump_around_the_lead_by_r2_within_the_window(tmp_path):
    panel = linked_panel(tmp_path)
    table = snps([("t", 0, "chr1", 1000, "lead", 1e-20), ("t", 1, "chr1", 2000, "half", 1e-10),
                  ("t", 2, "chr1", 3000, "proxy", 1e-9), ("t", 3, "chr1", 4000, "free", 1e-8),
                  ("t", 4, "chr1", 901_000, "far", 1e-9), ("t", 5, "chr1", 5000, "absent", 1e-30)])
    table.loc[[1, 2, 3], "ref"] = ["C", "A", "T"]
    table.loc[[1, 2, 3], "alt"] = ["T", "G", "C"]  # the proxy's alleles the other way round: still found
    table.loc[4, "alt"] = "C"
    loci = ld_loci(table, panel, CONTIGS, 500_000, 0.6).set_index("site")
    assert loci.loc[5, "locus"] == "chr1:5000"  # not in the panel: a locus of its own, though it has the smallest p
    assert loci.loc[[0, 2], "locus"].tolist() == ["chr1:1000"] * 2  # r² 1 with the lead
    assert loci.loc[1, "locus"] == "chr1:2000" and loci.loc[3, "locus"] == "chr1:4000"  # r² < 0.6: their own
    assert loci.loc[4, "locus"] == "chr1:901000"  # a perfect copy, but beyond the window
    assert ld_loci(table, panel, CONTIGS, 500_000, 0.15).set_index("site").loc[1, "locus"] == "chr1:1000"


def test_proxies_are_the_panels_variants_in_ld_with_a_lead(tmp_path):
    panel = linked_panel(tmp_path)
    leads = pd.DataFrame({"chrom": ["chr1", "chr1"], "pos": [1000, 4000], "id": ["rs1", "rs4"], "ref": ["A", "T"],
                          "alt": ["G", "C"]})
    found = proxies(leads, panel, CONTIGS, 500_000, 0.8)
    assert found[["id", "proxy_of"]].values.tolist() == [["proxy", "rs1"]] and found["r2"].iloc[0] == 1.0
    assert len(proxies(leads, panel, CONTIGS, 2_000_000, 0.8)) == 2  # 'far' too, within 2 Mb


def test_proxies_read_the_panel_a_stretch_at_a_time_and_find_the_same(tmp_path, monkeypatch):
    import cisflow.variants.loci as loci_module

    panel = linked_panel(tmp_path)
    leads = pd.DataFrame({"chrom": ["chr1"] * 3, "pos": [901_000, 1000, 3000], "id": ["rs9", "rs1", "rs3"],
                          "ref": ["A", "A", "G"], "alt": ["C", "G", "A"]})
    whole = proxies(leads, panel, CONTIGS, 1_000_000, 0.8)
    read = []
    monkeypatch.setattr(loci_module, "SPAN", 10)  # every lead a stretch of its own
    monkeypatch.setattr(loci_module, "read_panel", lambda *args: read.append(args[1]) or read_panel(*args))
    apart = proxies(leads, panel, CONTIGS, 1_000_000, 0.8)
    assert len(read) == 3 and len(whole) == len(apart) == 6
    key = ["proxy_of", "id"]
    pd.testing.assert_frame_equal(whole.sort_values(key).reset_index(drop=True),
                                  apart.sort_values(key).reset_index(drop=True))


def test_proxies_join_the_set_as_sites_naming_their_lead_and_carrying_its_traits(tmp_path):
    panel = linked_panel(tmp_path)
    variants = pd.DataFrame({"chrom": ["chr1", "chr1"], "pos": [1000, 2000], "id": ["rs1", "rs2"], "ref": ["A", "C"],
                             "alt": ["G", "T"], "line": [2, 3], "traits": ["blood", "height"], "site": [0, 1],
                             "alt_from": ["vcf", "vcf"], "pre_status": ["", ""]})
    grown = with_proxies(variants, panel, CONTIGS, 500_000, 0.8)
    added = grown.iloc[2:]
    assert added["id"].tolist() == ["proxy"] and added["proxy_of"].tolist() == ["rs1"]
    assert added["traits"].tolist() == ["blood"] and added["site"].tolist() == [2]
    assert added["alt_from"].tolist() == ["panel"] and grown["proxy_of"].iloc[:2].tolist() == ["", ""]


def test_a_traits_p_values_and_each_rows_locus_and_lead():
    variants = pd.DataFrame({"site": [0, 1, 2], "chrom": ["chr1", "chr1", "chr2"], "pos": [100, 200, 50],
                             "id": ["rs0", "rs1", "rs2"], "ref": "A", "alt": "G",
                             "traits": ["blood | height", "blood", ""]})
    associations = pd.DataFrame({"site": [0, 0, 1, pd.NA], "groups": ["blood", "height", "blood", "blood"],
                                 "p_value": [1e-8, 1e-3, 1e-12, 1e-30]})
    table = trait_snps(variants, associations, "set")
    assert table.set_index(["trait", "site"])["p_value"].to_dict() == {("blood", 0): 1e-8, ("height", 0): 1e-3,
                                                                      ("blood", 1): 1e-12}
    loci = distance_loci(table, 1000)
    named = site_loci(variants, loci, "set")
    assert named["locus"].tolist() == ["chr1:200 | chr1:100", "chr1:200", ""]
    assert named["lead"].tolist() == ["rs1 | rs0", "rs1", ""]
    assert list(named.columns[-3:]) == ["traits", "locus", "lead"]
    rows = site_loci(associations.dropna(subset=["site"]), loci, "set", "groups")
    assert rows["locus"].tolist() == ["chr1:200", "chr1:100", "chr1:200"]
