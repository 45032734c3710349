"""Statistics shared by the stages: the false-discovery-rate adjustment of many tests (filter
matches to JASPAR, trait x output enrichment)."""

from collections.abc import Sequence

import numpy as np


def benjamini_hochberg(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values) of ``p_values``, in the order given; NaN
    stays NaN and does not count as a test."""
    p_values = np.asarray(p_values, dtype=np.float64)
    q = np.full(len(p_values), np.nan)
    valid = np.flatnonzero(~np.isnan(p_values))
    if not len(valid):
        return q
    order = valid[np.argsort(p_values[valid], kind="stable")]
    ranked = p_values[order] * len(valid) / np.arange(1, len(valid) + 1)
    q[order] = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    return q
