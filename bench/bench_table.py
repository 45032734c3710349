"""A DREAM-scale table (6.7M random promoters, 87-135 nt, most 110) to an encoded dataset.

Times cisflow's table-to-dataset step end to end (read, DREAM filters, padding, encoding, write)
and reports its peak memory, beside a per-sequence encoding loop on a subset as the baseline.
Prints `bench <name>: <value> <unit>` lines.
"""

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROWS = 6_700_000
SPEC = {"kind": "table", "table": "dream", "sequence_column": "0", "target_columns": ["1"], "length": 110,
        "length_tolerance": 3, "max_n": 3, "pad": "right", "split": {"valid": 0.1, "test": 0.01, "seed": 1}}


def write_table(path):
    rng = np.random.default_rng(0)
    alphabet = np.frombuffer(b"ACGT", np.uint8)
    with open(path, "w") as out:
        for start in range(0, ROWS, 500_000):
            n = min(500_000, ROWS - start)
            lengths = np.where(rng.random(n) < 0.82, 110, rng.integers(87, 136, n))
            bases = alphabet[rng.integers(0, 4, (n, 135))]
            values = rng.integers(0, 18, n)
            out.write("".join(f"{row[:size].tobytes().decode()}\t{value}\n"
                              for row, size, value in zip(bases, lengths, values)))


def measure(path, out):
    from cisflow.config.settings import dataset_from_mapping
    from cisflow.data.build import from_table

    started = time.perf_counter()
    attrs = from_table(path, dataset_from_mapping(SPEC), out)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "kept": attrs["n"],
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def per_sequence_rate(path, n=200_000):
    from cisflow.encode import encode

    with open(path) as handle:
        seqs = [next(handle).split("\t")[0] for _ in range(n)]
    started = time.perf_counter()
    for seq in seqs:
        codes = np.full(110, 4, np.uint8)
        part = encode(seq)[:110]
        codes[: len(part)] = part
    return n / (time.perf_counter() - started)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "train_sequences.txt"
        write_table(table)
        child = subprocess.run([sys.executable, __file__, str(table), str(Path(tmp) / "ds")], capture_output=True,
                               text=True, check=True)
        result = json.loads(child.stdout.splitlines()[-1])
        baseline = per_sequence_rate(table)
    print(f"bench table_to_dataset_seconds: {result['seconds']:.1f} s ({ROWS:,} rows, {result['kept']:,} kept)")
    print(f"bench table_to_dataset_rows_per_s: {ROWS / result['seconds']:.0f} rows/s")
    print(f"bench table_per_sequence_encode_rows_per_s: {baseline:.0f} rows/s (encoding alone, no reading)")
    print(f"bench table_to_dataset_peak_memory: {result['peak_mb']:.0f} MiB "
          f"(codes kept {result['kept'] * 110 / 2**20:.0f} MiB)")


if __name__ == "__main__":
    if len(sys.argv) == 3:
        measure(Path(sys.argv[1]), Path(sys.argv[2]))
    else:
        main()
