import pytest

from cisflow.encode import decode
from cisflow.errors import InputError
from cisflow.genome import contig_codes, contig_sizes, prepare_fasta, window_codes
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
        prepare_fasta(source, tmp_path / "out.fa")
    assert not (tmp_path / "out.fa").exists()


def test_contig_codes_match_pyfaidx_for_every_line_layout(tmp_path):
    records = {"a": "ACGTN" * 37, "b": "acgtACGT" * 15 + "A", "c": "G" * 60, "d": "T"}
    for width in (60, 7, 1):
        fasta = tmp_path / f"g{width}.fa"
        with open(tmp_path / "src.fa", "w") as out:
            for name, seq in records.items():
                lines = "".join(seq[i : i + width] + "\n" for i in range(0, len(seq), width))
                out.write(f">{name} description\n{lines}")
        prepare_fasta(tmp_path / "src.fa", fasta)
        for name, seq in records.items():
            assert decode(contig_codes(fasta, name)) == seq.upper()


def test_iupac_codes_become_n_and_other_characters_are_errors(tmp_path):
    source = write_fasta(tmp_path / "iupac.fa", {"chr1": "ACGTRYacgtkN"})
    prepare_fasta(source, tmp_path / "out.fa")
    assert decode(contig_codes(tmp_path / "out.fa", "chr1")) == "ACGTNNACGTNN"
    bad = write_fasta(tmp_path / "bad.fa", {"chr1": "ACGT", "chr2": "AC-GT"})
    with pytest.raises(InputError, match=r"bad.fa:4: character '-' is not a base"):
        prepare_fasta(bad, tmp_path / "bad_out.fa")
    headless = tmp_path / "headless.fa"
    headless.write_text("ACGT\n>chr1\nACGT\n")
    with pytest.raises(InputError, match=r"headless.fa:1: sequence before the first '>' header"):
        prepare_fasta(headless, tmp_path / "h_out.fa")
