"""The GWAS Catalog's associations file as distributed: rows, statuses, p-values, traits, alleles."""

import gzip
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cisflow.io.contigs import rename_contigs
from cisflow.io.errors import InputError
from cisflow.io.genome import contig_sizes, open_genome
from cisflow.io.gwas_catalog import catalog_sites, is_gwas_catalog, read_gwas_catalog
from cisflow.io.liftover import lift_variants
from cisflow.variants.alleles import attach_dbsnp, read_dbsnp_alleles, resolve_alleles
from cisflow.variants.checks import check_variants
from tests.conftest import write_fasta

CATALOG = Path(__file__).parent / "data" / "gwas_catalog_associations.tsv"
# bases the fixture's rows rely on (1-based positions on chr1 / chrX)
PLANTED = {("chr1", 500): "C", ("chr1", 800): "G", ("chr1", 1210): "G", ("chr1", 2700): "N", ("chrX", 300): "A",
           ("chr1", 2900): "C"}


@pytest.fixture
def catalog_genome(tmp_path):
    rng = np.random.default_rng(11)
    contigs = {"chr1": list(rng.choice(list("ACGT"), 3200)), "chrX": list(rng.choice(list("ACGT"), 800))}
    for (chrom, pos), base in PLANTED.items():
        contigs[chrom][pos - 1] = base
    records = {name: "".join(bases) for name, bases in contigs.items()}
    fasta = tmp_path / "genome.fa"
    write_fasta(tmp_path / "src.fa", records)
    from cisflow.io.genome import prepare_genome

    prepare_genome(tmp_path / "src.fa", fasta)
    return fasta, records


def test_the_catalog_header_is_recognised():
    assert is_gwas_catalog(CATALOG.read_text().splitlines()[0])
    assert not is_gwas_catalog("rsid\tchrom\tpos\tref\talt")


def test_one_row_per_snp_of_each_line_with_its_status():
    rows = read_gwas_catalog(CATALOG)
    by = rows.set_index("snp")
    assert len(rows) == 14 and rows["line"].nunique() == 12  # a haplotype and an interaction line give two rows
    assert by.loc["rs2001", "association"] == by.loc["rs2002", "association"] == "haplotype"
    assert by.loc[["rs2001", "rs2002"], "pos"].tolist() == [1200, 1210]
    assert by.loc["rs2002", "risk_allele"] == "A" and by.loc["rs2001", "risk_allele"] == "."
    assert by.loc["rs3001", "association"] == "interaction" and by.loc["rs3002", "pos"] == 1600
    assert by.loc["kgp8152035", "status"] == "unmapped" and pd.isna(by.loc["kgp8152035", "pos"])
    assert by.loc["chr1:2000", "pos"] == 2000 and by.loc["chr1:2000", "status"] == ""  # not an rs id, but placed
    assert by.loc["rs5001", "status"] == "indel" and by.loc["rs5001", "risk_allele"] == "TTA"
    assert by.loc["rs4001", "chrom"] == "X" and by.loc["rs8001", "chrom"] == "MT"


def test_p_values_as_written_and_below_the_smallest_double():
    rows = read_gwas_catalog(CATALOG).drop_duplicates("line").set_index("line")
    assert rows.loc[2, "p_value"] == 3e-35 and rows.loc[3, "p_value"] == pytest.approx(2e-12)  # '2 x 10-12'
    assert rows.loc[3, "mlog10_p"] == pytest.approx(-math.log10(2e-12))
    assert rows.loc[11, "p_value"] == 0.0 and rows.loc[11, "mlog10_p"] == 400  # '1E-400'


@pytest.mark.parametrize("text, p, mlog10", [("3E-35", 3e-35, 34.5229), ("1.00E-09", 1e-9, 9), ("1 x 10-8", 1e-8, 8),
                                             ("1x10^-8", 1e-8, 8), ("2.5 × 10−12", 2.5e-12, 11.602),
                                             ("5E-400", 0.0, 399.301), ("0.5", 0.5, 0.30103)])
def test_p_value_spellings(text, p, mlog10):
    from cisflow.io.pvalues import parse_p_value

    parsed = parse_p_value(text)
    assert parsed[0] == pytest.approx(p, rel=1e-9) and parsed[1] == pytest.approx(mlog10, abs=1e-3)


@pytest.mark.parametrize("text", ["abc", "1.5", "inf", "1e400", "-0.1", "3E-35x"])
def test_what_is_not_a_p_value_is_an_error_naming_the_line(tmp_path, text):
    lines = CATALOG.read_text().splitlines()
    fields = lines[3].split("\t")
    fields[27] = text
    path = tmp_path / "bad.tsv"
    path.write_text("\n".join([*lines[:3], "\t".join(fields), *lines[4:]]) + "\n")
    with pytest.raises(InputError, match=rf"bad.tsv:4: P-VALUE '{text}' is not a p-value"):
        read_gwas_catalog(path)


def test_the_same_snp_from_many_studies_is_one_site_with_every_trait_kept():
    sites, associations = catalog_sites(read_gwas_catalog(CATALOG))
    tcf7l2 = sites[sites["id"] == "rs7903146"].iloc[0]
    assert (sites["id"] == "rs7903146").sum() == 1 and tcf7l2["n_associations"] == 2
    assert tcf7l2["alt"] == "T" and tcf7l2["p_value"] == 3e-35
    assert associations.loc[associations["snp"] == "rs7903146", "site"].nunique() == 1
    assert associations.loc[associations["snp"] == "kgp8152035", "site"].isna().all()
    assert sites.set_index("id").loc["rs3001", "traits"] == ""  # an interaction is not the SNP's own association
    assert sites.set_index("id").loc["rs7001", "traits"] == "body mass index | type 2 diabetes mellitus"
    assert sites.set_index("id").loc["rs5001", "pre_status"] == "indel"


def test_traits_asked_by_name_or_ontology_id():
    rows = read_gwas_catalog(CATALOG, traits=["EFO:0001360", "Height", "ERYTHROCYTE COUNT"])
    assert set(rows["groups"]) == {"EFO:0001360", "Height", "ERYTHROCYTE COUNT"}
    assert set(rows.loc[rows["groups"] == "EFO:0001360", "snp"]) == {"rs7903146", "rs5001", "rs7001"}
    assert set(rows.loc[rows["groups"] == "ERYTHROCYTE COUNT", "snp"]) == {"rs4001", "rs6001"}


def test_a_trait_the_catalog_lacks_is_an_error_with_close_names():
    with pytest.raises(InputError, match=r"traits not found .*'type 2 diabetis' \(close: 'Type 2 diabetes'"):
        read_gwas_catalog(CATALOG, traits=["type 2 diabetis"])


def test_gzipped_catalog_and_a_file_that_is_not_one(tmp_path):
    with open(CATALOG, "rb") as src, gzip.open(tmp_path / "catalog.tsv.gz", "wb") as out:
        shutil.copyfileobj(src, out)
    assert len(read_gwas_catalog(tmp_path / "catalog.tsv.gz")) == 14
    (tmp_path / "other.tsv").write_text("rsid\tchrom\tpos\n")
    with pytest.raises(InputError, match=r"other.tsv:1: not a GWAS Catalog associations file: no DISEASE/TRAIT, "
                                         r"CHR_ID, CHR_POS, SNPS, STRONGEST SNP-RISK ALLELE, P-VALUE column"):
        read_gwas_catalog(tmp_path / "other.tsv")
    (tmp_path / "header.tsv").write_text(CATALOG.read_text().splitlines()[0] + "\n")
    with pytest.raises(InputError, match="no associations below the header"):
        read_gwas_catalog(tmp_path / "header.tsv")


def _checked(genome_path, variants):
    genome = open_genome(genome_path)
    variants = rename_contigs(variants, contig_sizes(genome_path))
    return check_variants(resolve_alleles(variants.assign(alt_from=""), genome), genome, 40, "skip")


def test_ref_from_the_genome_alt_from_the_risk_allele_or_all_three(catalog_genome):
    fasta, records = catalog_genome
    sites, _ = catalog_sites(read_gwas_catalog(CATALOG))
    checked = _checked(fasta, sites)
    rows = {variant_id: group for variant_id, group in checked.groupby("id")}
    tcf7l2 = rows["rs7903146"]  # genome C, risk T (and '?' from the other study): T only
    assert tcf7l2[["ref", "alt", "alt_from", "status"]].values.tolist() == [["C", "T", "risk_allele", "scored"]]
    height = rows["rs1000"]  # the risk allele is the genome's base: the other allele is unknown
    assert height["alt"].tolist() == ["A", "C", "T"] and set(height["alt_from"]) == {"alt_unknown"}
    assert (height["status"] == "scored").all() and height["multiallelic"].all()
    assert rows["rs2002"]["alt"].tolist() == ["A"] and len(rows["rs2001"]) == 3
    assert rows["rs4001"][["chrom", "ref", "alt"]].values.tolist() == [["chrX", "A", "C"]]
    assert rows["rs6001"]["status"].item() == "genome_n"
    assert rows["rs5001"]["status"].item() == "indel" and rows["rs8001"]["status"].item() == "contig_missing"


def test_alleles_from_dbsnp_where_the_catalog_has_none(catalog_genome, tmp_path):
    fasta, records = catalog_genome
    other_1200 = next(b for b in "ACGT" if b != records["chr1"][1199])
    (tmp_path / "dbsnp.vcf").write_text(
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        f"NC_000001.11\t800\trs1000\tG\tA\t.\t.\tRS=1000\n"
        f"NC_000001.11\t1200\trs2001\t{records['chr1'][1199]}\t{other_1200}\t.\t.\t.\n"
        "NC_000001.11\t900\trs999\tA\tG,T\t.\t.\t.\n")
    sites, _ = catalog_sites(read_gwas_catalog(CATALOG))
    dbsnp = read_dbsnp_alleles(tmp_path / "dbsnp.vcf", sites["id"])
    assert dbsnp == {"rs1000": ["G", "A"], "rs2001": [records["chr1"][1199], other_1200]}
    checked = _checked(fasta, attach_dbsnp(sites, dbsnp))
    height = checked[checked["id"] == "rs1000"]
    assert height[["ref", "alt", "alt_from"]].values.tolist() == [["G", "A", "dbsnp"]]
    assert checked.loc[checked["id"] == "rs2001", "alt"].tolist() == [other_1200]
    assert "known_alleles" not in checked


def test_catalog_positions_lifted_with_their_risk_alleles(catalog_genome, tmp_path):
    """'Build 38' 1:1-3000 is the genome's chr1 101-3100 on the minus strand: a lifted risk
    allele is complemented, and REF is read at the lifted position."""
    fasta, records = catalog_genome
    chain = tmp_path / "38to19.chain"
    chain.write_text("chain 1000 chr1 3000 + 0 3000 chr1 3200 - 100 3100 1\n3000\n\n")
    sites, _ = catalog_sites(read_gwas_catalog(CATALOG))
    lifted = lift_variants(sites, chain)
    tcf7l2 = lifted.set_index("id").loc["rs7903146"]
    assert tcf7l2["pos"] == 3200 - 100 - 500 + 1 and tcf7l2["risk_allele"] == "A" and tcf7l2["alt"] == "A"
    checked = _checked(fasta, lifted)
    row = checked[checked["id"] == "rs7903146"].iloc[0]
    assert row["ref"] == records["chr1"][2600].upper() and row["pos"] == 2601
    assert checked.loc[checked["id"] == "rs4001", "status"].item() == "unlifted"


def test_catalog_positions_of_another_build_stop_with_an_error_that_says_so(tmp_path):
    """300 SNPs whose risk allele is the reference base half the time at their own build; read at
    positions of another build (shifted by 7 bp) the genome's base matches a quarter of the time."""
    from cisflow.io.genome import prepare_genome
    from cisflow.variants.alleles import check_risk_build

    rng = np.random.default_rng(5)
    sequence = "".join(rng.choice(list("ACGT"), 20_000))
    write_fasta(tmp_path / "src.fa", {"chr1": sequence})
    prepare_genome(tmp_path / "src.fa", tmp_path / "genome.fa")
    positions = rng.choice(np.arange(100, 19_900), 300, replace=False)
    risks = [sequence[p - 1] if rng.random() < 0.5 else rng.choice([b for b in "ACGT" if b != sequence[p - 1]])
             for p in positions]
    for shift, fails in ((0, False), (7, True)):
        sites = pd.DataFrame({"chrom": "chr1", "pos": positions + shift, "id": [f"rs{p}" for p in positions],
                              "ref": ".", "alt": risks, "line": range(2, 302), "alt_from": ""})
        resolved = resolve_alleles(sites, open_genome(tmp_path / "genome.fa"))
        if fails:
            with pytest.raises(ValueError, match=r"the risk allele is the genome's base at only 2\d% of 300 SNPs"):
                check_risk_build(resolved, "catalog.tsv", "hg19")
        else:
            check_risk_build(resolved, "catalog.tsv", "hg19")
            assert 0.4 < resolved["risk_is_ref"].mean() < 0.6


@pytest.mark.parametrize("reader", ["catalog", "sumstats"])
def test_an_empty_file_says_so(tmp_path, reader):
    from cisflow.io.sumstats import read_sumstats

    (tmp_path / "empty.tsv").write_text("")
    with pytest.raises(InputError, match="empty.tsv: empty file"):
        (read_gwas_catalog if reader == "catalog" else read_sumstats)(tmp_path / "empty.tsv")


def _with(tmp_path, line, **fields):
    """The fixture with ``fields`` (0-based column: text) of its line ``line`` (1-based) changed."""
    lines = CATALOG.read_text().splitlines()
    cells = lines[line - 1].split("\t")
    for column, text in fields.items():
        cells[int(column.removeprefix("c"))] = text
    path = tmp_path / "catalog.tsv"
    path.write_text("\n".join([*lines[: line - 1], "\t".join(cells), *lines[line:]]) + "\n")
    return path


@pytest.mark.parametrize("position", ["-5", "abc", "0", "12.5", "500;x", "1200 x -1"])
def test_a_chr_pos_that_is_not_a_position_is_an_error_naming_the_line(tmp_path, position):
    path = _with(tmp_path, 4, c12=position)
    with pytest.raises(InputError, match=rf"^{path}:4: CHR_POS '{re.escape(position)}' is not a position: a positive "
                                         r"integer, empty where the Catalog could not map the SNP"):
        read_gwas_catalog(path)


def test_empty_and_multiple_positions_are_read_as_the_catalog_means_them(tmp_path):
    rows = read_gwas_catalog(_with(tmp_path, 4, c11="", c12="")).set_index("snp")
    assert rows.loc["rs1000", "status"] == "unmapped" and pd.isna(rows.loc["rs1000", "pos"])
    rows = read_gwas_catalog(_with(tmp_path, 5, c12="1200;")).set_index("snp")  # one SNP of two without a position
    assert set(rows.loc[["rs2001", "rs2002"], "status"]) == {"unmapped"}
    rows = read_gwas_catalog(CATALOG).set_index("snp")
    assert rows.loc[["rs3001", "rs3002"], "pos"].tolist() == [1500, 1600]


@pytest.mark.parametrize("given", ["-3", "abc", "-inf"])
def test_a_pvalue_mlog_out_of_its_range_is_an_error_naming_the_line(tmp_path, given):
    path = _with(tmp_path, 11, c28=given)
    with pytest.raises(InputError, match=rf"^{path}:11: PVALUE_MLOG '{given}' is not a -log10 p-value"):
        read_gwas_catalog(path)


@pytest.mark.parametrize("allele", ["N", "R", "y"])
def test_an_ambiguous_risk_allele_is_a_status_of_its_own(tmp_path, catalog_genome, allele):
    rows = read_gwas_catalog(_with(tmp_path, 4, c20=f"rs1000-{allele}"))
    row = rows.set_index("snp").loc["rs1000"]
    assert row["status"] == "ambiguous_allele" and row["risk_allele"] == allele.upper()
    sites, _ = catalog_sites(rows)
    assert sites.set_index("id").loc["rs1000", "pre_status"] == "ambiguous_allele"
    checked = _checked(catalog_genome[0], sites).set_index("id")
    assert checked.loc["rs1000", "status"] == "ambiguous_allele" and pd.isna(checked.loc["rs1000", "score_ref"])
