"""The ranked variants as written: a slim ranked TSV a person reads, and every per-output column in
a Parquet file a program reads.

A scored row carries, per model output t, ``ref_<t>``, ``alt_<t>``, ``sad_<t>``, ``logodds_<t>``,
``log2fc_<t>``, ``z_<t>`` and ``p_<t>`` (``scoring``, ``calibration``), and for an ensemble
``sd_<t>`` and ``agree_<t>``: for Basset's 164 outputs over a thousand numbers a row, which gzipped
text writes at a few hundred rows a second. The ranked TSV keeps the headline columns of every row
(identity, status, ranking score, the output it comes from and that output's values:
``top_effect``, for an ensemble ``top_effect_sd`` and ``top_sign_agreement``, ``top_sad``,
``top_ref_pred``, ``top_alt_pred``, ``top_z``); the Parquet file holds the same rows in the same
order, the TSV's columns and then every per-output column as float32 (the model's own precision),
readable a column at a time (``pandas.read_parquet(path, columns=["id", "z_K562"])``).
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cisflow.io.atomic import atomic_path
from cisflow.types import PathLike
from cisflow.variants.scoring import EFFECT

PER_OUTPUT = ("ref", "alt", "sad", "logodds", "log2fc", "sd", "agree", "z", "p")  # prefixes of the per-output columns
# headline columns: the top output's value of each of these prefixes (the effect's prefix by task); an
# ensemble's members' sd of that effect and the fraction of members agreeing on its sign
TOP_VALUES = {"top_effect": None, "top_effect_sd": "sd", "top_sign_agreement": "agree", "top_sad": "sad",
              "top_ref_pred": "ref", "top_alt_pred": "alt", "top_z": "z"}
ROW_GROUP = 65_536  # rows a Parquet row group: what is converted to Arrow at once


def per_output_columns(table: pd.DataFrame, targets: Sequence[str]) -> list[str]:
    """The per-output columns of ``table`` (``<prefix>_<target>``), in the table's order."""
    names = {f"{prefix}_{target}" for prefix in PER_OUTPUT for target in map(str, targets)}
    return [column for column in table.columns if column in names]


def headline_table(ranked: pd.DataFrame, targets: Sequence[str], task: str) -> pd.DataFrame:
    """``ranked`` without its per-output columns, with the top output's values after ``top_target``.

    Parameters
    ----------
    ranked : DataFrame
        n rows from ``scoring.rank_variants`` (calibrated or not), with ``top_target``.
    targets : sequence of str
        The model's T outputs.
    task : {'classification', 'regression'}
        Sets which prefix is the effect (``scoring.EFFECT``).

    Returns
    -------
    DataFrame
        n rows: every column of ``ranked`` that is not per output, and ``top_effect``
        (``top_effect_sd`` and ``top_sign_agreement`` for an ensemble), ``top_sad``,
        ``top_ref_pred``, ``top_alt_pred`` (and ``top_z`` where calibrated): the value at the row's
        ``top_target``, NaN where it has none.
    """
    slim = ranked.drop(columns=per_output_columns(ranked, targets))
    at = slim.columns.get_loc("top_target") + 1
    rows_of = ranked["top_target"].groupby(ranked["top_target"].to_numpy(), sort=False).indices  # {target: rows}
    prefixes = [(name, prefix or EFFECT[task]) for name, prefix in TOP_VALUES.items()]
    present = [(name, prefix) for name, prefix in prefixes if f"{prefix}_{targets[0]}" in ranked]
    for offset, (name, prefix) in enumerate(present):
        values = np.full(len(ranked), np.nan)
        for target, rows in rows_of.items():
            values[rows] = ranked[f"{prefix}_{target}"].to_numpy()[rows]
        slim.insert(at + offset, name, values)
    return slim


def write_scores(table: pd.DataFrame, ranked: pd.DataFrame, path: PathLike, targets: Sequence[str]) -> None:
    """One Parquet file at ``path``: the columns of ``table`` (n rows, ``headline_table``), then the
    per-output columns of ``ranked`` (the same n rows in the same order) as float32; written in row
    groups of ``ROW_GROUP`` rows (memory: a row group, not the table), atomically."""
    per_output = per_output_columns(ranked, targets)
    head = pa.Table.from_pandas(table, preserve_index=False)
    schema = pa.schema([*head.schema, *(pa.field(name, pa.float32()) for name in per_output)],
                       metadata=head.schema.metadata)
    with atomic_path(path) as tmp, pq.ParquetWriter(tmp, schema, compression="snappy",
                                                     use_dictionary=list(table.columns)) as writer:
        for start in range(0, max(len(table), 1), ROW_GROUP):
            stop = min(start + ROW_GROUP, len(table))
            values = [pa.array(ranked[name].to_numpy()[start:stop].astype(np.float32, copy=False))
                      for name in per_output]
            writer.write_table(pa.Table.from_arrays([*head.slice(start, stop - start).columns, *values],
                                                    schema=schema))
