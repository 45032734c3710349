"""Merging 164 samples' peaks (Basset's scale) into regions: cisflow's numpy merge against the same
merge through pybedtools / bedtools (sort, merge with mean summit and distinct samples), side by side;
then the merged regions x samples matrix written and read back as the intervals rule does (a slim
TSV beside a uint8 .npy) against one gzipped text table with a 0/1 column a sample, read as int64
(how it was kept before). Prints `bench <name>: <value> <unit>` lines. Without bedtools on PATH
(tools/ensure-bedtools.sh) the bedtools side is skipped, with a line that says so.
"""

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cisflow.config.settings import dataset_from_mapping
from cisflow.data.intervals import merge_peaks
from cisflow.io.regions import read_intervals, write_intervals
from cisflow.io.textio import write_tsv

SAMPLES, PEAKS, WIDTH = 164, 50_000, 600
SIZES = {f"chr{i}": 250_000_000 - 10_000_000 * i for i in range(1, 11)}
DATASET = dataset_from_mapping({"kind": "peaks", "width": WIDTH, "split": {"valid": ["chr9"], "test": ["chr10"]}})


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
    import pybedtools

    rows = [(c, max(int(s) - WIDTH // 2, 0), int(s) + WIDTH // 2, int(s), k)
            for k, frame in enumerate(by_sample.values()) for c, s in zip(frame["chrom"], frame["summit"])]
    merged = list(pybedtools.BedTool(rows).sort().merge(c="4,5", o="mean,distinct"))
    pybedtools.cleanup()
    return merged


def matrix_round_trip(regions, activity, samples, counts, folder):
    """Seconds to write and to read back the regions and their matrix: binary as the intervals rule
    keeps them, and as one wide gzipped text table (the baseline); and the two sizes in MiB."""
    binary = [folder / "regions.tsv.gz", folder / "regions.targets.npy", folder / "regions.counts.json"]
    text = folder / "wide.tsv.gz"
    seconds = {}
    started = time.perf_counter()
    write_intervals(regions.assign(background=0), activity, samples, counts, *binary)
    seconds["binary_write"] = time.perf_counter() - started
    started = time.perf_counter()
    write_tsv(pd.concat([regions, pd.DataFrame(activity, columns=samples)], axis=1), text, float_format=None)
    seconds["text_write"] = time.perf_counter() - started
    started = time.perf_counter()
    _, matrix, _, _ = read_intervals(*binary)
    assert (np.asarray(matrix) == activity).all()
    seconds["binary_read"] = time.perf_counter() - started
    started = time.perf_counter()
    wide = pd.read_csv(text, sep="\t")
    assert (wide[samples].to_numpy() == activity).all()
    seconds["text_read"] = time.perf_counter() - started
    sizes = {"binary": sum(path.stat().st_size for path in binary) / 2**20, "text": text.stat().st_size / 2**20}
    return seconds, sizes


def main():
    by_sample = simulated_peaks()
    started = time.perf_counter()
    regions, activity, samples, counts = merge_peaks(by_sample, DATASET, SIZES)
    ours = time.perf_counter() - started
    print(f"bench merge_peaks_seconds: {ours:.1f} s ({SAMPLES * PEAKS:,} peaks of {SAMPLES} samples, "
          f"{counts['merged_regions']:,} regions)")
    if shutil.which("bedtools") is None:
        print("bench merge_peaks_bedtools_seconds: skipped (no bedtools on PATH: tools/ensure-bedtools.sh says how "
              "to get it)")
    else:
        started = time.perf_counter()
        merged = bedtools_merge(by_sample)
        baseline = time.perf_counter() - started
        assert len(merged) == counts["merged_regions"]
        print(f"bench merge_peaks_bedtools_seconds: {baseline:.1f} s")
        print(f"bench merge_peaks_speedup_vs_bedtools: {baseline / ours:.1f} x")
    with tempfile.TemporaryDirectory() as tmp:
        seconds, sizes = matrix_round_trip(regions, activity, samples, counts, Path(tmp))
    shape = f"{len(regions):,} regions x {len(samples)} samples"
    print(f"bench intervals_matrix_write_seconds: {seconds['binary_write']:.1f} s ({shape}: slim TSV + uint8 .npy, "
          f"{sizes['binary']:.0f} MiB)")
    print(f"bench intervals_matrix_write_text_seconds: {seconds['text_write']:.1f} s (a 0/1 column a sample, gzipped, "
          f"{sizes['text']:.0f} MiB)")
    print(f"bench intervals_matrix_write_speedup_vs_text: {seconds['text_write'] / seconds['binary_write']:.1f} x")
    print(f"bench intervals_matrix_read_seconds: {seconds['binary_read']:.1f} s")
    print(f"bench intervals_matrix_read_text_seconds: {seconds['text_read']:.1f} s")
    print(f"bench intervals_matrix_read_speedup_vs_text: {seconds['text_read'] / seconds['binary_read']:.1f} x")


if __name__ == "__main__":
    main()
