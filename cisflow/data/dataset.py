"""The one dataset format of every study, and its splits: a directory of memory-mappable arrays plus
attributes.

    codes.npy    (n, length) uint8   A,C,G,T,N = 0..4, one byte a base
    targets.npy  (n, targets)        uint8 0/1 for classification, float32 for regression
    features.npy (n, features) float32, optional: per-sequence numbers beside the sequence (half-lives)
    split.npy    (n,) uint8          0 train, 1 valid, 2 test
    contig.npy   (n,) uint8/16/32    genome datasets: each row's chromosome, an index into attrs' contigs
    ids.txt      one id a line
    attrs.json   task, seq_len, targets, split rule, filter counts, source...

Arrays are opened with ``mmap_mode='r'``, so a dataset larger than memory can still be read.
Classification targets are bytes (1.47M regions x 164 samples: 240 MB, not 964 MB as float32):
a reader casts what it takes, a batch or a chunk at a time (``np.asarray(targets[rows],
np.float32)``), never the whole array. The dataset rule builds one (``cisflow.data.build``), a
block of rows at a time through ``dataset_writer``, so that the build's memory is set by a block,
not by the dataset; ``write_dataset`` writes one held in memory. Every later stage reads it from here.
"""

import contextlib
import dataclasses
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from cisflow.io.atomic import atomic_dir
from cisflow.io.contigs import karyotype_order
from cisflow.io.errors import ConfigError
from cisflow.io.jsonio import write_json
from cisflow.types import PathLike

SPLITS = {"train": 0, "valid": 1, "test": 2}
FORMAT = 2  # raised when the files change (2: contig.npy); a param of the dataset rule, so datasets are rebuilt


@dataclass
class Dataset:
    codes: np.ndarray
    targets: np.ndarray
    split: np.ndarray
    ids: list[str]
    attrs: dict[str, Any]
    features: np.ndarray | None = None
    chroms: np.ndarray | None = None  # (n,) each row's chromosome name (genome datasets)

    def indices(self, name: str) -> np.ndarray:
        """Row indices of the split ``name`` (train, valid or test)."""
        return np.flatnonzero(self.split == SPLITS[name])

    def features_of(self, rows: np.ndarray) -> np.ndarray | None:
        """The per-sequence features of ``rows`` as an array, or None for a dataset without them."""
        return None if self.features is None else np.asarray(self.features[rows])

    def with_split(self, split: np.ndarray) -> "Dataset":
        """The same dataset with the (n,) ``split`` codes in place of its own (a fold's), its
        attributes' split sizes counted anew."""
        split = np.asarray(split, np.uint8)
        sizes = {name: int((split == code).sum()) for name, code in SPLITS.items()}
        return dataclasses.replace(self, split=split, attrs={**self.attrs, "split_sizes": sizes})


TARGET_DTYPES = {"classification": np.uint8, "regression": np.float32}


@contextlib.contextmanager
def dataset_writer(path: PathLike, task: str) -> Iterator["DatasetWriter"]:
    """A ``DatasetWriter`` into a temporary directory beside ``path``, moved onto ``path`` once the
    block has finished the dataset; on error (or unfinished) nothing is left at ``path``."""
    with atomic_dir(path) as tmp:
        writer = DatasetWriter(tmp, task)
        try:
            yield writer
        finally:
            writer.close()
        if writer.attrs is None:
            raise RuntimeError(f"{path}: the dataset was left unfinished")


class DatasetWriter:
    """A dataset directory written a block of rows at a time.

    Codes (with their ids), targets and features are appended in row order, each at its own pace
    (a build may write every sequence before the first target); ``finish`` takes the split and
    the attributes, checks that each array has a row for every id and completes the files.
    ``task`` sets the targets' type (``TARGET_DTYPES``); classification targets must be 0 or 1.
    """

    def __init__(self, folder: PathLike, task: str) -> None:
        self.folder, self.task = Path(folder), task
        self.attrs: dict[str, Any] | None = None
        self.arrays: dict[str, _Rows] = {}
        self.n_ids = 0
        self.ids = open(self.folder / "ids.txt", "w")

    def add_codes(self, codes: np.ndarray, ids: Sequence[str]) -> None:
        """Append (rows, length) ``codes`` and their ``rows`` ids."""
        if len(codes) != len(ids):
            raise ValueError(f"{len(codes)} rows of codes for {len(ids)} ids")
        self._array("codes", np.uint8, codes)
        self.ids.write("".join(f"{i}\n" for i in ids))
        self.n_ids += len(ids)

    def add_targets(self, targets: np.ndarray) -> None:
        """Append (rows, targets) targets."""
        targets = np.asarray(targets)
        if self.task == "classification" and not np.isin(targets, (0, 1)).all():
            found = np.unique(targets[~np.isin(targets, (0, 1))])[:5]
            raise ValueError(f"classification targets are 0 or 1, not {', '.join(map(str, found))}")
        self._array("targets", TARGET_DTYPES[self.task], targets)

    def add_features(self, features: np.ndarray) -> None:
        """Append (rows, features) per-sequence features."""
        self._array("features", np.float32, features)

    def codes(self) -> np.ndarray:
        """The codes written so far, memory-mapped: (rows, length) uint8."""
        return self.arrays["codes"].written()

    def _array(self, name, dtype, rows):
        if name not in self.arrays:
            self.arrays[name] = _Rows(self.folder / f"{name}.npy", dtype, np.shape(rows)[1:])
        self.arrays[name].add(rows)

    def finish(self, split: np.ndarray, attrs: Mapping[str, Any],
               chroms: np.ndarray | Sequence[str] | None = None) -> dict[str, Any]:
        """Write the (n,) ``split``, each row's chromosome (``chroms``, genome datasets) and ``attrs``
        (which gain n, seq_len and split sizes, and the chromosome names); returns the attrs."""
        split = np.asarray(split, dtype=np.uint8)
        rows = {name: array.n for name, array in self.arrays.items()}
        if {"codes", "targets"} - set(rows) or len({*rows.values(), len(split), self.n_ids}) != 1:
            raise ValueError(f"codes, targets, split and ids differ in length ({rows}, split {len(split)}, ids "
                             f"{self.n_ids})")
        self.close()
        np.save(self.folder / "split.npy", split)
        attrs = {**attrs, "n": len(split), "seq_len": int(self.arrays["codes"].row[0]),
                 "split_sizes": {name: int((split == code).sum()) for name, code in SPLITS.items()}}
        if chroms is not None:
            names, index = np.unique(np.asarray(chroms, dtype=str), return_inverse=True)
            if len(index) != len(split):
                raise ValueError(f"{len(index)} chromosomes for {len(split)} rows")
            np.save(self.folder / "contig.npy", index.astype(np.min_scalar_type(max(len(names) - 1, 0))))
            attrs["contigs"] = names.tolist()
        write_json(self.folder / "attrs.json", attrs)
        self.attrs = attrs
        return attrs

    def close(self) -> None:
        self.ids.close()
        for array in self.arrays.values():
            array.close()


class _Rows:
    """An .npy file of (n, *row) ``dtype`` rows appended a block at a time; the header, which holds
    n, is written again on close (numpy pads it so that the row count can grow in place)."""

    def __init__(self, path, dtype, row):
        self.path, self.dtype, self.row, self.n = Path(path), np.dtype(dtype), tuple(row), 0
        self.file = open(self.path, "wb")
        self._header()
        self.data_start = self.file.tell()

    def _header(self):
        np.lib.format.write_array_header_1_0(self.file, {"descr": np.lib.format.dtype_to_descr(self.dtype),
                                                         "fortran_order": False, "shape": (self.n, *self.row)})

    def add(self, rows):
        rows = np.ascontiguousarray(rows, dtype=self.dtype)
        if rows.shape[1:] != self.row:
            raise ValueError(f"{self.path.name}: rows of shape {rows.shape[1:]} after rows of shape {self.row}")
        self.file.write(rows.tobytes())
        self.n += len(rows)

    def written(self):
        """The rows written so far, memory-mapped (read-only)."""
        self.file.flush()
        if not self.n:
            return np.empty((0, *self.row), self.dtype)
        return np.memmap(self.path, self.dtype, mode="r", offset=self.data_start, shape=(self.n, *self.row))

    def close(self):
        if self.file.closed:
            return
        self.file.seek(0)
        self._header()
        if self.file.tell() != self.data_start:
            raise RuntimeError(f"{self.path}: the .npy header changed length")
        self.file.close()


def write_dataset(path: PathLike, codes: np.ndarray, targets: np.ndarray, split: np.ndarray, ids: Sequence[str],
                  attrs: Mapping[str, Any], features: np.ndarray | None = None,
                  chroms: np.ndarray | Sequence[str] | None = None) -> dict[str, Any]:
    """Write the dataset directory of arrays in memory, atomically; ``attrs`` (with its ``task``)
    gains n, seq_len and split sizes (and with ``chroms``, each row's chromosome, the names)."""
    with dataset_writer(path, attrs["task"]) as writer:
        writer.add_codes(np.asarray(codes), ids)
        writer.add_targets(np.asarray(targets).reshape(len(ids), -1))
        if features is not None:
            writer.add_features(np.asarray(features).reshape(len(ids), -1))
        return writer.finish(split, attrs, chroms)


def read_attrs(path: PathLike) -> dict[str, Any]:
    return json.loads((Path(path) / "attrs.json").read_text())


def sequence_padding(attrs: Mapping[str, Any]) -> str:
    """The end at which a sequence shorter than a dataset's (or a model's, whose payload holds its
    dataset's attrs) is padded with N, as ``encode_padded`` takes it: a table or FASTA dataset's
    ``padding`` (its ``pad``); a genome dataset's windows (peaks, promoters) have none, being cut to
    length from the genome, and a shorter sequence is centred in them: 'both'."""
    return attrs.get("padding", "both")


def load_dataset(path: PathLike, mmap: bool = True) -> Dataset:
    path = Path(path)
    mode: Literal["r"] | None = "r" if mmap else None
    attrs = read_attrs(path)
    contig = path / "contig.npy"
    return Dataset(
        codes=np.load(path / "codes.npy", mmap_mode=mode),
        targets=np.load(path / "targets.npy", mmap_mode=mode),
        split=np.load(path / "split.npy"),
        ids=(path / "ids.txt").read_text().splitlines(),
        attrs=attrs,
        features=np.load(path / "features.npy", mmap_mode=mode) if (path / "features.npy").exists() else None,
        chroms=np.asarray(attrs["contigs"])[np.load(contig)] if contig.exists() else None,
    )


def split_by_chromosome(chroms: np.ndarray | Sequence[str], valid: Sequence[str],
                        test: Sequence[str]) -> np.ndarray:
    """Split codes for each row's chromosome: held-out chromosomes go to valid and test.

    A chromosome in both held-out sets, or held-out sets that catch no row (a typo, or names
    that differ from the genome's), are errors: they would leave a split silently empty.
    """
    overlap = karyotype_order(name for name in valid if name in test)
    if overlap:
        raise ConfigError("split", f"chromosomes in both valid and test: {', '.join(overlap)}")
    chroms = np.asarray(chroms)
    for name, held_out in (("valid", valid), ("test", test)):
        if not np.isin(chroms, list(held_out)).any():
            regions_on = karyotype_order(np.unique(chroms).tolist())
            raise ConfigError(f"split.{name}", f"no region lies on {', '.join(held_out)} "
                                               f"(regions are on {', '.join(regions_on[:10])})")
    split = np.zeros(len(chroms), np.uint8)
    split[np.isin(chroms, list(valid))] = SPLITS["valid"]
    split[np.isin(chroms, list(test))] = SPLITS["test"]
    if not (split == SPLITS["train"]).any():
        raise ConfigError("split", f"every region lies on the held-out chromosomes {', '.join([*valid, *test])}, "
                                   "so none is left to train on; hold out fewer chromosomes")
    return split


def split_random(n: int, valid: float, test: float, seed: int | None) -> np.ndarray:
    """Seeded random split with the given valid and test fractions.

    A split left empty (too few sequences for its fraction, or none left to train on) is an error.
    """
    order = np.random.default_rng(seed).permutation(n)
    n_valid, n_test = int(round(n * valid)), int(round(n * test))
    for name, fraction, size in (("valid", valid, n_valid), ("test", test, n_test)):
        if fraction and not size:
            raise ConfigError(f"split.{name}", f"{fraction} of {n:,} sequences rounds to none; more sequences or a "
                                               "larger fraction are needed")
    if n_valid + n_test >= n:
        raise ConfigError("split", f"valid {valid} and test {test} of {n:,} sequences leave none to train on")
    split = np.zeros(n, np.uint8)
    split[order[:n_valid]] = SPLITS["valid"]
    split[order[n_valid : n_valid + n_test]] = SPLITS["test"]
    return split


def subsample(indices: np.ndarray | Sequence[int], n: int | None, seed: int) -> np.ndarray:
    """At most ``n`` of ``indices``, drawn at random with ``seed``, in their original order.

    Parameters
    ----------
    indices : (N,) int array
        The indices to draw from (a split's rows of the dataset).
    n : int or None
        How many to keep; all of them (unchanged) when None or there are no more than ``n``.
    seed : int
        Seeds the draw.

    Returns
    -------
    (min(N, n),) int array
        The kept indices, in the order they had in ``indices`` (rows read in file order).
    """
    indices = np.asarray(indices)
    if n is None or len(indices) <= n:
        return indices
    kept = np.random.default_rng(seed).choice(len(indices), size=n, replace=False)
    return indices[np.sort(kept)]
