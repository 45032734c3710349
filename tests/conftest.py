"""Tiny fixtures shared by the unit tests."""

import gzip

import numpy as np
import pytest

from cisflow.genome import prepare_fasta


def write_fasta(path, records, gzipped=False):
    opener = gzip.open if gzipped else open
    with opener(path, "wt") as out:
        for name, seq in records.items():
            out.write(f">{name}\n")
            for i in range(0, len(seq), 60):
                out.write(seq[i : i + 60] + "\n")
    return path


@pytest.fixture
def genome(tmp_path):
    """A two-contig genome, indexed: chrA 2,000 bp, chrB 1,000 bp of seeded random bases."""
    rng = np.random.default_rng(0)
    records = {name: "".join(rng.choice(list("ACGT"), size)) for name, size in [("chrA", 2000), ("chrB", 1000)]}
    source = write_fasta(tmp_path / "genome.fa.gz", records, gzipped=True)
    fasta = tmp_path / "genome.fa"
    prepare_fasta(source, fasta)
    return fasta, records
