import pytest

from cisflow.encode import decode
from cisflow.errors import InputError
from cisflow.genome import contig_sizes, open_genome, prepare_fasta, window_codes
from tests.conftest import write_fasta


def test_prepared_genome_reads_back(genome):
    fasta, records = genome
    assert contig_sizes(fasta) == {"chrA": 2000, "chrB": 1000}
    handle = open_genome(fasta)
    windows = window_codes(handle, "chrA", [0, 100], 50)
    assert [decode(w) for w in windows] == [records["chrA"][0:50], records["chrA"][100:150]]


def test_duplicate_contig_names_rejected(tmp_path):
    source = write_fasta(tmp_path / "dup.fa", {"chr1": "ACGT"})
    with open(source, "a") as out:
        out.write(">chr1 again\nACGT\n")
    with pytest.raises(InputError, match=r"dup.fa:3: contig 'chr1' appears twice \(first on line 1\)"):
        prepare_fasta(source, tmp_path / "out.fa")
    assert not (tmp_path / "out.fa").exists()
