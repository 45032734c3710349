"""Random non-overlapping placement: peaks along a stretch of genome, sites near a summit, motif copies in a
table row."""

from collections.abc import Sequence

import numpy as np


def layout(rng: np.random.Generator, lengths: Sequence[int] | np.ndarray, span: int, gap: int = 0) -> np.ndarray:
    """Random starts in [0, span) for non-overlapping pieces of the given lengths, at least ``gap`` apart.

    The pieces come in random order with the spare room split at random between them, so every layout is
    reached without trial and error.
    """
    lengths = np.asarray(lengths, dtype=int)
    if not lengths.size:
        return np.zeros(0, dtype=int)
    spare = span - lengths.sum() - gap * (lengths.size - 1)
    if spare < 0:
        raise ValueError(f"{lengths.size} pieces of {lengths.sum()} bp do not fit in {span} bp")
    order = rng.permutation(lengths.size)
    before = np.concatenate([[0], np.cumsum(lengths[order])[:-1]]) + gap * np.arange(lengths.size)
    starts = np.empty(lengths.size, dtype=int)
    starts[order] = before + np.sort(rng.integers(0, spare + 1, lengths.size))
    return starts
