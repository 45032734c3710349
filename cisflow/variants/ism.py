"""In-silico mutagenesis around a variant: is it the strongest site of its neighbourhood, or beside it?
"""

from typing import Any

import numpy as np
import pandas as pd
import pyfaidx
import torch

from cisflow.io.errors import ConfigError
from cisflow.models.ensemble import member_mean
from cisflow.models.predict import predict
from cisflow.variants.windows import variant_windows


def check_ism(top: int, flank: int, seq_len: int) -> None:
    """Stop where ``top`` (variants to map) is negative or ``flank`` bases a side of the centre do
    not fit in a window of ``seq_len``, before anything is scored: a ``ConfigError`` naming the key
    (``ism.top``, ``ism.flank``)."""
    if top < 0:
        raise ConfigError("ism.top", f"{top}: the number of variants to map cannot be negative")
    if not 0 <= flank <= (seq_len - 1) // 2:
        raise ConfigError("ism.flank", f"{flank}: the model's windows are {seq_len} bases, so at most "
                                       f"{(seq_len - 1) // 2} bases a side of the variant")


def variant_ism(model: torch.nn.Module, meta: dict[str, Any], genome: pyfaidx.Fasta, rows: pd.DataFrame,
                flank: int, batch_size: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """In-silico mutagenesis around each variant of ``rows`` (scored rows from ``score_variants``):
    every base within ``flank`` of the variant, on the genome (ref) window, changed to each other
    base; the change of the row's ``top_target`` output, both strands averaged.

    Returns (len(rows), 2 * flank + 1, 4) changes (0 at the genome's own base) and, per row,
    ``ism_max_abs``: the largest |change| over those positions, which says whether the variant
    sits in the strongest site of its neighbourhood or beside it. Each row costs 8 * flank + 5
    sequences through the model, on both strands; for an ensemble, the mean of its members' changes.
    """
    dataset = meta["dataset"]
    seq_len, targets = dataset["seq_len"], [str(t) for t in dataset["targets"]]
    centre = seq_len // 2
    check_ism(len(rows), flank, seq_len)
    positions = np.arange(centre - flank, centre + flank + 1)
    maps = np.zeros((len(rows), len(positions), 4), np.float32)
    if not len(rows):
        return maps, np.zeros(0, np.float32)
    for i, row in enumerate(rows.to_dict("records")):
        window = variant_windows(genome, row["chrom"], [row["pos"]], seq_len)[0]
        variants = np.repeat(window[None], len(positions) * 4 + 1, axis=0)
        variants[1 + np.arange(len(positions) * 4), np.repeat(positions, 4)] = np.tile(np.arange(4), len(positions))
        target = targets.index(row["top_target"])
        out = member_mean(predict, model, variants, dataset["task"], batch_size, both_strands=True)[:, target]
        change = (out[1:] - out[0]).reshape(len(positions), 4)
        known = window[positions] < 4  # an N has no own base: all four are changes
        change[np.flatnonzero(known), window[positions][known]] = 0.0
        maps[i] = change
    return maps, np.abs(maps).reshape(len(rows), -1).max(axis=1)
