"""Peak-free background windows (``background_regions``: drawn in rounds, checked by array) against
drawing them one at a time, each checked and inserted into its contig's sorted starts (how they were
drawn before), side by side on the same regions of hg19's contig sizes; then cisflow's alone at the
Basset study's size (1.5M regions, one window each, as ``background: 1`` asks). Both must give windows
clear of the regions and of each other. Prints `bench <name>: <value> <unit>` lines.
"""

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scale_data import contig_sizes  # noqa: E402
from cisflow.data.negatives import background_regions  # noqa: E402

WIDTH = 600
SIZES = {name: int(length) for name, length in contig_sizes(1.0).items()}


def one_at_a_time(regions, n, width, sizes, seed):
    """The baseline: a window drawn, checked against its contig's sorted starts and inserted, n times."""
    rng = np.random.default_rng(seed)
    names = list(sizes)
    room = np.array([sizes[c] - width for c in names], np.float64)
    taken = {c: np.sort(g["start"].to_numpy()) for c, g in regions.groupby("chrom")}
    picked = []
    while len(picked) < n:
        chrom = names[rng.choice(len(names), p=room / room.sum())]
        start = int(rng.integers(0, sizes[chrom] - width + 1))
        starts = taken.get(chrom, np.empty(0, np.int64))
        near = np.searchsorted(starts, [start - width, start + width])
        if near[1] == near[0]:
            taken[chrom] = np.insert(starts, np.searchsorted(starts, start), start)
            picked.append((chrom, start))
    return pd.DataFrame(picked, columns=["chrom", "start"])


def regions_of(n, seed=0):
    rng = np.random.default_rng(seed)
    names = list(SIZES)
    length = np.array([SIZES[c] for c in names], np.float64)
    chrom = rng.choice(len(names), n, p=length / length.sum())
    start = (rng.random(n) * (length[chrom] - WIDTH)).astype(np.int64)
    return pd.DataFrame({"chrom": np.array(names, dtype=object)[chrom], "start": start, "end": start + WIDTH})


def check(regions, windows):
    for name, group in windows.groupby("chrom"):
        starts = np.sort(group["start"].to_numpy())
        others = np.sort(regions.loc[regions["chrom"] == name, "start"].to_numpy())
        assert (np.diff(starts) >= WIDTH).all()
        at = np.searchsorted(others, starts)
        assert (at == np.searchsorted(others, starts + WIDTH)).all()
        assert (np.searchsorted(others, starts - WIDTH, side="right") == at).all()


def timed(draw, *args):
    started = time.perf_counter()
    windows = draw(*args)
    return time.perf_counter() - started, windows


def main():
    regions = regions_of(200_000)
    ours, windows = timed(background_regions, regions, 200_000, WIDTH, SIZES, 1)
    baseline, expected = timed(one_at_a_time, regions, 200_000, WIDTH, SIZES, 1)
    check(regions, windows)
    check(regions, expected)
    print(f"bench background_seconds: {ours:.2f} s (200,000 windows beside 200,000 regions)")
    print(f"bench background_one_at_a_time_seconds: {baseline:.2f} s")
    print(f"bench background_speedup: {baseline / ours:.0f} x")
    regions = regions_of(1_500_000)
    seconds, windows = timed(background_regions, regions, 1_500_000, WIDTH, SIZES, 1)
    check(regions, windows)
    print(f"bench background_basset_seconds: {seconds:.2f} s (1,500,000 windows beside 1,500,000 regions)")


if __name__ == "__main__":
    main()
