"""Tiny fixtures shared by the unit tests."""

import gzip

import numpy as np
import pytest

from cisflow.data.dataset import write_dataset
from cisflow.encode import encode
from cisflow.io.genome import prepare_genome

MOTIF = "TGACTCA"


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
    prepare_genome(source, fasta)
    return fasta, records


@pytest.fixture
def planted(tmp_path):
    """400 random 40-mers; half carry the motif (target 1) at a random place."""
    rng = np.random.default_rng(1)
    codes, labels = [], []
    for i in range(400):
        seq = "".join(rng.choice(list("ACGT"), 40))
        if i % 2:
            at = rng.integers(0, 40 - len(MOTIF))
            seq = seq[:at] + MOTIF + seq[at + len(MOTIF):]
        codes.append(encode(seq))
        labels.append([i % 2])
    split = np.array([0] * 280 + [1] * 60 + [2] * 60)
    write_dataset(tmp_path / "ds", np.array(codes), np.array(labels), split, [f"s{i}" for i in range(400)],
                  {"task": "classification", "targets": ["bound"]})
    return tmp_path / "ds"


def pytest_collection_modifyitems(items):
    """The SLURM tests last: once the loopback cluster is stopped, its client tools stay
    installed, and snakemake's SLURM plugin then probes the absent controller (sacct, squeue) at
    every start, about 9 s each, which would slow every workflow test after them."""
    items.sort(key=lambda item: item.get_closest_marker("slurm") is not None)
