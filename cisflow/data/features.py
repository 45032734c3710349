"""A promoters dataset's per-gene features (its ``features``): the columns of the table derived from its
annotation (``cisflow.data.gene_features``) and of keyed tables, joined to the dataset's genes, and the
genes left without a value dropped or given the training split's mean, as the dataset says.

The join is by gene id with Ensembl versions ignored on both sides (GENCODE's ``ENSG00000000003.10``
is the expression table's ``ENSG00000000003``: ``gene_features.unversioned``), or, for a table keyed by
gene name (the K562 half-lives, by symbol), through the name the annotation gives each gene id: a name
that several of the annotation's genes share gives its values to each.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cisflow.config.settings import PromoterFeatures
from cisflow.data.gene_features import read_gene_features, unversioned
from cisflow.io.errors import ConfigError, InputError
from cisflow.io.tables import read_values
from cisflow.types import PathLike

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Joined:
    """Features joined to a dataset's genes: ``values`` (genes, features) float32, NaN where a gene has
    none; the features' ``names``; and how many genes lack each source's values (source -> count:
    ``annotation``, or the table's name)."""

    values: npt.NDArray[np.float32]
    names: list[str]
    missing: dict[str, int]


def join_features(genes: Sequence[str], features: PromoterFeatures, gene_features_path: PathLike | None,
                  table_paths: Sequence[PathLike]) -> Joined:
    """The dataset's features for ``genes``, in the order of ``features.annotation`` then each table's columns.

    Parameters
    ----------
    genes : sequence of str
        The dataset's gene ids (the TSS BED's).
    features : PromoterFeatures
        The dataset's ``features``.
    gene_features_path : str or Path, optional
        The table derived from the dataset's annotation (rule gene_features); needed for
        ``features.annotation`` and for tables keyed by gene name.
    table_paths : sequence of str or Path
        One file for each of ``features.tables``, in order.

    Returns
    -------
    Joined

    Raises
    ------
    InputError
        A source of which no gene of the dataset has a value (naming what to check), two ids of one source
        that are one gene but for their Ensembl version.
    """
    by_name = any(spec["key"] == "gene_name" for spec in features.tables or [])
    if gene_features_path is None and (features.annotation or by_name):
        raise ValueError("the dataset's features need the table derived from its annotation (input 'gene_features')")
    keys = [unversioned(gene) for gene in genes]
    columns: list[npt.NDArray[np.float32]] = []
    names: list[str] = []
    missing: dict[str, int] = {}
    gene_names: list[str | None] = [None] * len(genes)
    if gene_features_path is not None:
        derived = read_gene_features(gene_features_path)
        rows = _by_gene(dict(zip(derived["gene_id"], range(len(derived)))), gene_features_path)
        found = [rows.get(key) for key in keys]
        if all(row is None for row in found):
            raise InputError(gene_features_path, f"no gene of the dataset is in the annotation (the dataset's ids: "
                                                 f"{', '.join(genes[:3])}; the annotation's: "
                                                 f"{', '.join(derived['gene_id'][:3])})")
        gene_names = [None if row is None else derived["gene_name"].iat[row] or None for row in found]
        if features.annotation:
            values = derived[list(features.annotation)].to_numpy(np.float32)
            part = np.stack([values[row] if row is not None else np.full(len(features.annotation), np.nan, np.float32)
                             for row in found]) if found else np.zeros((0, len(features.annotation)), np.float32)
            columns.append(part)
            names += list(features.annotation)
            missing["annotation"] = int(np.isnan(part).any(axis=1).sum())
    for index, (spec, path) in enumerate(zip(features.tables or [], table_paths)):
        table = _joined_table(spec, path, keys, gene_names, f"features.tables.{index}")
        columns.append(table)
        names += list(spec["columns"])
        missing[spec["table"]] = int(np.isnan(table).any(axis=1).sum())
    for source, count in missing.items():
        log.info("features from %s: %d of %d genes without a value", source, count, len(genes))
    values = np.concatenate(columns, axis=1) if columns else np.zeros((len(genes), 0), np.float32)
    return Joined(values, names, missing)


def _joined_table(spec: Mapping[str, Any], path: PathLike, keys: Sequence[str], gene_names: Sequence[str | None],
                  where: str) -> npt.NDArray[np.float32]:
    """(genes, columns) of one keyed table, NaN for a gene without a row; a table of which no gene has a row
    is an error naming what to check."""
    values = read_values(path, spec["id_column"], spec["columns"], "feature")
    if spec["key"] == "gene_name":
        lookup: Sequence[str | None] = gene_names
    else:
        values, lookup = _by_gene(values, path), keys
    table = np.full((len(keys), len(spec["columns"])), np.nan, np.float32)
    for row, key in enumerate(lookup):
        if key is not None and key in values:
            table[row] = values[key]
    if len(keys) and np.isnan(table).all():
        raise InputError(path, f"no gene of the dataset has features (check {where}.id_column, "
                               f"{spec['id_column']!r}, and its key, {spec['key']!r})")
    return table


def _by_gene(rows: Mapping[str, Any], path: PathLike) -> dict[str, Any]:
    """``rows`` by gene id without its Ensembl version; two ids of one gene are an error."""
    unversioned_rows: dict[str, Any] = {}
    seen: dict[str, str] = {}
    for gene_id, row in rows.items():
        key = unversioned(gene_id)
        if key in seen:
            raise InputError(path, f"gene ids {seen[key]!r} and {gene_id!r} are one gene but for their version")
        seen[key], unversioned_rows[key] = gene_id, row
    return unversioned_rows


def impute_training_mean(values: npt.NDArray[np.float32], train_rows: npt.NDArray[np.int64], names: Sequence[str]
                         ) -> tuple[npt.NDArray[np.float32], dict[str, float]]:
    """``values`` with each missing one given its column's mean over the training rows that have it.

    Parameters
    ----------
    values : (genes, features) float32
        NaN where a gene lacks a value.
    train_rows : (n,) int
        The rows of the training split.
    names : sequence of str
        The features' names, for the means and messages.

    Returns
    -------
    (genes, features) float32
        Without NaN.
    dict of str to float
        Each column's training mean (of the columns with a value missing).

    Raises
    ------
    ConfigError
        A column with a value missing and none in the training split to take a mean of.
    """
    filled, means = values.copy(), {}
    for j, name in enumerate(names):
        gaps = np.isnan(filled[:, j])
        if not gaps.any():
            continue
        known = filled[train_rows, j][~np.isnan(filled[train_rows, j])]
        if not len(known):
            raise ConfigError("features.missing", f"impute: feature {name!r} has no value in the training split to "
                                                  "take the mean of")
        means[name] = float(known.mean())
        filled[gaps, j] = means[name]
    return filled, means
