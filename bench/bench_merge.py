"""Merging 164 samples' peaks (Basset's scale) into regions: cisflow's numpy merge against the same
merge through pybedtools / bedtools (sort, merge with mean summit and distinct samples), side by side.
Prints `bench <name>: <value> <unit>` lines.
"""

import time

import numpy as np
import pandas as pd
import pybedtools

from cisflow.data.intervals import merge_peaks

SAMPLES, PEAKS, WIDTH = 164, 50_000, 600
SIZES = {f"chr{i}": 250_000_000 - 10_000_000 * i for i in range(1, 11)}


def simulated_peaks():
    rng = np.random.default_rng(0)
    hotspots = {c: rng.integers(0, size, 200_000) for c, size in SIZES.items()}  # shared regulatory sites
    by_sample = {}
    for k in range(SAMPLES):
        chrom = rng.choice(list(SIZES), PEAKS)
        summit = np.array([hotspots[c][i] for c, i in zip(chrom, rng.integers(0, 200_000, PEAKS))])
        summit = summit + rng.integers(-50, 51, PEAKS)
        by_sample[f"s{k}"] = pd.DataFrame({"chrom": chrom, "start": summit - 100, "end": summit + 100,
                                           "summit": summit})
    return by_sample


def bedtools_merge(by_sample):
    rows = [(c, max(int(s) - WIDTH // 2, 0), int(s) + WIDTH // 2, int(s), k)
            for k, frame in enumerate(by_sample.values()) for c, s in zip(frame["chrom"], frame["summit"])]
    merged = list(pybedtools.BedTool(rows).sort().merge(c="4,5", o="mean,distinct"))
    pybedtools.cleanup()
    return merged


def main():
    by_sample = simulated_peaks()
    started = time.perf_counter()
    regions, counts = merge_peaks(by_sample, WIDTH, SIZES)
    ours = time.perf_counter() - started
    started = time.perf_counter()
    merged = bedtools_merge(by_sample)
    baseline = time.perf_counter() - started
    assert len(merged) == counts["merged_regions"]
    print(f"bench merge_peaks_seconds: {ours:.1f} s ({SAMPLES * PEAKS:,} peaks of {SAMPLES} samples, "
          f"{counts['merged_regions']:,} regions)")
    print(f"bench merge_peaks_bedtools_seconds: {baseline:.1f} s")
    print(f"bench merge_peaks_speedup_vs_bedtools: {baseline / ours:.1f} x")


if __name__ == "__main__":
    main()
