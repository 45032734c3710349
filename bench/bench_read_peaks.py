"""Reading narrowPeak files as the intervals rule does (``read_peaks``: column-wise, by Arrow's CSV
reader) against reading them line by line (``_peaks_by_line``, the reader every file went through
before, still the one that names a bad line), side by side on the same gzipped files. Both must
return the same table.

    python bench/bench_read_peaks.py                        # 16 ENCODE-like files of 50,000 peaks
    python bench/bench_read_peaks.py --peaks DIR            # e.g. bench/scale_data.py's <out>/peaks

Prints `bench <name>: <value> <unit>` lines.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scale_data import narrowpeak_bytes, write_bytes  # noqa: E402
from cisflow.io.peaks import _peaks_by_line, read_peaks  # noqa: E402

FILES, PEAKS = 16, 50_000
NAMES = [f"chr{i}" for i in range(1, 23)] + ["chrX", "chrY"]


def write_files(folder):
    rng = np.random.default_rng(0)
    for k in range(FILES):
        contig = np.sort(rng.integers(0, len(NAMES), PEAKS))
        start = rng.integers(0, 200_000_000, PEAKS)
        width = rng.integers(150, 1200, PEAKS)
        write_bytes(folder / f"s{k}.narrowPeak.gz",
                    narrowpeak_bytes(rng, NAMES, contig, start, start + width, width // 2), gzipped=True)


def seconds(reader, paths):
    started = time.perf_counter()
    tables = [reader(path, None) for path in paths]
    return time.perf_counter() - started, tables


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peaks", type=Path, help="a folder of *.narrowPeak.gz files (default: written here)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.peaks
        if folder is None:
            folder = Path(scratch)
            write_files(folder)
        paths = sorted(folder.glob("*.narrowPeak.gz"))
        ours, tables = seconds(read_peaks, paths)
        baseline, expected = seconds(_peaks_by_line, paths)
    for table, reference in zip(tables, expected):
        pd.testing.assert_frame_equal(table, reference)
    peaks = sum(map(len, tables))
    print(f"bench read_peaks_seconds: {ours:.2f} s ({peaks:,} peaks in {len(paths)} gzipped narrowPeak files)")
    print(f"bench read_peaks_by_line_seconds: {baseline:.2f} s")
    print(f"bench read_peaks_speedup: {baseline / ours:.1f} x")


if __name__ == "__main__":
    main()
