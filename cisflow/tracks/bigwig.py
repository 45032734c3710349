"""bigWig files of the tracks, written with pybigtools: a value per tile (predictions) or per base
(contributions).

pybigtools (the Bigtools Rust library's bindings) writes bigWig and bigBed alike from Python tuples,
with zoom levels, and reads them back; pyBigWig writes no bigBed. A file's header names the contigs it has
values on with their lengths in the genome's .fai, so that a browser on that genome places the values.
"""

from collections.abc import Iterable, Iterator, Mapping

import numpy as np
import pybigtools

from cisflow.tracks.regions import Tiles
from cisflow.types import PathLike

Block = tuple[str, np.ndarray, np.ndarray, np.ndarray]
"""Intervals on one contig: its name, and (n,) starts, ends and values, sorted and not overlapping."""


def write_bigwig(path: PathLike, sizes: Mapping[str, int], blocks: Iterable[Block]) -> int:
    """Write the intervals of ``blocks`` to a bigWig file.

    Parameters
    ----------
    path : str or Path
        The file; its name ends in .bw or .bigWig (pybigtools chooses the format by it).
    sizes : dict of str to int
        The genome's contigs and lengths (its .fai).
    blocks : iterable of (chrom, starts, ends, values)
        The intervals a block of one contig at a time, in order (every block of a contig before the next
        contig's, each sorted by start), not overlapping, within their contig.

    Returns
    -------
    int
        The intervals written (at least one: pybigtools writes no readable file without).
    """
    written = [0]

    def intervals() -> Iterator[tuple[str, int, int, float]]:
        for chrom, starts, ends, values in blocks:
            written[0] += len(starts)
            yield from zip([chrom] * len(starts), starts.tolist(), ends.tolist(), values.tolist())

    pybigtools.open(str(path), "w").write(dict(sizes), intervals())
    return written[0]


def tile_blocks(tiles: Tiles, values: np.ndarray) -> Iterator[Block]:
    """Each contig's tiles with their ``values`` ((n,) array, one a tile), as bigWig blocks."""
    for chrom in dict.fromkeys(tiles.chroms.tolist()):
        at = np.flatnonzero(tiles.chroms == chrom)
        yield chrom, tiles.starts[at], tiles.ends[at], values[at]


def base_blocks(tiles: Tiles, values: np.ndarray, tiles_a_block: int = 4096) -> Iterator[Block]:
    """Each base of the tiles with its value, as bigWig blocks of up to ``tiles_a_block`` tiles.

    Parameters
    ----------
    tiles : Tiles
    values : (n, stride) array
        Each tile's bases' values, NaN past the end of a tile shorter than ``stride``.
    tiles_a_block : int
        Tiles a block (memory: a block's bases).

    Yields
    ------
    (chrom, starts, ends, values)
        One interval a base.
    """
    lengths = tiles.ends - tiles.starts
    for begin in range(0, len(tiles), tiles_a_block):
        rows = np.arange(begin, min(begin + tiles_a_block, len(tiles)))
        for chrom in dict.fromkeys(tiles.chroms[rows].tolist()):
            at = rows[tiles.chroms[rows] == chrom]
            inside = np.arange(values.shape[1]) < lengths[at, None]
            positions = (tiles.starts[at, None] + np.arange(values.shape[1]))[inside]
            yield chrom, positions, positions + 1, values[at][inside]
