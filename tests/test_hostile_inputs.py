"""Every reader of cisflow.io (and the dbSNP reader of the variant stage) fed hostile files: a missing required
column or one named twice, a garbage line in the middle, a line of one field more or less, a truncated gzip,
binary junk, an empty file, CRLF line ends, a header alone. Each refuses them with an InputError whose message
starts with the file (and the line where there is one) and says what is wrong, never a library's own error;
CRLF reads as LF."""

import gzip
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from cisflow.config.samples import read_samples
from cisflow.io.credible_sets import read_credible_sets
from cisflow.io.errors import InputError
from cisflow.io.fasta import read_fasta
from cisflow.io.genome import prepare_genome, read_fai
from cisflow.io.gwas import read_gwas_table
from cisflow.io.gwas_catalog import read_gwas_catalog
from cisflow.io.liftover import lift_variants
from cisflow.io.panel import read_panel
from cisflow.io.peaks import read_peaks
from cisflow.io.regions import read_regions
from cisflow.io.sumstats import read_sumstats
from cisflow.io.tables import Table
from cisflow.io.truth import read_truth
from cisflow.io.vcf import read_vcf
from cisflow.variants.alleles import read_dbsnp_alleles

DATA = Path(__file__).parent / "data"
SAMPLES_SCHEMA = Path(__file__).resolve().parents[1] / "cisflow" / "schemas" / "samples.schema.yaml"
FASTA = ">a\nACGT\n>b\nGGCC\n>c\nAAAA\n"
VCF_HEAD = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
PANEL_HEAD = ("##fileformat=VCFv4.2\n##contig=<ID=1>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"GT\">\n"
              "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\n")
CHAIN = ("chain 1000 chrA 1000 + 0 1000 chrA 2000 + 100 1090 1\n400\t10\t0\n590\n\n"
         "chain 500 chrM 50 + 0 50 chrA 2000 - 950 1000 2\n50\n\n")
GARBAGE = "@@ not a record @@\n"
JUNK = b"\x00\x01\xff\xfe junk\n"


def _frame(table):
    return table.reset_index(drop=True).to_dict("list")


def _lifted(path):
    variants = pd.DataFrame({"chrom": ["chrA"], "pos": [201], "id": ["a"], "ref": ["A"], "alt": ["G"], "line": [1]})
    return _frame(lift_variants(variants, path))


def _prepared(path):
    prepare_genome(path, f"{path}.out.fa")
    return Path(f"{path}.out.fa").read_text()


def _fai(path):
    """read_fai of a FASTA beside the hostile .fai at ``path``."""
    fasta = Path(str(path).removesuffix(".fai"))
    fasta.write_text(FASTA)
    return read_fai(fasta)


def _table(path):
    table = Table.read(path, headerless=False)
    return table.ids("id"), table.numbers(["y"]).tolist(), list(table.column("seq"))


def _panel(path):
    genotypes = read_panel(path, {"1": [(1, 100)]}, ["1"])
    return genotypes.pos.tolist(), genotypes.dosage.tolist()


@dataclass
class Reader:
    """A reader, a file it reads, where its records start (0-based line), and what can be done to the file."""

    read: object
    text: str
    first: int = 1  # the first record's 0-based line (the header lines above it)
    required: str = None  # a required column of the header, renamed for the missing-column case
    fielded: bool = True  # records of fields: one more or less is refused
    name: str = "input"
    skipped: dict = field(default_factory=dict)  # hostile case -> why this reader cannot refuse it

    def path(self, tmp_path, how):
        return tmp_path / (f"{self.name}.fai" if self.read is _fai else f"{self.name}.{how}")


READERS = {
    "fasta": Reader(lambda path: list(read_fasta(path)), FASTA, first=0, fielded=False),
    "genome": Reader(_prepared, FASTA, first=0, fielded=False),
    "fai": Reader(_fai, "a\t4\t3\t4\t5\nb\t4\t11\t4\t5\nc\t4\t19\t4\t5\n", first=0, name="genome.fa",
                  skipped={"extra_field": "a FASTQ's index has a sixth column; the first five are read"}),
    "peaks": Reader(lambda path: _frame(read_peaks(path)), "chr1\t10\t20\nchr1\t30\t40\nchr1\t50\t60\n", first=0,
                    skipped={"extra_field": "BED3 to BED6 lines may mix"}),
    "regions": Reader(lambda path: _frame(read_regions(path)), "chrom\tstart\tend\tid\tbackground\n"
                      "chr1\t0\t10\tr1\t0\nchr1\t20\t30\tr2\t0\nchr1\t40\t50\tr3\t1\n", required="start"),
    "samplesheet": Reader(lambda path: read_samples(path, SAMPLES_SCHEMA),
                          "sample\turl\nA\thttp://x/a.bed\nB\thttp://x/b.bed\nC\thttp://x/c.bed\n", required="url"),
    "tables": Reader(_table, "id\tseq\ty\na\tACGT\t1.0\nb\tACGA\t2.0\nc\tACGG\t3.0\n", required="seq"),
    "vcf": Reader(lambda path: _frame(read_vcf(path)), VCF_HEAD + "".join(
        f"chr1\t{pos}\trs{pos}\tA\tG\t.\t.\t.\n" for pos in range(5, 9)), first=2, fielded=False),
    "gwas": Reader(lambda path: _frame(read_gwas_table(path)), "rsid\tchrom\tpos\tref\talt\n"
                   "rs1\t1\t5\tA\tG\nrs2\t1\t6\tA\tG\nrs3\t1\t7\tA\tG\n", required="pos"),
    "catalog": Reader(lambda path: _frame(read_gwas_catalog(path)),
                      "".join((DATA / "gwas_catalog_associations.tsv").read_text().splitlines(True)[:6]),
                      required="CHR_POS"),
    "sumstats": Reader(lambda path: _frame(read_sumstats(path)),
                       "chromosome\tbase_pair_location\teffect_allele\tother_allele\tp_value\n"
                       "1\t5\tA\tG\t1e-10\n1\t6\tA\tG\t1e-10\n1\t7\tA\tG\t1e-10\n", required="base_pair_location"),
    "credible_sets": Reader(lambda path: _frame(read_credible_sets(path)),
                            (DATA / "credible_sets" / "credible_sets.tsv").read_text(), required="pip"),
    "truth": Reader(lambda path: _frame(read_truth(path).astype(str)),
                    "id\teffect\nrs1\tdestroys\nrs2\tneutral\nrs3\tneutral\n", required="effect"),
    "chain": Reader(_lifted, CHAIN, first=0),
    "dbsnp": Reader(lambda path: read_dbsnp_alleles(path, ["rs5", "rs7"]), VCF_HEAD + "".join(
        f"chr1\t{pos}\trs{pos}\tA\tG\t.\t.\t.\n" for pos in range(5, 9)), first=2, required="ID"),
    "panel": Reader(_panel, PANEL_HEAD + "".join(f"1\t{pos}\trs{pos}\tA\tG\t.\t.\t.\tGT\t0|1\t1|1\n"
                                                 for pos in range(5, 9)), first=4, skipped={
        "garbage_line": "htslib reads a line of one field as a record of an undeclared contig, which is skipped",
        "binary_line": "as garbage_line", "extra_field": "htslib reads as many genotypes as the header has samples"}),
}


def _lines(reader):
    return reader.text.splitlines(keepends=True)


def _hostile(reader, how):
    """(bytes of the hostile file, the line its message must name or None, a word of its problem)."""
    lines, first = _lines(reader), reader.first
    after = "".join(lines[: first + 1])  # the header and the first record; the fault goes below them
    below = "".join(lines[first + 1 :])
    record = lines[first + 1].rstrip("\n")
    if how == "garbage_line":
        return (after + GARBAGE + below).encode(), first + 2, None
    if how == "binary_line":
        return after.encode() + JUNK + below.encode(), first + 2, r"UTF-8|NUL|not a base"
    if how == "extra_field":
        return (after + record + "\textra\n" + "".join(lines[first + 2 :])).encode(), first + 2, r"field|base"
    if how == "fewer_fields":
        shorter = "\t".join(record.split("\t")[:-1])
        return (after + shorter + "\n" + "".join(lines[first + 2 :])).encode(), first + 2, None
    if how in ("missing_column", "duplicate_column"):
        names = lines[first - 1].rstrip("\n").split("\t")
        if how == "missing_column":
            names[names.index(reader.required)] = "renamed"
        else:  # another column named as the required one
            names[-1 if names[-1] != reader.required else 0] = reader.required
        header = "\t".join(names) + "\n"
        return ("".join(lines[: first - 1]) + header + "".join(lines[first:])).encode(), first, None
    if how == "truncated_gz":
        whole = gzip.compress(reader.text.encode())
        return whole[: len(whole) * 2 // 3], True, r"truncated gzip file"
    if how == "binary":
        return bytes(range(256)) * 8, False, None
    return b"", False, None  # empty


FAULTS = ("garbage_line", "binary_line", "extra_field", "fewer_fields", "missing_column", "duplicate_column",
          "truncated_gz", "binary", "empty")
CASES = [(name, how) for name, reader in READERS.items() for how in FAULTS
         if how not in reader.skipped and (how not in ("extra_field", "fewer_fields") or reader.fielded)
         and (how not in ("missing_column", "duplicate_column") or reader.required)]


@pytest.mark.parametrize("name, how", CASES)
def test_a_hostile_file_is_an_input_error_naming_the_file_and_the_problem(tmp_path, name, how):
    reader = READERS[name]
    path = reader.path(tmp_path, how)
    data, line, problem = _hostile(reader, how)
    path.write_bytes(data)
    with pytest.raises(InputError) as raised:
        reader.read(path)
    message = str(raised.value)
    if line is True:  # somewhere in the file: a line is named
        assert raised.value.line is not None and message.startswith(f"{path}:{raised.value.line}: "), message
    elif line:
        assert message.startswith(f"{path}:{line}: "), message
    else:
        assert message.startswith(f"{path}"), message
    if how in ("missing_column", "duplicate_column"):
        assert reader.required in message, message
    if problem:
        assert re.search(problem, message), message


@pytest.mark.parametrize("name", READERS)
def test_crlf_line_ends_read_as_lf(tmp_path, name):
    reader = READERS[name]
    lf, crlf = reader.path(tmp_path / "lf", "lf"), reader.path(tmp_path / "crlf", "crlf")
    for path, text in ((lf, reader.text), (crlf, reader.text.replace("\n", "\r\n"))):
        path.parent.mkdir()
        path.write_bytes(text.encode())
    assert reader.read(crlf) == reader.read(lf)


@pytest.mark.parametrize("name", READERS)
def test_a_header_alone_is_refused_or_read_as_nothing(tmp_path, name):
    reader = READERS[name]
    path = reader.path(tmp_path, "header")
    path.write_text("".join(_lines(reader)[: reader.first]))
    try:
        result = reader.read(path)
    except InputError as error:
        assert str(error).startswith(str(path)), error
    else:
        assert all(len(part) == 0 for part in (result.values() if isinstance(result, dict) else result)), result
