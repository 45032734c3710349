"""Encoding DNA to integer codes: cisflow's lookup table against a per-base Python dictionary.

Prints `bench <name>: <value> <unit>` lines; the ratio is what matters, both are run side by side.
"""

import time

import numpy as np

from cisflow.encode import encode

CODES = {"A": 0, "C": 1, "G": 2, "T": 3, "N": 4}


def per_base(seq):
    return np.array([CODES[base] for base in seq.upper()], dtype=np.uint8)


def best_of(function, seqs, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for seq in seqs:
            function(seq)
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 600)) for _ in range(2000)]
    assert all((encode(s) == per_base(s)).all() for s in seqs[:10])
    table, baseline = best_of(encode, seqs), best_of(per_base, seqs)
    bases = sum(map(len, seqs))
    print(f"bench encode_lookup_table: {bases / table / 1e6:.1f} Mbases/s")
    print(f"bench encode_per_base_dict: {bases / baseline / 1e6:.2f} Mbases/s")
    print(f"bench encode_speedup: {baseline / table:.1f} x")


if __name__ == "__main__":
    main()
