"""Reading VCFs: columns, line numbers, gzip detection and errors that name file and line."""

import gzip
import re

import pytest

from cisflow.io.errors import InputError
from cisflow.io.vcf import COLUMNS, read_vcf

HEADER = "##fileformat=VCFv4.2\n##source=test\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
RECORDS = (
    "chr1\t100\trs1\tA\tG\t.\tPASS\t.\n"
    "chr1\t200\t.\tC\tT,A\t.\tPASS\t.\n"
    "\n"
    "chr2\t5\trs3\tAT\tA\n"
    "chr2\t9\trs4\tG\t<DEL>\t.\t.\t.\n"
)


def write(tmp_path, text, name="in.vcf"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_records_columns_and_line_numbers(tmp_path):
    table = read_vcf(write(tmp_path, HEADER + RECORDS))
    assert list(table.columns) == COLUMNS
    assert table["line"].tolist() == [4, 5, 7, 8]
    assert table["pos"].dtype == "int64"
    assert table.loc[0, ["chrom", "pos", "id", "ref", "alt"]].tolist() == ["chr1", 100, "rs1", "A", "G"]


def test_alt_kept_raw_and_missing_id_built(tmp_path):
    table = read_vcf(write(tmp_path, HEADER + RECORDS))
    assert table.loc[1, "alt"] == "T,A"
    assert table.loc[1, "id"] == "chr1:200:C:T,A"
    assert table.loc[3, "alt"] == "<DEL>"


def test_gzip_detected_by_magic_bytes_not_name(tmp_path):
    gz = tmp_path / "looks_plain.vcf"
    with gzip.open(gz, "wt") as handle:
        handle.write(HEADER + RECORDS)
    plain = write(tmp_path, HEADER + RECORDS, name="looks_gzipped.vcf.gz")
    assert read_vcf(gz).equals(read_vcf(plain))
    assert len(read_vcf(gz)) == 4


def test_windows_line_endings(tmp_path):
    path = tmp_path / "crlf.vcf"
    path.write_bytes((HEADER + RECORDS).replace("\n", "\r\n").encode())
    assert read_vcf(path)["alt"].tolist() == ["G", "T,A", "A", "<DEL>"]


def test_header_only_gives_empty_table(tmp_path):
    table = read_vcf(write(tmp_path, HEADER))
    assert table.empty and list(table.columns) == COLUMNS


@pytest.mark.parametrize("record, problem", [
    ("chr1\t100\trs1\tA", "expected at least 5 tab-separated columns"),
    ("chr1 100 rs1 A G", "expected at least 5 tab-separated columns"),
    ("chr1\tten\trs1\tA\tG", "POS 'ten' is not an integer"),
    ("chr1\t1.5\trs1\tA\tG", "POS '1.5' is not an integer"),
    ("chr1\t0\trs1\tA\tG", "POS 0 is below 1"),
    ("chr1\t-3\trs1\tA\tG", "POS -3 is below 1"),
    ("chr1\t100\trs1\t\tG", "empty REF"),
    ("chr1\t100\trs1\tA\t", "empty ALT"),
    ("\t100\trs1\tA\tG", "empty CHROM"),
])
def test_malformed_record_names_file_and_line(tmp_path, record, problem):
    path = write(tmp_path, HEADER + "chr1\t1\trs0\tA\tC\n" + record + "\n")
    with pytest.raises(InputError, match=re.escape(f"{path}:5: {problem}")) as err:
        read_vcf(path)
    assert err.value.line == 5


def test_record_before_chrom_header(tmp_path):
    path = write(tmp_path, "##fileformat=VCFv4.2\nchr1\t100\trs1\tA\tG\n")
    with pytest.raises(InputError, match=re.escape(f"{path}:2: record before the #CHROM header")):
        read_vcf(path)


def test_error_line_counted_in_gzipped_file(tmp_path):
    path = tmp_path / "bad.vcf.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(HEADER + "chr1\tx\trs1\tA\tG\n")
    with pytest.raises(InputError, match=re.escape(f"{path}:4: POS 'x'")):
        read_vcf(path)


def test_empty_file_is_an_error_not_an_empty_table(tmp_path):
    path = tmp_path / "empty.vcf"
    path.write_text("")
    with pytest.raises(InputError, match=r"empty.vcf: no #CHROM header line: an empty file, or not a VCF"):
        read_vcf(path)


def test_a_table_without_vcf_header_is_named(tmp_path):
    path = tmp_path / "hits.tsv"
    path.write_text("chr1\t100\trs1\tA\tG\n")
    with pytest.raises(InputError, match=r"hits.tsv:1: record before the #CHROM header line"):
        read_vcf(path)
