"""The demo's DREAM-style activity table: 110-nt sequences whose activity is a weighted sum of yeast motif counts
plus noise, and its truth.

Each sequence is a fixed prefix, 80 random bases with 0-2 copies of each table motif (``cisflow.demo.motifs``)
and a fixed suffix. A few odd rows are mixed in (other lengths, some N) as a real table has them; N never hides
a planted base. ``table_text`` writes activity.tsv.gz and ``table_truth_text`` activity_truth.tsv.gz (each row's
kind, motif counts and noiseless activity).
"""

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from cisflow.demo.layout import layout
from cisflow.demo.motifs import Motif, on_plus_strand, sample_site
from cisflow.encode import N_CODE, decode

TABLE_ROWS = 10_000
PREFIX, SUFFIX = "TGCATTTTTTTCACATC", "GGTTACGGCTGTT"
REGION = 80
TABLE_GC = 0.40
ODD_ROWS = {"length": 30, "few_n": 20, "many_n": 5, "short": 3}  # row kinds other than 'clean', and how many
BASE_ACTIVITY, NOISE_SD = 3.0, 0.35


class Row(NamedTuple):
    """One row of the activity table, with its truth."""

    id: str
    sequence: str
    activity: float
    kind: str
    counts: np.ndarray  # planted copies of each table motif


def planted_region(rng: np.random.Generator, motifs: Sequence[Motif], length: int,
                   unplanted: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random bases with 0-2 copies of each motif (random strand, no overlaps); the counts are redrawn until
    the copies fit and leave at least ``unplanted`` bases free. Returns the codes, the counts and a mask of the
    planted bases."""
    sizes = np.array([motif.length for motif in motifs])
    counts = rng.integers(0, 3, len(motifs))
    while counts @ sizes > length - unplanted:
        counts = rng.integers(0, 3, len(motifs))
    at, gc = (1 - TABLE_GC) / 2, TABLE_GC / 2
    codes = rng.choice(4, size=length, p=[at, gc, gc, at]).astype(np.uint8)
    planted = np.zeros(length, dtype=bool)
    which = np.repeat(np.arange(len(motifs)), counts)
    for k, start in zip(which.tolist(), layout(rng, sizes[which], length)):
        strand = "+" if rng.random() < 0.5 else "-"
        codes[start : start + sizes[k]] = on_plus_strand(sample_site(rng, motifs[k]), strand)
        planted[start : start + sizes[k]] = True
    return codes, counts, planted


def row_shape(rng: np.random.Generator, kind: str) -> tuple[int, int]:
    """Length of the random region and number of N of a table row of the given kind."""
    if kind == "length":
        return REGION + int(rng.choice([-3, -2, -1, 1, 2, 3])), 0
    if kind == "short":
        return REGION - 20, 0
    if kind == "few_n":
        return REGION, int(rng.integers(1, 4))
    if kind == "many_n":
        return REGION, int(rng.integers(4, 11))
    return REGION, 0


def make_table(rng: np.random.Generator, motifs: Sequence[Motif], weights: np.ndarray, n_rows: int) -> list[Row]:
    """Rows of a DREAM-style table, odd rows mixed in at random.

    Kinds: 'clean' (110 nt), 'length' (107-113 nt), 'few_n' (1-3 N), 'many_n' (4-10 N), 'short' (90 nt).
    N never hides a planted base, so every row's counts stay true.
    """
    kinds = ["clean"] * (n_rows - sum(ODD_ROWS.values())) + [k for k, n in ODD_ROWS.items() for _ in range(n)]
    rows = []
    for number, i in enumerate(rng.permutation(n_rows), 1):
        kind = kinds[i]
        length, n_count = row_shape(rng, kind)
        codes, counts, planted = planted_region(rng, motifs, length, n_count)
        codes[rng.choice(np.flatnonzero(~planted), n_count, replace=False)] = N_CODE
        activity = BASE_ACTIVITY + weights @ counts + rng.normal(0, NOISE_SD)
        rows.append(Row(f"seq{number:06d}", PREFIX + decode(codes) + SUFFIX, activity, kind, counts))
    return rows


def table_text(rows: Sequence[Row]) -> str:
    return "id\tsequence\tactivity\n" + "".join(f"{r.id}\t{r.sequence}\t{r.activity:.3f}\n" for r in rows)


def table_truth_text(rows: Sequence[Row], motifs: Sequence[Motif], weights: np.ndarray) -> str:
    header = "\t".join(["id", "kind", *(m.tf for m in motifs), "expected"]) + "\n"
    return header + "".join(
        "\t".join([r.id, r.kind, *map(str, r.counts), f"{BASE_ACTIVITY + weights @ r.counts:.3f}"]) + "\n"
        for r in rows
    )
