"""The one dataset format of every study, and its splits: a directory of memory-mappable arrays plus
attributes.

    codes.npy    (n, length) uint8   A,C,G,T,N = 0..4, one byte a base
    targets.npy  (n, targets) float32
    features.npy (n, features) float32, optional: per-sequence numbers beside the sequence (half-lives)
    split.npy    (n,) uint8          0 train, 1 valid, 2 test
    ids.txt      one id a line
    attrs.json   task, seq_len, targets, split rule, filter counts, source...

Arrays are opened with ``mmap_mode='r'``, so a dataset larger than memory can still be read. The
dataset rule builds one (``cisflow.data.build``); every later stage reads it from here.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cisflow.io.atomic import atomic_dir

SPLITS = {"train": 0, "valid": 1, "test": 2}


@dataclass
class Dataset:
    codes: np.ndarray
    targets: np.ndarray
    split: np.ndarray
    ids: list
    attrs: dict
    features: np.ndarray | None = None

    def indices(self, name):
        """Row indices of the split ``name`` (train, valid or test)."""
        return np.flatnonzero(self.split == SPLITS[name])

    def features_of(self, rows):
        """The per-sequence features of ``rows`` as an array, or None for a dataset without them."""
        return None if self.features is None else np.asarray(self.features[rows])


def write_dataset(path, codes, targets, split, ids, attrs, features=None):
    """Write the dataset directory atomically; ``attrs`` gains n, seq_len and split sizes."""
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    targets = np.asarray(targets, dtype=np.float32).reshape(len(codes), -1)
    split = np.asarray(split, dtype=np.uint8)
    if not (len(codes) == len(targets) == len(split) == len(ids)):
        raise ValueError("codes, targets, split and ids differ in length")
    attrs = {**attrs, "n": len(codes), "seq_len": int(codes.shape[1]),
             "split_sizes": {name: int((split == code).sum()) for name, code in SPLITS.items()}}
    with atomic_dir(path) as tmp:
        np.save(tmp / "codes.npy", codes)
        np.save(tmp / "targets.npy", targets)
        np.save(tmp / "split.npy", split)
        if features is not None:
            np.save(tmp / "features.npy", np.asarray(features, dtype=np.float32).reshape(len(codes), -1))
        (tmp / "ids.txt").write_text("".join(f"{i}\n" for i in ids))
        (tmp / "attrs.json").write_text(json.dumps(attrs, indent=2) + "\n")
    return attrs


def read_attrs(path):
    return json.loads((Path(path) / "attrs.json").read_text())


def load_dataset(path, mmap=True):
    path = Path(path)
    mode = "r" if mmap else None
    return Dataset(
        codes=np.load(path / "codes.npy", mmap_mode=mode),
        targets=np.load(path / "targets.npy", mmap_mode=mode),
        split=np.load(path / "split.npy"),
        ids=(path / "ids.txt").read_text().splitlines(),
        attrs=read_attrs(path),
        features=np.load(path / "features.npy", mmap_mode=mode) if (path / "features.npy").exists() else None,
    )


def split_by_chromosome(chroms, valid, test):
    """Split codes for each row's chromosome: held-out chromosomes go to valid and test.

    A chromosome in both held-out sets, or held-out sets that catch no row (a typo, or names
    that differ from the genome's), are errors: they would leave a split silently empty.
    """
    overlap = set(valid) & set(test)
    if overlap:
        raise ValueError(f"chromosomes in both valid and test: {', '.join(sorted(overlap))}")
    chroms = np.asarray(chroms)
    for name, held_out in (("valid", valid), ("test", test)):
        if not np.isin(chroms, list(held_out)).any():
            raise ValueError(f"split.{name}: no region lies on {', '.join(held_out)} "
                             f"(regions are on {', '.join(sorted(set(chroms.tolist()))[:10])})")
    split = np.zeros(len(chroms), np.uint8)
    split[np.isin(chroms, list(valid))] = SPLITS["valid"]
    split[np.isin(chroms, list(test))] = SPLITS["test"]
    if not (split == SPLITS["train"]).any():
        raise ValueError(f"split: every region lies on the held-out chromosomes {', '.join([*valid, *test])}, "
                         f"so none is left to train on; hold out fewer chromosomes")
    return split


def split_random(n, valid, test, seed):
    """Seeded random split with the given valid and test fractions.

    A split left empty (too few sequences for its fraction, or none left to train on) is an error.
    """
    order = np.random.default_rng(seed).permutation(n)
    n_valid, n_test = int(round(n * valid)), int(round(n * test))
    for name, fraction, size in (("valid", valid, n_valid), ("test", test, n_test)):
        if fraction and not size:
            raise ValueError(f"split.{name}: {fraction} of {n:,} sequences rounds to none; more sequences or a "
                             "larger fraction are needed")
    if n_valid + n_test >= n:
        raise ValueError(f"split: valid {valid} and test {test} of {n:,} sequences leave none to train on")
    split = np.zeros(n, np.uint8)
    split[order[:n_valid]] = SPLITS["valid"]
    split[order[n_valid : n_valid + n_test]] = SPLITS["test"]
    return split
