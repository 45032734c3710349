"""What the intervals rule writes: the regions, their regions x samples matrix apart, and the counts.

    <dataset>.tsv.gz         TSV (gzipped): chrom, start, end (0-based, half-open), id, background
                             (1: a peak-free background region, added after the merged ones; 0: a
                             merged peak region)
    <dataset>.targets.npy    (regions, samples) uint8, 1 where a sample has a peak in the region; row i
                             is the table's row i (background rows all 0); read memory-mapped
    <dataset>.counts.json    how many peaks and regions each filter took, and ``samples``: the
                             matrix's columns, in order

The matrix stays binary from the intervals rule to the dataset (1.47M regions x 164 samples are 240 MB
as bytes, and were minutes of gzipped text). Read by the dataset build and by variant scoring (its
peaks are what background SNPs are matched on), neither of which needs the merging machinery of
``cisflow.data.intervals``.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from cisflow.io.atomic import atomic_path
from cisflow.io.errors import InputError
from cisflow.io.jsonio import write_json
from cisflow.io.textio import read_delimited, read_header, write_tsv
from cisflow.types import PathLike

COLUMNS = ["chrom", "start", "end", "id", "background"]


def write_intervals(regions: pd.DataFrame, targets: npt.ArrayLike, samples: Sequence[str], counts: Mapping[str, Any],
                    regions_out: PathLike, targets_out: PathLike, counts_out: PathLike) -> None:
    """Write the intervals rule's three outputs, each atomically.

    Parameters
    ----------
    regions : pandas.DataFrame
        (regions,) rows of chrom, start, end, id, background.
    targets : array_like
        (regions, samples) 0/1, row for row with ``regions``.
    samples : sequence of str
        The names of the columns of ``targets``.
    counts : Mapping
        The filters' counts; written with ``samples``.
    regions_out, targets_out, counts_out : str or Path
        The three outputs (module docstring).
    """
    write_tsv(regions[COLUMNS], regions_out, float_format=None)
    with atomic_path(targets_out) as tmp, open(tmp, "wb") as out:
        np.save(out, np.asarray(targets, dtype=np.uint8).reshape(len(regions), len(samples)))
    write_json(counts_out, {**counts, "samples": list(samples)})


def read_regions(path: PathLike) -> pd.DataFrame:
    """The regions table written by the intervals rule (TSV: chrom, start, end, id, background).

    A table without these columns (one of an older cisflow, with a column a sample) is an InputError,
    and so is a line of another number of fields, a coordinate that is not a non-negative integer, a
    start not before its end or a background that is not 0 or 1 (naming the line).
    """
    header = read_header(path)
    if [name.strip() for name in header.names] != COLUMNS:
        found = ", ".join(name.strip() for name in header.names[:6]) or "none (an empty file)"
        raise InputError(path, f"not a regions table of this cisflow: its columns are {found}, not "
                               f"{', '.join(COLUMNS)} (run the intervals rule again)", header.line or None)
    regions = read_delimited(path, header, {name: i for i, name in enumerate(COLUMNS)})
    lines = regions.pop("line").to_numpy()
    for column in ("start", "end", "background"):
        values = regions[column]
        bad = np.flatnonzero(~values.str.fullmatch(r"[0-9]{1,18}").to_numpy(dtype=bool))
        if bad.size:
            raise InputError(path, f"{column} {values.iat[bad[0]]!r} is not a non-negative integer", int(lines[bad[0]]))
        regions[column] = values.astype("int64")
    for bad, problem in ((regions["start"] >= regions["end"], "start is not before end"),
                         (~regions["background"].isin([0, 1]), "background is not 0 or 1")):
        if bad.any():
            raise InputError(path, problem, int(lines[np.flatnonzero(bad.to_numpy())[0]]))
    return regions


def read_intervals(regions_path: PathLike, targets_path: PathLike, counts_path: PathLike
                   ) -> tuple[pd.DataFrame, npt.NDArray[np.uint8], list[str], dict[str, Any]]:
    """The intervals rule's outputs: (regions, targets, samples, counts).

    ``targets`` is the (regions, samples) uint8 matrix, memory-mapped (nothing read until used);
    ``counts`` the filters' counts without ``samples``. A matrix whose shape does not fit the table
    and the samples is an InputError naming it.
    """
    regions = read_regions(regions_path)
    with open(counts_path) as handle:
        counts = json.load(handle)
    samples = counts.pop("samples")
    targets = np.load(targets_path, mmap_mode="r")
    if targets.dtype != np.uint8 or targets.shape != (len(regions), len(samples)):
        raise InputError(targets_path, f"holds a {' x '.join(map(str, targets.shape))} {targets.dtype} matrix, not the "
                                       f"{len(regions)} x {len(samples)} uint8 of {regions_path} and {counts_path}; "
                                       "run the intervals rule again")
    return regions, targets, samples, counts
