"""Extraction + encoding of 1,000,000 600-bp windows from a simulated 100 Mb genome.

Four ways, side by side in one run, each in its own process so that its peak memory is its own:
  cisflow      the windows' bytes read from the memory-mapped FASTA (extract_regions), all kept
  chunked      the same, 65,536 windows at a time (region_chunks, as the dataset build reads them)
  per_interval a careful per-interval way: pyfaidx fetch per window, then a numpy lookup table
  primer       the genomics primer's way: pyfaidx fetch per window, then sklearn's encoders
The baselines are timed on a subset of the windows (they are slow) and reported as windows/s.
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
import pandas as pd

CONTIGS = {"chr1": 50_001_000, "chr2": 50_001_000}  # whole 60-bp lines
WIDTH, N_WINDOWS = 600, 1_000_000
SUBSET = {"per_interval": 50_000, "primer": 2_000}


def write_genome(path):
    rng = np.random.default_rng(0)
    with open(path, "wb") as out:
        for name, size in CONTIGS.items():
            bases = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, size)]
            bases[:10_000] = ord("N")
            lines = np.full((size // 60, 61), ord("\n"), np.uint8)
            lines[:, :60] = bases.reshape(-1, 60)
            out.write(f">{name}\n".encode() + lines.tobytes())


def windows():
    rng = np.random.default_rng(1)
    chrom = rng.choice(list(CONTIGS), N_WINDOWS)
    start = rng.integers(0, min(CONTIGS.values()) - WIDTH, N_WINDOWS)
    table = pd.DataFrame({"chrom": chrom, "start": start, "end": start + WIDTH})
    return table.sort_values(["chrom", "start"], ignore_index=True)


def run_cisflow(fasta, table):
    from cisflow.data.sequences import extract_regions

    return extract_regions(table, fasta)


def run_chunked(fasta, table):
    from cisflow.data.sequences import region_chunks

    for _, codes in region_chunks(table, fasta):
        pass
    return codes


def run_per_interval(fasta, table):
    import pyfaidx

    from cisflow.encode import encode

    genome = pyfaidx.Fasta(str(fasta), as_raw=True)
    return np.stack([encode(genome[c][s:e]) for c, s, e in table[["chrom", "start", "end"]].itertuples(index=False)])


def run_primer(fasta, table):
    import pyfaidx
    from sklearn.preprocessing import LabelEncoder, OneHotEncoder

    genome = pyfaidx.Fasta(str(fasta), as_raw=True)
    label, onehot = LabelEncoder(), OneHotEncoder(categories=[np.arange(4)])
    out = []
    for chrom, start, end in table[["chrom", "start", "end"]].itertuples(index=False):
        integers = label.fit_transform(list(genome[chrom][start:end].upper())).reshape(-1, 1)
        out.append(onehot.fit_transform(integers).toarray())
    return np.stack(out)


def measure(method, fasta):
    """Child process: time ``method`` on its share of the windows; print rate and peak memory."""
    table = windows()
    n = SUBSET.get(method, N_WINDOWS)
    table = table.iloc[np.linspace(0, len(table) - 1, n).astype(int)].reset_index(drop=True)
    started = time.perf_counter()
    result = globals()[f"run_{method}"](fasta, table)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"n": n, "seconds": seconds, "rate": n / seconds, "peak_mb": peak_mb,
                      "output_mb": result.nbytes / 2**20}))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        source, fasta = Path(tmp) / "sim.fa", Path(tmp) / "genome.fa"
        write_genome(source)
        from cisflow.io.genome import prepare_genome

        prepare_genome(source, fasta)
        source.unlink()
        results = {}
        for method in ("cisflow", "chunked", "per_interval", "primer"):
            child = subprocess.run([sys.executable, __file__, method, str(fasta)], capture_output=True, text=True,
                                   check=True)
            results[method] = json.loads(child.stdout.splitlines()[-1])
    ours = results["cisflow"]
    genome_mb = sum(CONTIGS.values()) / 2**20
    print(f"bench extract_windows_per_s: {ours['rate']:.0f} windows/s ({N_WINDOWS:,} x {WIDTH} bp, "
          f"{genome_mb:.0f} MiB genome)")
    print(f"bench extract_per_interval_lut_windows_per_s: {results['per_interval']['rate']:.0f} windows/s")
    print(f"bench extract_primer_sklearn_windows_per_s: {results['primer']['rate']:.0f} windows/s")
    print(f"bench extract_speedup_vs_per_interval_lut: {ours['rate'] / results['per_interval']['rate']:.1f} x")
    print(f"bench extract_speedup_vs_primer_sklearn: {ours['rate'] / results['primer']['rate']:.0f} x")
    print(f"bench extract_peak_memory: {ours['peak_mb']:.0f} MiB (windows kept {ours['output_mb']:.0f} MiB, "
          f"genome {genome_mb:.0f} MiB)")
    from cisflow.data.sequences import CHUNK_ROWS

    chunked = results["chunked"]
    print(f"bench extract_chunked_windows_per_s: {chunked['rate']:.0f} windows/s")
    print(f"bench extract_chunked_peak_memory: {chunked['peak_mb']:.0f} MiB ({CHUNK_ROWS:,} windows a chunk; all "
          f"kept: {ours['peak_mb']:.0f} MiB)")


if __name__ == "__main__":
    if len(sys.argv) == 3:
        measure(sys.argv[1], Path(sys.argv[2]))
    else:
        main()
