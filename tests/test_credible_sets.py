"""Fine-mapped credible sets: FinnGen's SuSiE files, Open Targets' credible_set dataset and plain tables.

The fixtures (tests/data/credible_sets) are the same sets, SETS, written by write_finngen, write_open_targets and
write_table below, which rewrite them: python -c "from tests.test_credible_sets import *; write_finngen(FINNGEN);
write_open_targets(OPEN_TARGETS); write_table(TABLE)".
"""

import gzip
import hashlib
import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from Bio import bgzf

from cisflow.io.credible_sets import COLUMNS, credible_set_sites, read_credible_sets
from cisflow.io.errors import InputError
from cisflow.variants.alleles import resolve_alleles

DATA = Path(__file__).parent / "data" / "credible_sets"
FINNGEN = DATA / "finngen_R12_TEST.SUSIE.snp.bgz"
OPEN_TARGETS = DATA / "open_targets_credible_set.parquet"
TABLE = DATA / "credible_sets.tsv"
# What the three fixtures describe, each in its own format: (trait, FinnGen region, cs) -> its variants (chromosome
# as FinnGen writes it, position, REF, ALT, PIP, p). cs -1: in no set (for Open Targets: in the 99% set only).
SETS = {
    ("T2D", "chr10:112500000-115500000", 1): [("chr10", 114758349, "C", "T", 0.62, 4e-40),
                                              ("chr10", 114754088, "T", "C", 0.30, 2e-38)],
    ("T2D", "chr10:112500000-115500000", 2): [("chr10", 113000100, "A", "G", 0.85, 3e-12),
                                              ("chr10", 113000500, "G", "GA", 0.10, 1e-11)],
    ("T2D", "chr10:112500000-115500000", -1): [("chr10", 114760000, "G", "A", 0.004, 1e-20)],
    ("BMI", "chr10:113500000-116500000", 1): [("chr10", 114758349, "C", "T", 0.40, 1e-9),
                                              ("chr10", 114756000, "A", "G", 0.55, 5e-10)],
    ("LDL", "1:108500000-111500000", 1): [("1", 109274968, "G", "T", 0.97, 2e-120),
                                          ("1", 109275000, "C", "A", 0.02, 3e-100)],
    ("LDL", "1:108500000-111500000", -1): [("1", 109280000, "A", "C", 0.001, 1e-5)],
}
LOW_PURITY = ("BMI", "chr10:113500000-116500000", 1)
RSIDS = {114758349: "rs1000001", 109274968: "rs1000002"}
FINNGEN_HEADER = ("trait region v rsid chromosome position allele1 allele2 maf beta se p mean sd prob cs "
                  "cs_specific_prob low_purity lead_r2 mean_99 sd_99 prob_99 cs_99 cs_specific_prob_99 low_purity_99 "
                  "lead_r2_99").split() + [f"{name}{k}" for name in ("alpha", "mean", "sd") for k in range(1, 11)]
TYPES = {"line": "int64", "trait": "text", "credible_set": "text", "chrom": "text", "pos": "int64", "id": "text",
         "ref": "text", "alt": "text", "pip": "float64", "p_value": "float64", "low_purity": "bool", "format": "text"}
SITE_TYPES = {"chrom": "text", "pos": "int64", "id": "text", "ref": "text", "alt": "text", "line": "int64",
              "traits": "text", "credible_sets": "text", "pip": "float64", "p_value": "float64", "alt_from": "text",
              "site": "int64"}


def write_finngen(path):
    """SETS as FinnGen's SuSiE .snp file, bgzipped."""
    lines = ["\t".join(FINNGEN_HEADER)]
    for (trait, region, cs), variants in SETS.items():
        for chrom, pos, ref, alt, pip, p in variants:
            inside = cs != -1
            alphas = [pip if k == max(cs, 1) else 0 for k in range(1, 11)]
            fields = [trait, region, f"{chrom}:{pos}:{ref}:{alt}", f"{chrom}_{pos}_{ref}_{alt}", chrom, pos, ref, alt,
                      0.21, 0.05, 0.004, f"{p:.3g}", round(0.05 * pip, 6), 0.01, pip, cs, pip if inside else 0,
                      int((trait, region, cs) == LOW_PURITY), 0.93 if inside else 0.2, round(0.05 * pip, 6), 0.01,
                      pip, max(cs, 1), pip, 0, 0.93, *alphas, *[round(0.05 * a, 6) for a in alphas], *[0.01] * 10]
            lines.append("\t".join(map(str, fields)))
    with open(path, "wb") as handle, bgzf.BgzfWriter(fileobj=handle) as out:
        out.write(("\n".join(lines) + "\n").encode())


def _p_value(p):
    """The Platform's p-value fields of ``p``."""
    exponent = math.floor(math.log10(p))
    return {"pValueMantissa": round(p / 10.0**exponent, 6), "pValueExponent": exponent}


def write_open_targets(path, nested_p=True):
    """SETS as the Platform's credible_set dataset: the schema's locus struct (p-values in ``marginalEffect``, or
    flat in the struct as other releases write them)."""
    effect = pa.struct([("beta", pa.float64()), ("standardError", pa.float64()), ("pValueMantissa", pa.float32()),
                        ("pValueExponent", pa.int32())])
    p_fields = [("marginalEffect", effect), ("conditionalEffect", effect)] if nested_p else [
        ("pValueMantissa", pa.float32()), ("pValueExponent", pa.int32()), ("beta", pa.float64()),
        ("standardError", pa.float64())]
    locus_type = pa.struct([("is95CredibleSet", pa.bool_()), ("is99CredibleSet", pa.bool_()), ("logBF", pa.float64()),
                            ("posteriorProbability", pa.float64()), ("variantId", pa.string()), *p_fields,
                            ("effectAlleleFrequencyFromSource", pa.float32()), ("r2Overall", pa.float64())])
    rows = []
    for (trait, region, cs), variants in SETS.items():
        if cs == -1:
            continue
        locus = []
        for chrom, pos, ref, alt, pip, p, in95 in [(*v, True) for v in variants] + [
                (*v, False) for v in SETS.get((trait, region, -1), []) if cs == 1]:
            effect_of = {"beta": 0.05, "standardError": 0.004, **_p_value(p)}
            entry = {"is95CredibleSet": in95, "is99CredibleSet": True, "logBF": 12.0 * pip,
                     "posteriorProbability": pip, "variantId": f"{chrom.removeprefix('chr')}_{pos}_{ref}_{alt}",
                     "effectAlleleFrequencyFromSource": 0.21, "r2Overall": 0.93}
            entry.update({"marginalEffect": effect_of, "conditionalEffect": None} if nested_p else effect_of)
            locus.append(entry)
        lead = max(locus, key=lambda entry: entry["posteriorProbability"])
        chromosome, position = lead["variantId"].split("_")[:2]
        start, end = region.split(":")[1].split("-")
        rows.append({
            "studyLocusId": hashlib.md5(f"{trait}_{region}_{cs}".encode()).hexdigest(),
            "studyId": f"FINNGEN_R12_{trait}",
            "studyType": "gwas", "variantId": lead["variantId"], "chromosome": chromosome, "position": int(position),
            "region": f"{chromosome}:{start}-{end}", "finemappingMethod": "SuSie", "credibleSetIndex": cs,
            "credibleSetlog10BF": 10.0, "purityMeanR2": 0.4 if (trait, region, cs) == LOW_PURITY else 0.9,
            "purityMinR2": 0.3 if (trait, region, cs) == LOW_PURITY else 0.8, "locusStart": int(start),
            "locusEnd": int(end), "qualityControls": [],
            "confidence": "SuSiE fine-mapped credible set with in-sample LD", "locus": locus})
    schema = pa.schema([("studyLocusId", pa.string()), ("studyId", pa.string()), ("studyType", pa.string()),
                        ("variantId", pa.string()), ("chromosome", pa.string()), ("position", pa.int32()),
                        ("region", pa.string()), ("finemappingMethod", pa.string()), ("credibleSetIndex", pa.int32()),
                        ("credibleSetlog10BF", pa.float64()), ("purityMeanR2", pa.float64()),
                        ("purityMinR2", pa.float64()), ("locusStart", pa.int32()), ("locusEnd", pa.int32()),
                        ("qualityControls", pa.list_(pa.string())), ("confidence", pa.string()),
                        ("locus", pa.list_(locus_type))])
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path, store_schema=False, write_statistics=False)


def write_table(path):
    """SETS as a plain credible-set table, with rsids where known."""
    lines = ["trait\tcredible_set\tchrom\tpos\trsid\tref\talt\tpip\tp_value"]
    for (trait, region, cs), variants in SETS.items():
        lines += [f"{trait}\t{region}:{cs}\t{chrom}\t{pos}\t{RSIDS.get(pos, '.')}\t{ref}\t{alt}\t{pip}\t{p:.3g}"
                  for chrom, pos, ref, alt, pip, p in variants if cs != -1]
    path.write_text("\n".join(lines) + "\n")


def _types(frame):
    """{column: dtype}, strings (object or pandas' str, as versions differ) as 'text'."""
    return {column: "text" if pd.api.types.is_string_dtype(dtype) else str(dtype)
            for column, dtype in frame.dtypes.items()}


def _same(rows):
    """What three formats of the same sets agree on: the trait (less Open Targets' study prefix), chrom, pos,
    alleles, PIP and p-value of each row."""
    columns = ["trait", "chrom", "pos", "ref", "alt", "pip", "p_value"]
    return rows[columns].assign(trait=rows["trait"].str.removeprefix("FINNGEN_R12_")).reset_index(drop=True)


def test_the_fixtures_are_what_their_writers_write(tmp_path):
    for write, fixture in ((write_finngen, FINNGEN), (write_open_targets, OPEN_TARGETS), (write_table, TABLE)):
        write(tmp_path / fixture.name)
        pd.testing.assert_frame_equal(read_credible_sets(tmp_path / fixture.name), read_credible_sets(fixture))


def test_finngen_susie_rows_of_the_credible_sets_only(caplog):
    caplog.set_level("INFO")
    rows = read_credible_sets(FINNGEN)
    assert list(rows.columns) == COLUMNS and _types(rows) == TYPES
    assert rows["line"].tolist() == [2, 3, 4, 5, 7, 8, 9, 10]  # lines 6 and 11 are in no set (cs -1)
    assert "2 variants in no credible set (cs -1) left out" in caplog.text
    assert rows["credible_set"].unique().tolist() == ["chr10:112500000-115500000:1", "chr10:112500000-115500000:2",
                                                      "chr10:113500000-116500000:1", "1:108500000-111500000:1"]
    assert rows[["chrom", "pos", "id", "ref", "alt"]].iloc[[0, 3, 6]].values.tolist() == [
        ["10", 114758349, "10:114758349:C:T", "C", "T"], ["10", 113000500, "10:113000500:G:GA", "G", "GA"],
        ["1", 109274968, "1:109274968:G:T", "G", "T"]]  # 'chr' or not; an indel keeps its alleles
    assert rows["pip"].tolist() == [0.62, 0.30, 0.85, 0.10, 0.40, 0.55, 0.97, 0.02]
    assert rows["p_value"].iloc[0] == 4e-40 and rows["p_value"].iloc[6] == 2e-120
    assert rows["low_purity"].tolist() == [False] * 4 + [True] * 2 + [False] * 2
    assert set(rows["format"]) == {"finngen_susie"}


def test_open_targets_rows_one_per_variant_of_each_95_percent_set(caplog):
    caplog.set_level("INFO")
    rows = read_credible_sets(OPEN_TARGETS)
    assert list(rows.columns) == COLUMNS and _types(rows) == TYPES
    assert rows["line"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4]  # the credible set's row, 1-based
    assert rows["trait"].unique().tolist() == ["FINNGEN_R12_T2D", "FINNGEN_R12_BMI", "FINNGEN_R12_LDL"]
    assert rows["credible_set"].iloc[0] == hashlib.md5(b"T2D_chr10:112500000-115500000_1").hexdigest()
    assert "2 variants of no 95% credible set (is95CredibleSet false)" in caplog.text
    assert rows["id"].iloc[0] == "10:114758349:C:T" and set(rows["format"]) == {"open_targets"}
    assert rows["p_value"].iloc[6] == pytest.approx(2e-120, rel=1e-12)  # pValueMantissa x 10^pValueExponent
    assert not rows["low_purity"].any()


def test_open_targets_p_values_flat_in_the_locus_struct_and_as_json_lines(tmp_path):
    write_open_targets(tmp_path / "flat.parquet", nested_p=False)
    expected = read_credible_sets(OPEN_TARGETS)
    pd.testing.assert_frame_equal(read_credible_sets(tmp_path / "flat.parquet"), expected)
    records = pq.read_table(tmp_path / "flat.parquet").to_pylist()
    with gzip.open(tmp_path / "credible_set.json.gz", "wt") as out:
        out.writelines(json.dumps(record) + "\n" for record in records)
    pd.testing.assert_frame_equal(read_credible_sets(tmp_path / "credible_set.json.gz"), expected)
    nested = pq.read_table(OPEN_TARGETS).to_pylist()
    (tmp_path / "nested.json").write_text("".join(json.dumps(record) + "\n" for record in nested))
    pd.testing.assert_frame_equal(read_credible_sets(tmp_path / "nested.json"), expected)


def test_a_table_with_rsids_and_alleles():
    rows = read_credible_sets(TABLE)
    assert list(rows.columns) == COLUMNS and _types(rows) == TYPES
    assert rows["line"].tolist() == list(range(2, 10)) and set(rows["format"]) == {"table"}
    assert rows["id"].tolist() == ["rs1000001", "10:114754088:T:C", "10:113000100:A:G", "10:113000500:G:GA",
                                   "rs1000001", "10:114756000:A:G", "rs1000002", "1:109275000:C:A"]


def test_a_table_without_alleles_leaves_them_to_the_genome(tmp_path):
    path = tmp_path / "sets.tsv"
    path.write_text("TRAIT\tCredible_Set\tchrom\tpos\tid\tpip\n"  # names in any case, the rsid named id
                    "T2D\tcs1\tchr1\t5\trs1\t0.7\nT2D\tcs1\tchr1\t9\t.\t0.2\n")
    rows = read_credible_sets(path)
    assert rows[["id", "ref", "alt"]].values.tolist() == [["rs1", ".", "."], ["1:9:.:.", ".", "."]]
    assert rows["p_value"].isna().all()
    variants, _ = credible_set_sites(rows)
    assert variants["alt_from"].tolist() == ["", ""]
    resolved = resolve_alleles(variants, {"1": "ACGTACGTAC"})
    assert resolved[["ref", "alt", "alt_from"]].values.tolist() == [["A", "C,G,T", "alt_unknown"]] * 2


def test_the_three_formats_of_the_same_sets_give_the_same_variants():
    read = {path: read_credible_sets(path) for path in (FINNGEN, OPEN_TARGETS, TABLE)}
    for rows in read.values():
        pd.testing.assert_frame_equal(_same(rows), _same(read[FINNGEN]), rtol=1e-12)
    sites = {path: credible_set_sites(rows)[0] for path, rows in read.items()}
    columns = ["chrom", "pos", "ref", "alt", "pip", "p_value", "alt_from", "site"]
    for variants in sites.values():
        pd.testing.assert_frame_equal(variants[columns], sites[FINNGEN][columns], rtol=1e-12)
        assert variants["traits"].str.replace("FINNGEN_R12_", "").tolist() == sites[FINNGEN]["traits"].tolist()
    assert sites[TABLE]["credible_sets"].tolist() == sites[FINNGEN]["credible_sets"].tolist()


def test_one_site_per_variant_and_one_association_per_row():
    rows = read_credible_sets(FINNGEN)
    variants, associations = credible_set_sites(rows)
    assert _types(variants) == SITE_TYPES and variants["site"].tolist() == list(range(7))
    shared = variants.iloc[0]  # in a T2D set and a BMI set
    assert shared[["chrom", "pos", "id", "ref", "alt", "line"]].tolist() == ["10", 114758349, "10:114758349:C:T",
                                                                             "C", "T", 2]
    assert shared["traits"] == "T2D | BMI"
    assert shared["credible_sets"] == "chr10:112500000-115500000:1 | chr10:113500000-116500000:1"
    assert shared["pip"] == 0.62 and shared["p_value"] == 4e-40  # the largest PIP, the smallest p
    assert set(variants["alt_from"]) == {"credible_set"}
    assert list(associations.columns) == [*COLUMNS, "site"] and associations["site"].dtype == "int64"
    assert associations["site"].tolist() == [0, 1, 2, 3, 0, 4, 5, 6]
    pd.testing.assert_frame_equal(associations[COLUMNS], rows)


def test_traits_asked_for_any_case_and_one_the_file_lacks():
    assert read_credible_sets(FINNGEN, traits=["t2d", "LDL"])["trait"].unique().tolist() == ["T2D", "LDL"]
    assert set(read_credible_sets(OPEN_TARGETS, traits=["FINNGEN_R12_BMI"])["pos"]) == {114758349, 114756000}
    with pytest.raises(InputError, match=r"traits not found: 'T2DD' \(close: 'T2D'\)"):
        read_credible_sets(FINNGEN, traits=["T2DD", "BMI"])


def test_the_format_is_read_from_the_content_not_the_name(tmp_path):
    shutil.copy(FINNGEN, tmp_path / "sets.parquet")
    with gzip.open(FINNGEN) as source:
        (tmp_path / "sets.tsv.gz").write_bytes(source.read())  # not gzipped, whatever the name says
    shutil.copy(OPEN_TARGETS, tmp_path / "sets.tsv")
    with open(TABLE, "rb") as source, gzip.open(tmp_path / "sets.snp.bgz.parquet", "wb") as out:
        out.write(source.read())
    for name, fmt in (("sets.parquet", "finngen_susie"), ("sets.tsv.gz", "finngen_susie"), ("sets.tsv", "open_targets"),
                      ("sets.snp.bgz.parquet", "table")):
        assert set(read_credible_sets(tmp_path / name)["format"]) == {fmt}


TABLE_HEADER = "trait\tcredible_set\tchrom\tpos\tref\talt\tpip\tp_value\n"
FINNGEN_SHORT = "trait\tregion\tchromosome\tposition\tallele1\tallele2\tprob\tcs\n"


@pytest.mark.parametrize("text, message", [
    ("", r"sets.tsv: empty file: expected FinnGen's SuSiE .snp file \(tab-separated: trait, region, chromosome, "
         r"position, allele1, allele2, prob, cs\), a credible-set table \(tab-separated: trait, credible_set, chrom, "
         r"pos, pip, and ref and alt or rsid\) or Open Targets' credible_set dataset \(Parquet or JSON lines: "
         r"studyLocusId, studyId, locus\)"),
    ("rsid\tchrom\tpos\tref\talt\nrs1\t1\t5\tA\tG\n",
     r"sets.tsv:1: not a file of credible sets: the header has rsid, chrom, pos, ref, alt; expected FinnGen's"),
    ("trait,credible_set,chrom,pos,ref,alt,pip\n", r"sets.tsv:1: not a file of credible sets"),  # tab-separated only
    ("trait\tcredible_set\tchrom\tpos\tref\talt\n", r"sets.tsv:1: credible-set table: no pip column"),
    ("trait\tcredible_set\tchrom\tpos\tpip\n", r"sets.tsv:1: credible-set table: no ref and alt, or rsid column"),
    ("trait\tcredible_set\tchrom\tpos\tref\trsid\tpip\n", r"sets.tsv:1: credible-set table: no alt column"),
    ("trait\tregion\tchromosome\tposition\tallele1\tprob\tcs\n", r"sets.tsv:1: FinnGen SuSiE: no allele2 column"),
    (TABLE_HEADER, r"sets.tsv: no variant in any credible set"),
    (TABLE_HEADER + "T2D\tcs1\t1\t5\tA\tG\t0.5\t1e-9\nT2D\tcs1\t1\t9\tA\tG\t1.2\t1e-9\n",
     r"sets.tsv:3: pip '1.2' is not a probability \(a number in \[0, 1\]\)"),
    (TABLE_HEADER + "T2D\tcs1\t1\t5\tA\tG\tabc\t1e-9\n", r"sets.tsv:2: pip 'abc' is not a probability"),
    (TABLE_HEADER + "T2D\tcs1\t1\t5\tA\tG\t\t1e-9\n", r"sets.tsv:2: pip '' is not a probability"),
    (TABLE_HEADER + "T2D\tcs1\t1\t0\tA\tG\t0.5\t1e-9\n", r"sets.tsv:2: pos '0' is not a positive integer"),
    (TABLE_HEADER + "T2D\tcs1\t1\t1.5e6\tA\tG\t0.5\t1e-9\n", r"sets.tsv:2: pos '1.5e6' is not a positive integer"),
    (TABLE_HEADER + "T2D\tcs1\t1\t-3\tA\tG\t0.5\t1e-9\n", r"sets.tsv:2: pos '-3' is not a positive integer"),
    (TABLE_HEADER + "T2D\tcs1\t1\t5\tN\tG\t0.5\t1e-9\n",
     r"sets.tsv:2: alleles ref 'N' and alt 'G' are not bases \(A, C, G, T; several for an indel\), nor both '.'"),
    (TABLE_HEADER + "T2D\tcs1\t1\t5\tA\t<DEL>\t0.5\t1e-9\n", r"sets.tsv:2: alleles ref 'A' and alt '<DEL>'"),
    (TABLE_HEADER + "T2D\tcs1\t1\t5\tA\t-\t0.5\t1e-9\n", r"sets.tsv:2: alleles ref 'A' and alt '-'"),
    (TABLE_HEADER + "T2D\tcs1\t1\t5\tA\t.\t0.5\t1e-9\n", r"sets.tsv:2: alleles ref 'A' and alt '.'"),
    (TABLE_HEADER + "T2D\tcs1\t1\t5\tA\tG\t0.5\tabc\n", r"sets.tsv:2: p_value 'abc' is not a p-value"),
    (TABLE_HEADER + "\tcs1\t1\t5\tA\tG\t0.5\t1e-9\n", r"sets.tsv:2: empty trait"),
    (TABLE_HEADER + "T2D\tcs1\t1\t5\tA\tG\t0.7\t1e-9\nT2D\tcs2\t1\t7\tA\tG\t0.7\t1e-9\n"
                    "T2D\tcs1\t1\t9\tA\tG\t0.6\t1e-9\n",
     r"sets.tsv:2: the PIPs of credible set 'cs1' of 'T2D' sum to 1.3, over 1.05: not one credible set's variants "
     r"\(a file of another kind"),
    (FINNGEN_SHORT + "T2D\tchr1:1-9\tchr1\t5\tA\tG\t0.5\tNA\n",
     r"sets.tsv:2: cs 'NA' is not a credible-set number \(-1: in none\)"),
    (FINNGEN_SHORT + "T2D\tchr1:1-9\tchr1\t5\tA\tG\t0.5\t-1\n", r"sets.tsv: no variant in any credible set"),
    (FINNGEN_SHORT + "T2D\tchr1:1-9\tchr1\t5\tA\tG\tx\t1\n", r"sets.tsv:2: prob 'x' is not a probability"),
])
def test_malformed_credible_sets_name_the_line(tmp_path, text, message):
    path = tmp_path / "sets.tsv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_credible_sets(path)


def test_a_truncated_bgzip_file_is_an_error(tmp_path):
    whole = FINNGEN.read_bytes()
    (tmp_path / "finngen.snp.bgz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError, match=r"finngen.snp.bgz:[0-9]+: truncated gzip file"):
        read_credible_sets(tmp_path / "finngen.snp.bgz")


def _locus_file(path, variant_ids, pips=None):
    """An Open Targets credible_set Parquet file of one set of ``variant_ids``."""
    pips = pips or [0.5] * len(variant_ids)
    locus = [{"variantId": variant, "posteriorProbability": pip, "is95CredibleSet": True}
             for variant, pip in zip(variant_ids, pips)]
    pq.write_table(pa.Table.from_pylist([{"studyLocusId": "a1", "studyId": "GCST1", "locus": locus}]), path)
    return path


def test_malformed_open_targets_credible_sets(tmp_path, caplog):
    with pytest.raises(InputError, match=r"cs.parquet:1: locus variantId '10-5-C-T' is not "
                                         r"chromosome_position_ref_alt"):
        read_credible_sets(_locus_file(tmp_path / "cs.parquet", ["10_5_C_T", "10-5-C-T"]))
    with pytest.raises(InputError, match=r"cs.parquet:1: alleles variantId's REF 'C' and variantId's ALT '<DEL>'"):
        read_credible_sets(_locus_file(tmp_path / "cs.parquet", ["10_5_C_<DEL>"]))
    with pytest.raises(InputError, match=r"cs.parquet:1: posteriorProbability nan is not a probability"):
        read_credible_sets(_locus_file(tmp_path / "cs.parquet", ["10_5_C_T", "10_7_C_T"], [0.5, None]))
    caplog.set_level("INFO")
    rows = read_credible_sets(_locus_file(tmp_path / "cs.parquet", ["X_5_C_T", "OTVAR_1_5_3749d019d645894770c364992"]))
    assert rows[["chrom", "pos"]].values.tolist() == [["X", 5]] and "1 long indels named by a hash" in caplog.text
    pq.write_table(pa.table({"studyId": ["GCST1"], "locus": [[{"variantId": "1_5_A_G"}]]}), tmp_path / "cs.parquet")
    with pytest.raises(InputError, match=r"cs.parquet: a Parquet file without studyLocusId, "
                                         r"locus.posteriorProbability: not Open Targets' credible_set dataset"):
        read_credible_sets(tmp_path / "cs.parquet")
    whole = OPEN_TARGETS.read_bytes()
    (tmp_path / "cut.parquet").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError, match=r"cut.parquet: not a readable Parquet file"):
        read_credible_sets(tmp_path / "cut.parquet")
    (tmp_path / "cs.json").write_text('{"studyLocusId": "a1", "locus": [\n')
    with pytest.raises(InputError, match=r"cs.json:1: not JSON \(Expecting value at column 34\)"):
        read_credible_sets(tmp_path / "cs.json")


@pytest.mark.parametrize("bad, problem", [
    (b"@@ garbage", r"not JSON \(Expecting value at column 1\)"),
    (b'{"studyLocusId": "L2", "studyId": "S1", "locus": "x"}', "not a credible set: a JSON object whose locus is "),
    (b"[1, 2]", "not a credible set"),
    (b'{"studyLocusId": "L\xe9"}', "byte 0xe9 at column 20 is not UTF-8 text"),
])
def test_a_json_line_pyarrow_refuses_is_named(tmp_path, bad, problem):
    record = b'{"studyLocusId": "L1", "studyId": "S1", "locus": [{"variantId": "1_1_A_G", "posteriorProbability": 1}]}'
    path = tmp_path / "cs.json"
    path.write_bytes(record + b"\n\n" + bad + b"\n" + record + b"\n")
    with pytest.raises(InputError, match=rf"^{path}:3: {problem}"):
        read_credible_sets(path)


def test_lines_read_in_chunks_keep_their_numbers(tmp_path, monkeypatch):
    expected = read_credible_sets(FINNGEN)
    monkeypatch.setattr("cisflow.io.textio.BLOCK", 1000)
    pd.testing.assert_frame_equal(read_credible_sets(FINNGEN), expected)
    lines = gzip.decompress(FINNGEN.read_bytes()).decode().splitlines()
    lines[8] = lines[8].replace("\t109274968\t", "\t0\t")
    (tmp_path / "finngen.snp").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"finngen.snp:9: position '0' is not a positive integer"):
        read_credible_sets(tmp_path / "finngen.snp")
