import pyfaidx
import pytest

from cisflow.encode import decode
from cisflow.io.errors import InputError
from cisflow.io.genome import contig_codes, contig_sizes, open_genome, prepare_genome, window_codes
from tests.conftest import write_fasta


def test_prepared_genome_reads_back(genome):
    fasta, records = genome
    assert contig_sizes(fasta) == {"chrA": 2000, "chrB": 1000}
    windows = window_codes(fasta, "chrA", [0, 100], 50)
    assert [decode(w) for w in windows] == [records["chrA"][0:50], records["chrA"][100:150]]


def test_duplicate_contig_names_rejected(tmp_path):
    source = write_fasta(tmp_path / "dup.fa", {"chr1": "ACGT"})
    with open(source, "a") as out:
        out.write(">chr1 again\nACGT\n")
    with pytest.raises(InputError, match=r"dup.fa:3: contig 'chr1' appears twice \(first on line 1\)"):
        prepare_genome(source, tmp_path / "out.fa")
    assert not (tmp_path / "out.fa").exists()


def test_contig_codes_match_pyfaidx_for_every_line_layout(tmp_path):
    records = {"a": "ACGTN" * 37, "b": "acgtACGT" * 15 + "A", "c": "G" * 60, "d": "T"}
    for width in (60, 7, 1):
        fasta = tmp_path / f"g{width}.fa"
        with open(tmp_path / "src.fa", "w") as out:
            for name, seq in records.items():
                lines = "".join(seq[i : i + width] + "\n" for i in range(0, len(seq), width))
                out.write(f">{name} description\n{lines}")
        prepare_genome(tmp_path / "src.fa", fasta)
        for name, seq in records.items():
            assert decode(contig_codes(fasta, name)) == seq.upper()


def test_iupac_codes_become_n_and_other_characters_are_errors(tmp_path):
    source = write_fasta(tmp_path / "iupac.fa", {"chr1": "ACGTRYacgtkN"})
    prepare_genome(source, tmp_path / "out.fa")
    assert decode(contig_codes(tmp_path / "out.fa", "chr1")) == "ACGTNNACGTNN"
    bad = write_fasta(tmp_path / "bad.fa", {"chr1": "ACGT", "chr2": "AC-GT"})
    with pytest.raises(InputError, match=r"bad.fa:4: character '-' is not a base"):
        prepare_genome(bad, tmp_path / "bad_out.fa")
    headless = tmp_path / "headless.fa"
    headless.write_text("ACGT\n>chr1\nACGT\n")
    with pytest.raises(InputError, match=r"headless.fa:1: sequence before the first '>' header"):
        prepare_genome(headless, tmp_path / "h_out.fa")


def left(folder):
    return sorted(path.name for path in folder.iterdir())


def test_damaged_or_malformed_genome_leaves_no_output(tmp_path):
    source = write_fasta(tmp_path / "g.fa.gz", {"chr1": "ACGT" * 5000}, gzipped=True)
    whole = source.read_bytes()
    source.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError, match=r"g.fa.gz:\d+: truncated gzip file .*: download it again"):
        prepare_genome(source, tmp_path / "out" / "g.fa")
    for text, message in [
        (b">chr1\nACGT\n>chr2\n>chr3\nAC\n", r"g.fa:3: contig 'chr2' has no sequence"),
        (b">chr1\nACGT\n>chr2\n", r"g.fa:3: contig 'chr2' has no sequence"),
        (b">chr1\nACGT\n>chr\xe9 Latin-1\nAC\n", r"g.fa:3: contig name 'chr\\xe9' is not ASCII: genome FASTA ids are "
                                                r"plain ASCII \(chr1, NC_000001.11\)"),
    ]:
        (tmp_path / "g.fa").write_bytes(text)
        with pytest.raises(InputError, match=message):
            prepare_genome(tmp_path / "g.fa", tmp_path / "out" / "g.fa")
    assert left(tmp_path / "out") == []


def test_any_line_layout_is_rewrapped_and_indexed_as_pyfaidx_would(tmp_path):
    """Ragged lines, a contig on one line, CRLF and blank lines: written 60 bases a line, with the
    .fai that pyfaidx builds for the written file."""
    records = {"a": "ACGTN" * 37, "b": "acgt" * 40, "c": "G" * 60, "d": "T"}
    src = tmp_path / "src.fa"
    src.write_text(f">a desc\n{records['a'][:7]}\n{records['a'][7:100]}\n\n{records['a'][100:]}\n"
                   f">b\r\n{records['b']}\r\n>c\n{records['c']}\n>d\nT")
    prepare_genome(src, tmp_path / "g.fa")
    lines = (tmp_path / "g.fa").read_text().splitlines()
    assert lines[:6] == [">a desc", *(records["a"][i : i + 60] for i in range(0, 185, 60)), ">b"]
    fai = (tmp_path / "g.fa.fai").read_text()
    (tmp_path / "copy.fa").write_bytes((tmp_path / "g.fa").read_bytes())
    pyfaidx.Faidx(str(tmp_path / "copy.fa")).close()
    assert fai == (tmp_path / "copy.fa.fai").read_text()
    genome = open_genome(tmp_path / "g.fa")
    assert {name: genome[name][:] for name in records} == records
    genome.close()


def test_open_genome_refuses_what_it_cannot_read(tmp_path):
    with pytest.raises(InputError, match=r"hg19.fa: genome FASTA not found"):
        open_genome(tmp_path / "hg19.fa")
    gzipped = write_fasta(tmp_path / "hg19.fa.gz", {"chr1": "ACGT"}, gzipped=True)
    with pytest.raises(InputError, match=r"hg19.fa.gz: the genome FASTA is gzipped; .* must be uncompressed: "
                                         r"gunzip it \(bgzip is not supported either\)"):
        open_genome(gzipped)
    ragged = tmp_path / "ragged.fa"
    ragged.write_text(">chr1\nACG\nACGTACGT\nA\n")
    with pytest.raises(InputError, match=r"ragged.fa: cannot be indexed: .* line 3.*; rewrap it to lines of one "
                                         r"length \(seqtk seq -l 60 in.fa > out.fa\)"):
        open_genome(ragged)
    assert left(tmp_path) == ["hg19.fa.gz", "ragged.fa"]


@pytest.mark.filterwarnings("ignore:Index file .* is older than FASTA file")  # pyfaidx's, by mtime
def test_open_genome_indexes_a_plain_fasta_and_refuses_a_stale_index(tmp_path):
    fasta = write_fasta(tmp_path / "g.fa", {"chr1": "ACGT" * 40, "chr2": "ACGTAC"})
    genome = open_genome(fasta)  # the CLI takes a FASTA without .fai
    assert genome["chr2"][:] == "ACGTAC" and (tmp_path / "g.fa.fai").exists()
    genome.close()
    text = fasta.read_text()
    stale = r"g.fa.fai: does not match .*g.fa \(the FASTA changed after it was indexed\): delete .*g.fa.fai and run"
    for changed in [text + ">chr3\nAAAA\n", text.replace("ACGTAC", "ACGTA"), text.replace("\n", "\r\n"),
                    text.replace("ACGT" * 15 + "\n", "ACGT" * 15, 1) + "\n"]:
        fasta.write_text(changed)
        with pytest.raises(InputError, match=stale):
            open_genome(fasta)
    fasta.write_text(text.rstrip("\n") + "\n\n")  # blank lines after the last base still fit
    open_genome(fasta).close()


@pytest.mark.parametrize("width, newline", [(60, "\n"), (7, "\n"), (1, "\n"), (13, "\r\n"), (1000, "\n")])
def test_window_codes_read_any_line_layout_pyfaidx_indexes(tmp_path, width, newline):
    """Windows at every start (dense: read from their span) and a few far apart (sparse: cut from
    their lines, the last ones from the contig's tail), on files of any line width and line end
    (one line a contig with 1000), indexed by pyfaidx: the bases of the sequence, whatever lines
    they cross."""
    import numpy as np

    rng = np.random.default_rng(width)
    records = {"a": "".join(rng.choice(list("ACGTNacgt"), 301)), "b": "ACGTTGCA" * 9}
    fasta = tmp_path / "g.fa"
    with open(fasta, "w", newline="") as out:
        for name, seq in records.items():
            out.write(f">{name}{newline}" + "".join(seq[i : i + width] + newline for i in range(0, len(seq), width)))
    pyfaidx.Faidx(str(fasta)).close()
    for name, seq in records.items():
        for size in (1, 25, 61, len(seq)):
            every = rng.permutation(len(seq) - size + 1)
            for starts in (every, [len(seq) - size, 0], every[:3], [len(seq) - size - 1, 2, len(seq) - size]):
                starts = [start for start in starts if 0 <= start <= len(seq) - size]
                windows = window_codes(fasta, name, starts, size)
                assert [decode(w) for w in windows] == [seq[s : s + size].upper() for s in starts]
    assert window_codes(fasta, "a", [], 5).shape == (0, 5)


TRICKY = (b"\n>a desc\r\nACGTRY\r\n\r\nacg\r\n" + b"T" * 130 + b"\r\n>b\nNNNN\nacgtn\n>c  x\n" + b"G" * 61
          + b"\r")


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64])
def test_prepare_genome_reads_any_block_size_alike(tmp_path, monkeypatch, block):
    """Blocks that cut a header, a CRLF or a line of bases anywhere give the file, the index and
    the error lines of one read whole."""
    from cisflow.io import genome

    (tmp_path / "src.fa").write_bytes(TRICKY)
    prepare_genome(tmp_path / "src.fa", tmp_path / "whole.fa")
    monkeypatch.setattr(genome, "_BLOCK", block)
    prepare_genome(tmp_path / "src.fa", tmp_path / "blocks.fa")
    assert (tmp_path / "blocks.fa").read_bytes() == (tmp_path / "whole.fa").read_bytes()
    assert (tmp_path / "blocks.fa.fai").read_text() == (tmp_path / "whole.fa.fai").read_text()
    assert contig_sizes(tmp_path / "blocks.fa") == {"a": 139, "b": 9, "c": 61}
    assert decode(contig_codes(tmp_path / "blocks.fa", "a"))[:9] == "ACGTNNACG"
    for text, message in [(TRICKY.replace(b"acgtn", b"ac\rtn"), r"src.fa:9: character '\\r' is not a base"),
                          (TRICKY.replace(b"NNNN", b"NN-N"), r"src.fa:8: character '-' is not a base"),
                          (TRICKY.replace(b"acgtn", b"ac>tn"), r"src.fa:9: character '>' is not a base"),
                          (TRICKY.replace(b">b\n", b">a\n"), r"src.fa:7: contig 'a' appears twice \(first on line 2\)"),
                          (b"\r\n\nAC\n>a\nAC\n", r"src.fa:3: sequence before the first '>' header"),
                          (TRICKY.replace(b"NNNN\nacgtn\n", b""), r"src.fa:7: contig 'b' has no sequence")]:
        (tmp_path / "src.fa").write_bytes(text)
        with pytest.raises(InputError, match=message):
            prepare_genome(tmp_path / "src.fa", tmp_path / "bad.fa")


@pytest.mark.parametrize("index, line", [("chr1\t160\t6\t60\t61\nchr2\tsix\t175\t6\t7\n", 2),
                                         ("chr1\t160\t6\t60\n", 1), ("chr1 160 6 60 61\n", 1), ("", None)])
def test_a_fai_that_is_no_index_is_named_with_its_line(tmp_path, index, line):
    fasta = write_fasta(tmp_path / "g.fa", {"chr1": "ACGT" * 40, "chr2": "ACGTAC"})
    (tmp_path / "g.fa.fai").write_text(index)
    where = f"{fasta}.fai:{line}: not a FASTA index entry" if line else f"{fasta}.fai: an empty FASTA index"
    with pytest.raises(InputError, match=rf"^{where}.*delete {fasta}.fai and run again to index {fasta} anew"):
        open_genome(fasta)
    assert (tmp_path / "g.fa.fai").read_text() == index  # left as it was, for the user to look at
