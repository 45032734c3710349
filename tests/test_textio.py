"""Opening inputs: gzip by content, and a damaged gzip or non-UTF-8 text is an InputError naming file and line
whichever way the handle is read (and through every reader that opens files with open_text)."""

import gzip
import zlib

import pandas as pd
import pytest

from cisflow.io.errors import InputError
from cisflow.io.gwas import read_gwas_table
from cisflow.io.peaks import read_peaks
from cisflow.io.textio import delimited_chunks, first_line, open_bytes, open_text, quoted_rows, read_header
from cisflow.io.truth import read_truth
from cisflow.io.vcf import read_vcf

ROWS = "".join(f"chr1\t{i * 10}\t{i * 10 + 5}\n" for i in range(20_000))  # 17 lines a KiB: past any read-ahead
TRUNCATED = r"truncated gzip file \(the compressed data stops short of its end-of-stream marker at this line: " \
            r"an interrupted download\?\): download it again"
NOT_UTF8 = r"byte 0xe9 at column 4 is not UTF-8 text \(a binary file, or another encoding such as Latin-1: " \
           r"convert it with iconv -f latin1 -t utf8\)"


def gzipped(path, data):
    with gzip.open(path, "wb") as out:
        out.write(data)
    return path


def truncated(path, data):
    whole = gzipped(path, data).read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    return path


def complete_lines(path):
    """Lines that decompress whole from a truncated gzip: the error names the next one."""
    return zlib.decompressobj(31).decompress(path.read_bytes()).count(b"\n")


READS = {
    "lines": lambda handle: list(handle),
    "readline": lambda handle: list(iter(handle.readline, "")),
    "read": lambda handle: handle.read(),
    "pandas": lambda handle: pd.read_csv(handle, sep="\t", header=None),
    "pandas chunks": lambda handle: list(pd.read_csv(handle, sep="\t", header=None, chunksize=100)),
}


@pytest.mark.parametrize("how", READS)
def test_truncated_gzip_names_the_line_where_the_data_stops(tmp_path, how):
    path = truncated(tmp_path / "peaks", ROWS.encode())
    line = complete_lines(path) + 1
    with pytest.raises(InputError, match=rf"peaks:{line}: {TRUNCATED}"), open_text(path) as handle:
        READS[how](handle)


@pytest.mark.parametrize("how", READS)
def test_latin1_text_names_line_and_column(tmp_path, how):
    path = tmp_path / "table.tsv"
    path.write_bytes(ROWS.encode() + "caf\xe9\t1\t2\n".encode("latin-1"))
    with pytest.raises(InputError, match=rf"table.tsv:20001: {NOT_UTF8}"), open_text(path) as handle:
        READS[how](handle)


def test_latin1_inside_gzip_and_corrupt_gzip(tmp_path):
    path = gzipped(tmp_path / "a", b"x\ty\ncaf\xe9\n")
    with pytest.raises(InputError, match=rf"a:2: {NOT_UTF8}"):
        first_line(path)  # text is decoded in blocks: a bad byte anywhere in the first block shows at once
    whole = bytearray(gzipped(tmp_path / "b", ROWS.encode()).read_bytes())
    whole[-8] ^= 0xFF  # the CRC in the trailer: every byte decompresses, the check at the end fails
    (tmp_path / "b").write_bytes(whole)
    with pytest.raises(InputError, match=r"b:20001: corrupt gzip data \(CRC check failed.*\): download it again"), \
            open_text(tmp_path / "b") as handle:
        handle.read()
    with pytest.raises(InputError, match=r"b:20001: corrupt gzip data"), open_bytes(tmp_path / "b") as handle:
        list(handle)


def test_handle_is_a_file_object_for_pandas(tmp_path):
    path = gzipped(tmp_path / "t", b"a\tb\n1\t2\n")
    with open_text(path) as handle:
        assert not handle.closed and "b" not in getattr(handle, "mode", "r")
        assert pd.read_csv(handle, sep="\t").to_dict("list") == {"a": [1], "b": [2]}
    assert handle.closed
    plain = tmp_path / "p.tsv"
    plain.write_bytes(b"\xef\xbb\xbfa\tb\n3\t4\n")  # a spreadsheet's UTF-8, with a byte-order mark
    assert first_line(plain) == "a\tb\n" and first_line(path) == "a\tb\n"


@pytest.mark.parametrize("reader, text", [
    (read_peaks, ROWS),
    (read_vcf, "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\n" + "chr1\t5\trs1\tA\tG\n" * 20_000),
    (read_gwas_table, "rsid\tchrom\tpos\tref\talt\n" + "rs1\tchr1\t5\tA\tG\n" * 20_000),
    (read_truth, "id\teffect\n" + "rs1\t1\nrs2\t0\n" * 10_000),
])
def test_every_reader_reports_a_damaged_input(tmp_path, reader, text):
    path = truncated(tmp_path / "input", text.encode())
    with pytest.raises(InputError, match=rf"input:{complete_lines(path) + 1}: {TRUNCATED}"):
        reader(path)
    path.write_bytes(text.encode() + b"caf\xe9\n")
    with pytest.raises(InputError, match=rf"input:{text.count(chr(10)) + 1}: {NOT_UTF8}"):
        reader(path)


def test_delimited_lines_keep_their_numbers_across_blocks_blank_lines_and_crlf(tmp_path, monkeypatch):
    monkeypatch.setattr("cisflow.io.textio.BLOCK", 50)
    rows = [f"r{i}\t{i}\n" if i % 7 else "\r\n" for i in range(1, 60)]
    path = gzipped(tmp_path / "t.tsv.gz", ("name\tvalue\r\n" + "".join(rows).replace("\t5\n", "\t5\r\n")).encode())
    header = read_header(path)
    table = pd.concat(delimited_chunks(path, header, {"value": 1}), ignore_index=True)
    assert table["value"].tolist() == [str(i) for i in range(1, 60) if i % 7]
    assert table["line"].tolist() == [i + 1 for i in range(1, 60) if i % 7]


@pytest.mark.parametrize("data, line, problem", [
    (b"a\tb\n1\t2\n3\t4\t5\n", 3, "3 fields, but the header has 2"),
    (b"a\tb\n1\t2\n3\n", 3, r"one field \(no tab: is the file tab-separated\?\), but the header has 2"),
    (b"a\tb\n1\t2\n3\r4\t5\n", 3, r"a carriage return \(\\r\) inside the line: line ends are \\n or \\r\\n"),
    (b"a\tb\n1\t2\n3\x00\t4\n", 3, "a NUL byte: binary data, not text"),
    (b"a\x00\tb\n1\t2\n", 1, "a NUL byte: binary data, not text"),
    (b"a\tb\n1\t2\n3\t\xe94\n", 3, NOT_UTF8.replace("column 4", "column 3")),
])
def test_a_delimited_line_out_of_shape_is_named(tmp_path, data, line, problem):
    path = tmp_path / "t.tsv"
    path.write_bytes(data)
    with pytest.raises(InputError, match=rf"^{path}:{line}: {problem}"):
        list(delimited_chunks(path, read_header(path), {"b": 1}))


def test_a_column_named_twice_cannot_be_chosen(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("##meta\n##more\nid\tp\tid\n1\t2\t3\n")
    header = read_header(path, meta="##")
    assert header.line == 3 and header.position(path, "p") == 1 and header.position(path, "q") is None
    with pytest.raises(InputError, match=rf"^{path}:3: column 'id' appears 2 times in the header"):
        header.position(path, "id")


def test_quoted_rows_take_quoted_separators_and_lines_and_refuse_short_rows(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('a,b\n"x, y",1\n\n"two\nlines",2\nz,3,,\n')
    header = read_header(path, ",", quoted=True)
    rows = quoted_rows(path, header, {"a": 0, "b": 1}, ",")
    assert rows.values.tolist() == [["x, y", "1", 2], ["two\nlines", "2", 4], ["z", "3", 6]]
    path.write_text('a,b\n"x, y",1\nz\n')
    with pytest.raises(InputError, match=rf"^{path}:3: one field \(no comma: is the file comma-separated\?\)"):
        quoted_rows(path, read_header(path, ",", quoted=True), {"a": 0}, ",")
