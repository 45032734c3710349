"""Which windows the tracks take: regions (the held-out chromosomes whole, or a BED of loci), tiled at a
stride, their number bounded.

A region is cut into tiles of ``stride`` bases from its start (its last tile shorter where the stride does
not divide it); each tile's value is the model's answer for the window of ``seq_len`` bases centred on the
tile (``window_starts``), so a track is a step function whose steps are the tiles. Coordinates are 0-based
and half-open, as BED and bigWig have them.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cisflow.io.contigs import on_genome
from cisflow.io.errors import ConfigError, InputError
from cisflow.io.peaks import bed_records
from cisflow.types import PathLike

REGION_COLUMNS = ["chrom", "start", "end"]


@dataclass(frozen=True)
class Tiles:
    """Tiles along regions, in the regions' order: each tile's contig, start and end (0-based, half-open).

    Attributes
    ----------
    chroms : (n,) array of str
    starts, ends : (n,) int64 arrays
    """

    chroms: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    def __len__(self) -> int:
        return len(self.starts)


def held_out_regions(chromosomes: Sequence[str], sizes: Mapping[str, int]) -> pd.DataFrame:
    """The held-out chromosomes whole, as regions in the genome's order.

    Parameters
    ----------
    chromosomes : sequence of str
        The dataset split's valid and test chromosomes (the genome's names).
    sizes : dict of str to int
        The genome's contigs and lengths (its .fai).

    Returns
    -------
    DataFrame
        chrom, start (0), end (the contig's length), one row a chromosome.

    Raises
    ------
    ConfigError
        Naming ``tracks.regions`` where a chromosome is no contig of the genome.
    """
    missing = [name for name in chromosomes if name not in sizes]
    if missing:
        raise ConfigError("tracks.regions", f"held-out chromosome(s) {', '.join(missing)} of the dataset's split "
                                            f"are no contigs of the genome (it has {', '.join(list(sizes)[:6])}...)")
    regions = pd.DataFrame({"chrom": list(chromosomes), "start": 0, "end": [sizes[name] for name in chromosomes]})
    return merge_regions(regions, sizes)


def loci_regions(path: PathLike, sizes: Mapping[str, int], genome_path: PathLike,
                 aliases: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The loci of a BED file (BED3 or more columns) as regions: contig names mapped to the genome's, loci
    on contigs it lacks left out (counted in the log), ends past a contig's end cut there, overlapping or
    touching loci merged.

    Parameters
    ----------
    path : str or Path
        The BED file (gzipped or not; track, browser and comment lines skipped).
    sizes : dict of str to int
        The genome's contigs and lengths.
    genome_path : str or Path
        The genome, for messages.
    aliases : dict, optional
        Contig name -> the genome's (the config's ``contig_aliases``).

    Returns
    -------
    DataFrame
        chrom, start, end, in the genome's order of contigs, merged.

    Raises
    ------
    InputError
        Naming the file and line of a malformed record, or the file where no locus is on the genome or
        a locus starts past its contig's end.
    """
    records = [(fields[0], start, end) for _, fields, start, end in
               bed_records(path, 3, "at least 3 tab-separated columns (chrom, start, end)")]
    if not records:
        raise InputError(path, "no loci in the file")
    loci = on_genome(pd.DataFrame(records, columns=REGION_COLUMNS), path, sizes, genome_path, aliases, "loci")
    length = loci["chrom"].map(sizes).to_numpy()
    past = loci["start"].to_numpy() >= length
    if past.any():
        first = loci[past].iloc[0]
        raise InputError(path, f"{past.sum()} loci start past their contig's end ({first.chrom}:{first.start:,}; "
                               f"{first.chrom} has {sizes[first.chrom]:,} bases): another genome build?")
    return merge_regions(loci.assign(end=np.minimum(loci["end"].to_numpy(), length)), sizes)


def merge_regions(regions: pd.DataFrame, sizes: Mapping[str, int]) -> pd.DataFrame:
    """``regions`` sorted in the genome's order (contigs as in ``sizes``, then start), those that overlap or
    touch merged into one.

    Parameters
    ----------
    regions : DataFrame
        chrom, start, end (0-based, half-open), on contigs of ``sizes``.
    sizes : dict of str to int
        The genome's contigs in its order.

    Returns
    -------
    DataFrame
        chrom, start, end, a fresh index.
    """
    order = {name: index for index, name in enumerate(sizes)}
    ranked = regions.assign(_contig=regions["chrom"].map(order)).sort_values(["_contig", "start", "end"],
                                                                            kind="mergesort")
    merged: list[list] = []
    for chrom, start, end in ranked[REGION_COLUMNS].itertuples(index=False):
        if merged and merged[-1][0] == chrom and start <= merged[-1][2]:
            merged[-1][2] = max(merged[-1][2], end)
        else:
            merged.append([chrom, int(start), int(end)])
    return pd.DataFrame(merged, columns=REGION_COLUMNS).astype({"start": np.int64, "end": np.int64})


def tile(regions: pd.DataFrame, stride: int) -> Tiles:
    """Each region cut into tiles of ``stride`` bases from its start, the last one shorter where ``stride``
    does not divide the region.

    Parameters
    ----------
    regions : DataFrame
        chrom, start, end, not overlapping (``merge_regions``).
    stride : int
        Bases a tile.

    Returns
    -------
    Tiles
    """
    starts = [np.arange(start, end, stride, dtype=np.int64) for start, end in zip(regions["start"], regions["end"])]
    counts = [len(part) for part in starts]
    tile_starts = np.concatenate(starts) if starts else np.empty(0, np.int64)
    tile_ends = np.minimum(tile_starts + stride, np.repeat(regions["end"].to_numpy(np.int64), counts))
    return Tiles(np.repeat(regions["chrom"].to_numpy(str), counts), tile_starts, tile_ends)


def window_count(regions: pd.DataFrame, stride: int) -> int:
    """How many windows (tiles) ``tile`` cuts ``regions`` into, without cutting them."""
    return int((-(-(regions["end"] - regions["start"]) // stride)).sum())


def check_window_count(regions: pd.DataFrame, stride: int, max_windows: int, key: str) -> int:
    """The windows of ``regions`` at ``stride``, refused where more than ``max_windows``.

    Parameters
    ----------
    regions : DataFrame
        chrom, start, end.
    stride, max_windows : int
        The tracks' settings.
    key : str
        The tracks' place in the config (``experiments.<name>.tracks``), for the message.

    Returns
    -------
    int
        The number of windows.

    Raises
    ------
    ConfigError
        Naming ``<key>.max_windows``, the count and what to change.
    """
    count = window_count(regions, stride)
    if count > max_windows:
        bases = int((regions["end"] - regions["start"]).sum())
        raise ConfigError(f"{key}.max_windows", f"{bases:,} bases of regions at stride {stride} are {count:,} "
                                                f"windows, more than max_windows ({max_windows:,}): raise "
                                                f"{key}.stride, give fewer regions (a BED of loci as "
                                                f"{key}.regions), or raise {key}.max_windows; each window costs "
                                                "a forward pass of every member (its contributions about 3 more)")
    return count


def window_starts(tiles: Tiles, seq_len: int) -> np.ndarray:
    """(n,) int64 start of the window of ``seq_len`` bases centred on each tile (its centre the tile's
    middle base, the right one of two; negative or past the contig's end near its ends)."""
    return (tiles.starts + tiles.ends) // 2 - seq_len // 2
