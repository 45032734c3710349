"""Background SNPs: a reference per distance stratum drawn from the seed alone, and SNPs matched to
each scored site on GC content and distance to the nearest peak, drawn from the site itself."""

import re

import numpy as np
import pandas as pd
import pytest

from cisflow.config.settings import Background
from cisflow.io.errors import InputError
from cisflow.io.genome import prepare_genome
from cisflow.variants.background import (
    DISTANCE_EDGES,
    draw_background,
    merged_peaks,
    peak_distance,
    read_peak_regions,
    site_bins,
    site_key,
    sites_of,
)
from tests.conftest import write_fasta


@pytest.fixture
def patchy_genome(tmp_path):
    """chr1: 40 kb AT-rich (25 % GC) then 40 kb GC-rich (75 %); chr2: 30 kb plain, with an N block."""
    rng = np.random.default_rng(2)

    def bases(n, gc):
        strong = rng.random(n) < gc
        return np.where(strong, rng.choice(list("CG"), n), rng.choice(list("AT"), n))

    chr1 = "".join(np.concatenate([bases(40_000, 0.25), bases(40_000, 0.75)]))
    chr2 = "".join(bases(30_000, 0.5))
    chr2 = chr2[:10_000] + "N" * 5_000 + chr2[15_000:]
    write_fasta(tmp_path / "src.fa", {"chr1": chr1, "chr2": chr2})
    prepare_genome(tmp_path / "src.fa", tmp_path / "genome.fa")
    return tmp_path / "genome.fa"


PEAKS = pd.DataFrame({"chrom": ["chr1", "chr1", "chr1", "chr2"], "start": [5_000, 5_200, 60_000, 20_000],
                      "end": [5_400, 5_500, 60_300, 20_300]})


def test_distance_to_the_nearest_peak_by_hand():
    merged = merged_peaks(PEAKS)
    assert merged["chr1"][0].tolist() == [5_000, 60_000] and merged["chr1"][1].tolist() == [5_500, 60_300]
    distance = peak_distance(merged, "chr1", [4_999, 5_000, 5_499, 5_500, 30_000, 59_990, 70_000])
    assert distance.tolist() == [1, 0, 0, 1, 24_501, 10, 9_701]
    assert peak_distance(merged, "chr9", [10]).tolist() == [10**12]


def test_bins_separate_gc_and_distance():
    bins = site_bins([0.26, 0.26, 0.74, 0.74], [0, 5_000, 0, 5_000])
    assert len(set(bins.tolist())) == 4
    assert site_bins([1.0], [0])[0] == site_bins([0.99], [0])[0]  # GC 1.0 falls in the top bin
    assert len(DISTANCE_EDGES) == 4


def sites_table(chrom, positions, alleles):
    """Sites as ``sites_of`` gives them: ``alleles`` a list of (ref, alt) pairs."""
    return pd.DataFrame({"chrom": chrom, "pos": positions, "site": range(len(positions)),
                         "ref": [ref for ref, _ in alleles], "alt": [alt for _, alt in alleles]})


def draw(sites, genome, peaks, seq_len, **settings):
    """``draw_background`` with the ``background`` settings given, the schema's defaults for the others."""
    return draw_background(sites, genome, peaks, seq_len, Background.from_mapping(settings))


def matched(background):
    return background[background["role"] == "matched"]


def test_background_follows_each_site_in_gc_and_peak_distance(patchy_genome):
    # a transition, a transversion, three alleles (the other allele unknown), a transition
    sites = sites_table("chr1", [5_201, 20_001, 60_101, 75_001], [("A", "G"), ("A", "C"), ("A", "C,G,T"), ("C", "T")])
    drawn, features = draw(sites, patchy_genome, PEAKS, 200, per_variant=6, seed=4)
    background = matched(drawn)
    assert len(background) == 24 and background["matched_site"].value_counts().to_dict() == dict.fromkeys(range(4), 6)
    by_site = background.groupby("matched_site")
    gc = by_site["gc"].mean()
    assert gc[0] < 0.4 and gc[1] < 0.4 and gc[2] > 0.6 and gc[3] > 0.6  # AT-rich half, GC-rich half
    assert (background.loc[background["matched_site"] == 2, "peak_distance"] == 0).all()  # in a peak like site 2
    assert (background.loc[background["matched_site"] == 0, "peak_distance"] == 0).all()
    far = background.loc[background["matched_site"] == 1, "peak_distance"]
    assert ((far > 10_000) & (far <= 100_000)).all()  # like site 1, 14.5 kb from the nearest peak
    assert features["peak_distance"].tolist() == [0, 14_501, 0, 14_701]
    # one allele: same substitution class as the site's; three alleles: all three
    transitions = {"A": "G", "G": "A", "C": "T", "T": "C"}
    for row in background.itertuples():
        alts = row.alt.split(",")
        if row.matched_site == 2:
            assert sorted(alts) == sorted(set("ACGT") - {row.ref})
        else:
            assert len(alts) == 1 and (transitions[row.ref] == alts[0]) == (row.matched_site in (0, 3))
    assert drawn["id"].is_unique and (drawn.loc[drawn["role"] == "reference", "matched_site"] == -1).all()
    assert drawn["role"].tolist() == sorted(drawn["role"], reverse=True)  # the reference first


def test_background_avoids_n_and_contig_ends_and_is_seeded(patchy_genome):
    sites = sites_table("chr2", [9_000, 16_000, 25_000], [("A", "G"), ("C", "T"), ("G", "A")])
    first, _ = draw(sites, patchy_genome, PEAKS, 300, per_variant=10, seed=9)
    again, _ = draw(sites, patchy_genome, PEAKS, 300, per_variant=10, seed=9)
    other, _ = draw(sites, patchy_genome, PEAKS, 300, per_variant=10, seed=10)
    pd.testing.assert_frame_equal(first, again)
    for role in ("reference", "matched"):
        assert not first.loc[first["role"] == role, "id"].isin(other.loc[other["role"] == role, "id"]).all()
    lengths = first["chrom"].map({"chr1": 80_000, "chr2": 30_000})
    positions = first["pos"].to_numpy()
    assert ((positions - 1 - 150 >= 0) & (positions - 1 + 150 <= lengths)).all()
    on_chr2 = positions[first["chrom"] == "chr2"]
    assert not ((on_chr2 > 10_000 - 120) & (on_chr2 <= 15_000 + 120)).any()  # windows at most 10 % N
    assert set(first["ref"]) <= set("ACGT") and (first["ref"] != first["alt"]).all()


def test_max_keeps_at_least_one_per_site(patchy_genome):
    sites = sites_table("chr1", [1_000, 2_000, 3_000], [("A", "G"), ("A", "C"), ("T", "C")])
    background, _ = draw(sites, patchy_genome, PEAKS, 100, per_variant=5, max=4)
    assert len(matched(background)) == 3 and matched(background)["matched_site"].is_unique


def test_peaks_from_an_intervals_table_or_a_bed(tmp_path):
    (tmp_path / "regions.tsv").write_text("chrom\tstart\tend\tid\tbackground\n1\t10\t20\tr1\t0\n"
                                          "1\t30\t40\tr2\t1\n2\t50\t60\tr3\t0\n")
    (tmp_path / "peaks.bed").write_text("chr1\t10\t20\tp\t0\t.\t1\t1\t1\t5\n")
    sizes = {"chr1": 100, "chr2": 100}
    table = read_peak_regions(tmp_path / "regions.tsv", sizes, "genome.fa")
    assert table.values.tolist() == [["chr1", 10, 20], ["chr2", 50, 60]]  # the background row r2 left out
    assert read_peak_regions(tmp_path / "peaks.bed", sizes, "genome.fa").values.tolist() == [["chr1", 10, 20]]
    (tmp_path / "old.tsv").write_text("chrom\tstart\tend\tid\tK562\n1\t10\t20\tr1\t1\n")
    with pytest.raises(InputError, match=r"old.tsv:1: not a regions table of this cisflow: its columns are chrom, "
                                         r"start, end, id, K562, not chrom, start, end, id, background \(run the "):
        read_peak_regions(tmp_path / "old.tsv", sizes, "genome.fa")


def test_beyond_max_the_sites_of_smallest_key_get_one_each_in_any_order(patchy_genome):
    sites = sites_table("chr1", [1_000 * (i + 1) for i in range(6)], [("A", "G")] * 6)
    background, features = draw(sites, patchy_genome, PEAKS, 100, per_variant=3, max=4, seed=2)
    background = matched(background)
    assert len(background) == 4 and background["matched_site"].is_unique and len(features) == 6
    keys = [site_key("chr1", pos, "A", "G") for pos in sites["pos"]]
    assert set(background["matched_site"]) == set(np.argsort(keys)[:4])
    reversed_sites = sites.iloc[::-1].reset_index(drop=True)
    again = matched(draw(reversed_sites, patchy_genome, PEAKS, 100, per_variant=3, max=4, seed=2)[0])
    pd.testing.assert_frame_equal(again.sort_values("matched_site", ignore_index=True),
                                  background.sort_values("matched_site", ignore_index=True))


def test_a_sites_matched_snps_are_the_same_alone_in_a_set_and_in_the_set_reversed(patchy_genome):
    """Each site draws with a generator seeded by the seed and the site (contig, position, alleles):
    what else is in the set, and in what order, changes none of its background SNPs."""
    rng = np.random.default_rng(5)
    positions = np.sort(rng.choice(np.arange(1_000, 79_000), 30, replace=False))
    alleles = [(ref, alt) for ref, alt in zip(rng.choice(list("ACGT"), 30), rng.choice(["A", "C,G", "G", "T"], 30))
               if ref not in alt.split(",")]
    sites = sites_table("chr1", positions[: len(alleles)], alleles)
    columns = ["matched_site", "chrom", "pos", "id", "ref", "alt", "gc", "peak_distance", "stratum"]

    def drawn(table):
        background = matched(draw(table, patchy_genome, PEAKS, 200, per_variant=4, seed=3)[0])
        return background[columns].sort_values("matched_site", kind="stable", ignore_index=True)

    in_set = drawn(sites)
    assert in_set["matched_site"].value_counts().eq(4).all() and in_set["id"].is_unique
    pd.testing.assert_frame_equal(drawn(sites.iloc[::-1]), in_set)
    for one in (0, len(sites) // 2, len(sites) - 1):
        alone = in_set[in_set["matched_site"] == one].reset_index(drop=True)
        pd.testing.assert_frame_equal(drawn(sites.iloc[[one]]), alone)
        key = site_key(*sites.loc[one, ["chrom", "pos", "ref", "alt"]])
        assert alone["id"].str.endswith(f":{key:016x}").all()


def test_two_sites_may_draw_the_same_snp_each_under_its_own_id(patchy_genome):
    """Two sites in the same peak, 300 SNPs each, from a bin of fewer than 600 candidates (the
    AT-rich peak is 500 bp): they share some, as they would if each were scored alone."""
    sites = sites_table("chr1", [5_201, 5_301], [("A", "G"), ("A", "C")])
    background = matched(draw(sites, patchy_genome, PEAKS, 200, per_variant=300, seed=3)[0])
    assert background["matched_site"].value_counts().eq(300).all() and background["id"].is_unique
    assert background.duplicated(["chrom", "pos"]).any()
    assert not background[background["matched_site"] == 0].duplicated(["chrom", "pos"]).any()  # not within a site


def test_the_reference_is_the_same_for_any_sites_and_takes_what_a_stratum_has(patchy_genome):
    """``reference`` SNPs of each distance stratum, drawn from the genome, the peaks and the seed
    alone; a stratum with fewer candidates in the pool gives them all."""
    def reference(sites, size):
        background, _ = draw(sites, patchy_genome, PEAKS, 200, seed=6, reference=size)
        return background[background["role"] == "reference"].reset_index(drop=True)

    at_one = sites_table("chr1", [5_201], [("A", "G")])
    many = sites_table("chr2", [9_000, 16_000, 25_000, 21_000], [("A", "G"), ("C", "T"), ("G", "A,C,T"), ("T", "G")])
    first = reference(at_one, 400)
    pd.testing.assert_frame_equal(reference(many, 400), first)
    assert (first["matched_site"] == -1).all() and first["id"].is_unique
    assert (first["alt"].str.len() == 1).all() and (first["alt"] != first["ref"]).all()
    pool = reference(at_one, 10**6)["stratum"].value_counts()  # the whole pool: every candidate of every stratum
    assert set(pool.index) == {0, 1, 2, 3}  # no point of these contigs is 100 kb from a peak
    assert first["stratum"].value_counts().to_dict() == {s: min(400, n) for s, n in pool.items()}
    size = int(pool[0]) + 50  # more than the candidates inside peaks: they are all taken
    counts = reference(at_one, size)["stratum"].value_counts()
    assert counts[0] == pool[0] and (counts.drop(0) == size).all()
    assert (reference(at_one, size).query("stratum == 0")["peak_distance"] == 0).all()


def test_site_keys_are_stable_and_ignore_the_order_of_alleles():
    assert site_key("chr1", 5_201, "A", "G") == 1045458291470035020  # blake2b: the same in every process
    assert site_key("chr1", 5_201, "A", "T,C") == site_key("chr1", 5_201, "A", "C,T")
    assert len({site_key("chr1", 5_201, "A", "G"), site_key("chr1", 5_202, "A", "G"), site_key("chr2", 5_201, "A", "G"),
                site_key("chr1", 5_201, "A", "T")}) == 4


def test_sites_of_gives_each_sites_scored_alleles():
    checked = pd.DataFrame({"site": [0, 0, 0, 1, 2], "chrom": "chr1", "pos": [10, 10, 10, 20, 30],
                            "score_ref": ["A", "A", "A", "C", None], "score_alt": ["T", "C", "G", "A", None],
                            "status": ["scored", "scored", "scored", "swapped", "indel"]})
    assert sites_of(checked).values.tolist() == [["chr1", 10, 0, "A", "C,G,T"], ["chr1", 20, 1, "C", "A"]]


def test_peaks_none_of_which_is_on_the_genome_are_refused_naming_both_sides(tmp_path):
    sizes = {"NC_000001.11": 100, "NC_000002.12": 100, "NC_000003.12": 100, "NC_000004.12": 100,
             "NC_000005.10": 100}
    peaks = tmp_path / "peaks.bed"
    peaks.write_text("".join(f"chr{i}\t10\t20\n" for i in (1, 2, 2, 3, 4, 5, 6)))
    with pytest.raises(InputError, match=re.escape(
            f"{peaks}: none of its 7 peaks is on a contig of the genome genome.fa (peaks on chr1, chr2, chr3, chr4, "
            "...; the genome has NC_000001.11, NC_000002.12, NC_000003.12, NC_000004.12, ...): check that both are "
            "of one species and build, or map other names (NC_000001.11) with contig_aliases")):
        read_peak_regions(peaks, sizes, "genome.fa")
    aliased = read_peak_regions(peaks, sizes, "genome.fa", aliases={"chr1": "NC_000001.11"})
    assert aliased.values.tolist() == [["NC_000001.11", 10, 20]]


def test_peaks_off_the_genome_are_left_out_and_counted(tmp_path, caplog):
    peaks = tmp_path / "peaks.bed"
    peaks.write_text("chr1\t10\t20\nchrUn_x\t5\t9\nchr2\t30\t40\nchr9\t1\t2\n")
    table = read_peak_regions(peaks, {"chr1": 100, "chr2": 100}, "genome.fa")
    assert table.values.tolist() == [["chr1", 10, 20], ["chr2", 30, 40]]
    assert f"{peaks}: 2 of 4 peaks are on contigs the genome genome.fa lacks (chrUn_x, chr9): left out" in caplog.text
