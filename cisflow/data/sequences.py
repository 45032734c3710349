"""Sequences of genomic regions, read from the indexed FASTA a chunk of regions at a time, and N-filtered."""

import logging
from collections.abc import Iterator

import numpy as np
import pandas as pd

from cisflow.encode import N_CODE
from cisflow.io.genome import read_fai, window_codes
from cisflow.types import PathLike

log = logging.getLogger(__name__)

CHUNK_ROWS = 65_536  # regions read at a time: 39 MB of 600-bp codes


def extract_regions(regions: pd.DataFrame, genome_path: PathLike,
                    index: dict[str, tuple[int, int, int, int]] | None = None) -> np.ndarray:
    """(n, width) codes of equal-width regions (rows in the order given); only the regions' own
    bytes of the genome are read. ``index``: the genome's .fai (``read_fai``), if already read."""
    widths = (regions["end"] - regions["start"]).unique()
    if len(widths) > 1:
        raise ValueError(f"regions must share one width, found {sorted(widths)[:5]}")
    width = int(widths[0]) if len(widths) else 0
    codes = np.empty((len(regions), width), np.uint8)
    index = index or read_fai(genome_path)
    starts = regions["start"].to_numpy()
    for chrom, rows in regions.groupby("chrom", sort=False).indices.items():
        codes[rows] = window_codes(genome_path, chrom, starts[rows], width, index)
    return codes


def region_chunks(regions: pd.DataFrame, genome_path: PathLike,
                  chunk_rows: int = CHUNK_ROWS) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (first row, codes) for each run of ``chunk_rows`` regions in order, so that the
    sequences of millions of regions are never all in memory at once."""
    index = read_fai(genome_path)
    for first in range(0, len(regions), chunk_rows):
        yield first, extract_regions(regions.iloc[first : first + chunk_rows], genome_path, index)


def n_fraction(codes: np.ndarray) -> np.ndarray:
    return (codes == N_CODE).mean(axis=1)


def filter_n(codes: np.ndarray, max_fraction: float) -> np.ndarray:
    """Boolean mask of rows with at most ``max_fraction`` N."""
    return n_fraction(codes) <= max_fraction
