"""GWAS-SSF summary statistics: columns by name, the p-value threshold, chromosome numbers."""

import gzip

import pytest

from cisflow.io.errors import InputError
from cisflow.io.sumstats import read_sumstats

HEADER = "chromosome\tbase_pair_location\teffect_allele\tother_allele\tbeta\tstandard_error\teffect_allele_frequency" \
         "\tp_value\tvariant_id\trsid\n"


def test_lines_at_or_below_the_threshold_in_the_common_shape(tmp_path):
    path = tmp_path / "GCST90000001.h.tsv.gz"
    with gzip.open(path, "wt") as out:
        out.write(HEADER + "1\t1000\tT\tC\t0.1\t0.01\t0.3\t3e-12\t1_1000_C_T\trs1\n"
                           "1\t2000\ta\tg\t0.01\t0.01\t0.3\t0.2\t1_2000_G_A\trs2\n"
                           "23\t500\tG\tA\t-0.2\t0.02\t0.1\t5e-8\t23_500_A_G\t#NA\n"
                           "2\t700\tC\tT\t0.3\t0.02\t0.4\t1e-400\t2_700_T_C\trs4\n")
    table = read_sumstats(path, 5e-8, "LDL cholesterol")
    assert table[["chrom", "pos", "id", "ref", "alt", "line"]].values.tolist() == [
        ["1", 1000, "rs1", "C", "T", 2], ["X", 500, "23_500_A_G", "A", "G", 4], ["2", 700, "rs4", "T", "C", 5]]
    assert table["mlog10_p"].tolist() == pytest.approx([11.5229, 7.30103, 400], abs=1e-4)
    assert set(table["traits"]) == {"LDL cholesterol"} and table["site"].tolist() == [0, 1, 2]


def test_neg_log10_p_values_instead_of_p_values(tmp_path):
    path = tmp_path / "ss.tsv"
    path.write_text("chromosome\tbase_pair_location\teffect_allele\tother_allele\tneg_log_10_p_value\n"
                    "1\t10\tA\tG\t9.5\n1\t20\tA\tG\t3\n")
    assert read_sumstats(path)["pos"].tolist() == [10]


@pytest.mark.parametrize("text, message", [
    ("chromosome\tbase_pair_location\teffect_allele\tp_value\n", r"ss.tsv:1: not GWAS-SSF summary statistics: "
                                                                  r"no other_allele column"),
    ("chromosome\tbase_pair_location\teffect_allele\tother_allele\n", r"no p_value \(or neg_log_10_p_value\)"),
    (HEADER + "1\t1.5e6\tT\tC\t0.1\t0.01\t0.3\t3e-12\tx\trs1\n", r"ss.tsv:2: base_pair_location '1.5e6' is not a "
                                                                  r"positive integer"),
    (HEADER + "1\t100\tT\tC\t0.1\t0.01\t0.3\tabc\tx\trs1\n", r"ss.tsv:2: p_value 'abc' is not a p-value"),
    (HEADER + "1\t100\tT\tC\t0.1\t0.01\t0.3\t0.5\tx\trs1\n", r"ss.tsv: no variant at or below the p-value threshold"),
    (HEADER + "1\t100\t\tC\t0.1\t0.01\t0.3\t1e-9\tx\trs1\n", r"ss.tsv:2: empty effect_allele"),
])
def test_malformed_summary_statistics_name_the_line(tmp_path, text, message):
    path = tmp_path / "ss.tsv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_sumstats(path)


STRONG = {"neg_log_10_p_value": "9.5", "p_value": "3e-10"}  # line 2 of each: p = 3e-10


def short(column, value):
    """GWAS-SSF lines 2 (strong) and 3 (``value``) with their p-value in ``column``."""
    return (f"chromosome\tbase_pair_location\teffect_allele\tother_allele\t{column}\n1\t10\tA\tG\t{STRONG[column]}\n"
            f"1\t20\tA\tG\t{value}\n")


@pytest.mark.parametrize("column, value, shown", [
    ("neg_log_10_p_value", "-3", r"neg_log_10_p_value '-3' is not a -log10 p-value \(a number >= 0"),
    ("neg_log_10_p_value", "-inf", r"neg_log_10_p_value '-inf' is not a -log10 p-value"),
    ("neg_log_10_p_value", "abc", r"neg_log_10_p_value 'abc' is not a -log10 p-value"),
    ("p_value", "1.7", r"p_value '1.7' is not a p-value \(a number in \[0, 1\]"),
    ("p_value", "-0.1", r"p_value '-0.1' is not a p-value"),
    ("p_value", "inf", r"p_value 'inf' is not a p-value"),
])
def test_a_p_value_out_of_its_range_is_refused_naming_file_line_and_column(tmp_path, column, value, shown):
    path = tmp_path / "ss.tsv"
    path.write_text(short(column, value))
    with pytest.raises(InputError, match=rf"^{path}:3: {shown}"):
        read_sumstats(path)


@pytest.mark.parametrize("column, value, p", [("neg_log_10_p_value", "inf", 0.0), ("neg_log_10_p_value", "-0", None),
                                               ("p_value", "0", 0.0), ("p_value", "1", None)])
def test_p_of_zero_and_one_either_way(tmp_path, column, value, p):
    path = tmp_path / "ss.tsv"
    path.write_text(short(column, value))
    table = read_sumstats(path, 1e-5)
    assert table["pos"].tolist() == ([10, 20] if p == 0 else [10])
    if p == 0:
        assert table["p_value"].iat[1] == 0 and table["mlog10_p"].iat[1] == float("inf")


def test_lines_without_a_p_value_are_counted_in_the_log(tmp_path, caplog):
    path = tmp_path / "ss.tsv"
    path.write_text(short("neg_log_10_p_value", "NA") + "1\t30\tA\tG\t\n1\t40\tA\tG\tNaN\n")
    assert read_sumstats(path)["pos"].tolist() == [10]
    assert f"{path}: 3 lines without a p-value (empty, NA or NaN) left out" in caplog.text


def test_a_line_of_another_number_of_fields_is_refused_in_any_block(tmp_path, monkeypatch):
    monkeypatch.setattr("cisflow.io.textio.BLOCK", 64)  # many blocks: the line numbers run on across them
    lines = [f"1\t{10 * i}\tA\tG\t1e-9\n" for i in range(1, 40)]
    lines[30] = "1\t310\tA\tG\n"
    path = tmp_path / "ss.tsv.gz"
    path.write_bytes(gzip.compress((HEADER.split("\tbeta")[0] + "\tp_value\n" + "".join(lines)).encode()))
    with pytest.raises(InputError, match=rf"^{path}:32: 4 fields, but the header has 5$"):
        read_sumstats(path)
    lines[30] = "1\t310\tA\tG\t1e-9\n"
    path.write_bytes(gzip.compress((HEADER.split("\tbeta")[0] + "\tp_value\n" + "".join(lines)).encode()))
    assert read_sumstats(path)["line"].tolist() == list(range(2, 41))
