"""The dataset rule: a dataset (``cisflow.data.dataset``) built from genomic regions (``from_regions``),
promoters (``from_promoters``), a sequence table (``from_table``) or labelled FASTA files
(``from_fasta``); ``build_dataset`` picks by the config's ``kind``.
"""

import logging
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from cisflow.config.settings import Dataset, FastaDataset, PeaksDataset, PromotersDataset, TableDataset
from cisflow.data.dataset import SPLITS, dataset_writer, split_by_chromosome, split_random, write_dataset
from cisflow.data.features import impute_training_mean, join_features
from cisflow.data.negatives import shuffled_negatives
from cisflow.data.promoters import promoter_windows, read_tss
from cisflow.data.sequences import CHUNK_ROWS, extract_regions, filter_n, region_chunks
from cisflow.encode import encode_padded, reverse_complement
from cisflow.io.contigs import rename_contigs
from cisflow.io.errors import InputError
from cisflow.io.fasta import read_labelled
from cisflow.io.genome import contig_sizes
from cisflow.io.regions import read_intervals
from cisflow.io.tables import Table, encode_table, read_values, select_sequences
from cisflow.types import PathLike

log = logging.getLogger(__name__)

T = TypeVar("T")


def from_regions(regions: pd.DataFrame, targets: np.ndarray, samples: Sequence[str], genome_path: PathLike,
                 dataset: PeaksDataset, out: PathLike, region_counts: Mapping[str, Any] | None = None,
                 source: PathLike = "regions", chunk_rows: int = CHUNK_ROWS) -> dict[str, Any]:
    """Dataset of the regions' sequences with their sample activity as binary targets.

    ``regions``: chrom, start, end and id of each region; ``targets``: their (regions, samples)
    0/1 matrix (the intervals rule's, memory-mapped), whose columns are ``samples``. The dataset is
    written ``chunk_rows`` regions at a time: sequences read, N-filtered and written, then the kept
    rows' targets copied, so memory is set by a chunk, not by the genome or the matrix.

    Regions with more N than ``dataset.max_n_fraction`` are dropped and counted; the split holds
    out the chromosomes of ``dataset.split``. A sample with no positive or no negative region is
    an error naming it (``source``: the regions file), or with ``dataset.empty_targets`` 'drop' is
    dropped from the targets; attrs['dropped_targets'] says why, for these and for the samples the
    intervals rule dropped (``region_counts['dropped_targets']``).
    """
    region_counts = dict(region_counts or {})
    dropped = region_counts.pop("dropped_targets", {})
    if regions.empty:
        raise _no_region(source, region_counts)
    ids, chroms = regions["id"].tolist(), regions["chrom"].to_numpy()
    with dataset_writer(out, "classification") as writer:
        keep = np.zeros(len(regions), bool)
        for first, codes in region_chunks(regions, genome_path, chunk_rows):
            kept = filter_n(codes, dataset.max_n_fraction)
            keep[first : first + len(codes)] = kept
            writer.add_codes(codes[kept], [ids[first + i] for i in np.flatnonzero(kept)])
        counts = {**region_counts, "regions_in": len(regions), "too_many_n": int((~keep).sum())}
        if not keep.any():
            raise _no_region(source, counts)
        rows = np.flatnonzero(keep)
        positives, active = _positives(targets, rows, chunk_rows)
        chroms = chroms[rows]
        n_shuffles = 0
        if dataset.background_method == "dinucleotide_shuffle":
            positive = np.flatnonzero(active)
            shuffled, shuffled_ids, sources = shuffled_negatives(
                writer.codes()[positive], [ids[rows[i]] for i in positive], round(dataset.background * len(positive)),
                dataset.seed)
            writer.add_codes(shuffled, shuffled_ids)
            chroms, n_shuffles = np.concatenate([chroms, chroms[positive][sources]]), len(shuffled)
            counts["dinucleotide_shuffles"] = n_shuffles
        usable = _usable_targets(positives, len(rows) + n_shuffles, samples, dataset.empty_targets, source, dropped)
        counts["kept"] = len(rows) + n_shuffles
        split = split_by_chromosome(chroms, dataset.split["valid"], dataset.split["test"])
        for first in range(0, len(rows), chunk_rows):
            writer.add_targets(np.asarray(targets[rows[first : first + chunk_rows]])[:, usable])
        writer.add_targets(np.zeros((n_shuffles, len(usable)), np.uint8))
        attrs = {"task": "classification", "targets": [samples[j] for j in usable], "source": "peaks",
                 "counts": counts, "dropped_targets": dropped, "split_rule": {"by": "chromosome", **dataset.split},
                 "regions": {"width": writer.codes().shape[1], "center": dataset.center}}
        for name, value in counts.items():
            log.info("%s: %s", name, value)
        return writer.finish(split, attrs, chroms)


def _positives(targets, rows, chunk_rows):
    """(samples,) how many of ``rows`` are positive for each sample, and (rows,) whether a row is
    positive for any, read a chunk of rows at a time."""
    positives, active = np.zeros(targets.shape[1], np.int64), np.zeros(len(rows), bool)
    for first in range(0, len(rows), chunk_rows):
        block = np.asarray(targets[rows[first : first + chunk_rows]])
        positives += block.sum(axis=0, dtype=np.int64)
        active[first : first + len(block)] = block.any(axis=1)
    return positives, active


def _no_region(source, counts):
    return InputError(source, "no region is left to build the dataset from (" + ", ".join(
        f"{name.replace('_', ' ')}: {value:,}" for name, value in counts.items()) + ")")


def _usable_targets(positives, n_rows, samples, empty_targets, source, dropped):
    """Indices of the samples with both a positive and a negative among ``n_rows`` rows
    (``positives``: each sample's positive count). Another is an InputError naming its sample, or
    with ``empty_targets`` 'drop' left out, logged and added to ``dropped``."""
    usable = []
    for j, sample in enumerate(samples):
        if positives[j] == 0:
            reason = (f"none of the dataset's {n_rows:,} regions is positive for it (the regions of its peaks "
                      "overran contig ends, overlapped the blacklist or had too many N)")
        elif positives[j] == n_rows:
            reason = (f"all {n_rows:,} regions of the dataset are positive for it, so it has no negative to "
                      "learn from (add background regions: the dataset's background)")
        else:
            usable.append(j)
            continue
        if empty_targets == "error":
            raise InputError(source, f"sample {sample}: {reason}; set the dataset's empty_targets: drop to train "
                                     "without it")
        log.warning("sample %s dropped from the targets: %s", sample, reason)
        dropped[sample] = reason
    if not usable:
        raise InputError(source, "no sample is left to train on: " + "; ".join(
            f"sample {sample}: {reason}" for sample, reason in dropped.items()))
    return usable


def from_table(table_paths: PathLike | Sequence[PathLike], dataset: TableDataset, out: PathLike,
               chunk_rows: int = 500_000) -> dict[str, Any]:
    """Dataset of a table's sequences (DREAM-style filters, N padding) with its numeric targets.

    ``table_paths``: one table, or a list of headerless files pasted side by side. The table is
    read ``chunk_rows`` rows at a time and only the codes kept stay in memory, so a table of
    millions of rows never sits in memory as Python strings.
    """
    headerless = str(dataset.sequence_column).isdigit()
    if isinstance(table_paths, (str, os.PathLike)):
        chunks = Table.chunks(table_paths, headerless, chunk_rows)
    else:
        chunks = Table.pasted_chunks(list(table_paths), chunk_rows)
    code_parts, target_parts, ids, seen = [], [], [], set[str]()
    tally: Counter[str] = Counter()
    for table in chunks:
        chunk_ids = table.ids(dataset.id_column, seen)
        sequences = table.column(dataset.sequence_column).str.strip().tolist()
        values = table.numbers(dataset.target_columns)
        if dataset.task == "classification":
            _check_binary(table, values, dataset.target_columns)
        keep, chunk_counts = select_sequences(sequences, dataset.length, dataset.length_tolerance, dataset.max_n)
        rows = np.flatnonzero(keep)
        code_parts.append(encode_table(table.path, [sequences[i] for i in rows], rows, dataset.length, dataset.pad,
                                  table.first_row_line))
        target_parts.append(values[rows])
        ids += [chunk_ids[i] for i in rows]
        tally.update(chunk_counts)
    if not ids:
        raise InputError(table.path, _nothing_kept(tally, dataset))
    codes, targets, counts = np.concatenate(code_parts), np.concatenate(target_parts), dict(tally)
    split_spec = dataset.split
    split = split_random(len(ids), split_spec["valid"], split_spec["test"], split_spec["seed"])
    attrs = {"task": dataset.task, "targets": list(dataset.target_columns), "source": "table", "counts": counts,
             "split_rule": {"by": "random", **split_spec}, "padding": dataset.pad}
    for name, value in counts.items():
        log.info("%s: %s", name, value)
    return write_dataset(out, codes, targets, split, ids, attrs)


def _check_binary(table, values, names):
    """An InputError at the first value of ``values`` (rows of ``table``) that is not 0 or 1: the
    targets of a classification table are labels."""
    bad = np.argwhere(~np.isin(values, (0, 1)))
    if len(bad):
        row, column = bad[0]
        raise InputError(table.path, f"target {names[column]!r} is {values[row, column]:g}, but the table's task is "
                                     "classification: its targets are 0 or 1", line=int(row) + table.first_row_line)


def _nothing_kept(counts, dataset):
    """Why no row of a table was kept: how many rows each filter took."""
    rows = counts["rows"]
    if not rows:
        return "the table has a header but no rows"
    taken = [f"{counts['outside_length_range']:,} outside the length range {dataset.length} ± "
             f"{dataset.length_tolerance} (length_tolerance)"] if counts["outside_length_range"] else []
    if counts["too_many_n"]:
        taken.append(f"{counts['too_many_n']:,} with more than {dataset.max_n} N (max_n)")
    return f"none of its {rows:,} rows is kept: {', '.join(taken)}"


def from_fasta(source_paths: Sequence[PathLike], dataset: FastaDataset, out: PathLike,
               test_paths: Sequence[PathLike] = ()) -> dict[str, Any]:
    """Dataset of labelled FASTA files (one class a file: Janggu's Oct4 vs MafK peaks).

    ``source_paths[i]`` holds sequences labelled ``dataset.sources[i]['label']`` (one value, or one
    per name of ``dataset.targets``); they are split at random into train, valid and, unless test
    files are given, test. ``test_paths`` (labelled by ``dataset.test_sources``) form the test
    split. Sequences are kept, padded and trimmed by the table rules (``length``,
    ``length_tolerance``, ``max_n``, ``pad``).
    """
    names = list(dataset.targets)
    test_sources = dataset.test_sources or []
    if len(test_paths) != len(test_sources):
        raise ValueError(f"{len(test_paths)} test FASTA files for {len(test_sources)} test_sources")
    labels = [source["label"] for source in dataset.sources] + [source["label"] for source in test_sources]
    ids, sequences, record_labels, where = read_labelled(list(source_paths) + list(test_paths), labels, len(names))
    test_files = {str(path) for path in test_paths}
    is_test = np.array([str(path) in test_files for path, _ in where], bool)
    keep, counts = select_sequences(sequences, dataset.length, dataset.length_tolerance, dataset.max_n)
    counts = {"records": counts.pop("rows"), "test_records": int(is_test.sum()), **counts}
    rows = np.flatnonzero(keep)
    codes = encode_padded([sequences[i] for i in rows], dataset.length, dataset.pad)
    targets, is_test, ids = np.asarray(record_labels, np.float32)[rows], is_test[rows], [ids[i] for i in rows]
    split_spec = dataset.split
    split = np.full(len(ids), 2, np.uint8)
    split[~is_test] = split_random(int((~is_test).sum()), split_spec["valid"],
                                   0.0 if test_sources else split_spec["test"], split_spec["seed"])
    attrs = {"task": dataset.task, "targets": names, "source": "fasta", "counts": counts,
             "split_rule": {"by": "random", **split_spec, **({"test": "test_sources"} if test_sources else {})},
             "padding": dataset.pad}
    for name, value in counts.items():
        log.info("%s: %s", name, value)
    for path, n in Counter(str(path) for path, _ in where).items():
        log.info("%s: %d records", path, n)
    return write_dataset(out, codes, targets, split, ids, attrs)


def from_promoters(tss_path: PathLike, genome_path: PathLike, expression_path: PathLike | Sequence[PathLike],
                   dataset: PromotersDataset, out: PathLike, gene_features_path: PathLike | None = None,
                   feature_table_paths: Sequence[PathLike] = ()) -> dict[str, Any]:
    """Dataset of promoter windows (5' to 3') with each gene's expression as target (Xpresso).

    Genes are joined by id: genes without a TSS, without expression, on contigs the genome lacks
    or too close to a contig end are dropped and counted. Per-gene features (``dataset.features``:
    Xpresso's mRNA half-life features derived from the annotation, ``gene_features_path``, and
    keyed tables, ``feature_table_paths`` in the order of ``features.tables``) go to the dataset's
    features (``cisflow.data.features``); a gene without one of them is dropped before the split,
    or given the column's mean over the training split, as ``features.missing`` says, counted in
    the log and in attrs' ``missing_features``.
    """
    sizes = contig_sizes(genome_path)
    tss = rename_contigs(read_tss(tss_path), sizes, source=str(tss_path))
    windows = promoter_windows(tss, dataset.upstream, dataset.downstream, dataset.tss_at)
    expression = read_values(expression_path, dataset.expression["id_column"], dataset.expression["target_columns"],
                             "expression")
    counts = {"tss": len(windows), "genes_with_expression": len(expression)}
    on_genome = windows["chrom"].isin(sizes.keys()).to_numpy()
    inside = on_genome & (windows["start"] >= 0).to_numpy() & (
        windows["end"].to_numpy() <= windows["chrom"].map(sizes).fillna(0).to_numpy())
    measured = windows["gene"].isin(expression.keys()).to_numpy()
    counts.update(tss_on_missing_contigs=int((~on_genome).sum()), windows_overrunning_contig_end=int(
        (on_genome & ~inside).sum()), tss_without_expression=int((inside & ~measured).sum()))
    counts["expression_without_tss"] = len(set(expression) - set(windows["gene"]))
    windows = windows[inside & measured].reset_index(drop=True)
    codes = extract_regions(windows, genome_path)
    minus = (windows["strand"] == "-").to_numpy()
    codes[minus] = reverse_complement(codes[minus])
    keep = filter_n(codes, dataset.max_n_fraction)
    counts["too_many_n"] = int((~keep).sum())
    features: np.ndarray | None = None
    feature_names: list[str] = []
    missing_features: dict[str, Any] | None = None
    if dataset.features is not None:
        joined = join_features(windows["gene"][keep].tolist(), dataset.features, gene_features_path,
                               feature_table_paths)
        without = np.isnan(joined.values).any(axis=1)
        if without.size and without.all():
            raise InputError(gene_features_path or feature_table_paths[0], "no gene of the dataset has all its "
                             "features (" + ", ".join(f"{source}: {n:,} genes without" for source, n in
                                                     joined.missing.items()) + ")")
        counts["genes_without_features"] = int(without.sum())
        missing_features = {"rule": dataset.features.missing, "genes": int(without.sum()), "by_source": joined.missing}
        features, feature_names = joined.values, joined.names
        if dataset.features.missing == "drop":
            keep[np.flatnonzero(keep)[without]] = False
            features = features[~without]
    windows, codes = windows[keep].reset_index(drop=True), codes[keep]
    counts["kept"] = len(windows)
    genes = windows["gene"].tolist()
    targets = np.stack([expression[gene] for gene in genes]) if genes else np.zeros((0, 1), np.float32)
    split = _split(dataset.split, windows["chrom"], len(windows))
    attrs = {"task": "regression", "targets": list(dataset.expression["target_columns"]), "source": "promoters",
             "features": feature_names, "counts": counts, "split_rule": dict(dataset.split),
             "promoters": {"upstream": dataset.upstream, "downstream": dataset.downstream}}
    if features is not None and missing_features is not None:
        if missing_features["rule"] == "impute":
            features, missing_features["training_means"] = impute_training_mean(
                features, np.flatnonzero(split == SPLITS["train"]), feature_names)
        attrs["missing_features"] = missing_features
        log.info("genes without features: %d (by source: %s), %s", missing_features["genes"], joined.missing,
                 "dropped" if missing_features["rule"] == "drop" else
                 "given the training split's means " + ", ".join(
                     f"{name} {mean:.4g}" for name, mean in missing_features["training_means"].items()))
    for name, value in counts.items():
        log.info("%s: %s", name, value)
    return write_dataset(out, codes, targets, split, genes, attrs, features, chroms=windows["chrom"].to_numpy())


def _split(rule, chroms, n):
    if isinstance(rule["valid"], list):
        return split_by_chromosome(chroms, rule["valid"], rule["test"])
    return split_random(n, rule["valid"], rule["test"], rule["seed"])


def build_dataset(dataset: Dataset, out: str, regions: str | None = None, targets: str | None = None,
                  counts: str | None = None, fasta: str | None = None, tss: str | None = None,
                  expression: str | Sequence[str] | None = None, gene_features: str | None = None,
                  feature_tables: str | Sequence[str] = (),
                  sources: str | Sequence[str] = (), test_sources: str | Sequence[str] = (),
                  table: str | Sequence[str] | None = None) -> dict[str, Any]:
    """The dataset rule: build ``dataset`` (a ``datasets`` entry of the config) at ``out`` from the
    inputs its kind takes.

    Parameters
    ----------
    dataset : PeaksDataset, PromotersDataset, FastaDataset or TableDataset
        The dataset's section of the config (``cisflow.config.settings.dataset_from_mapping``).
    out : str
        The dataset directory to write.
    regions, targets, counts, fasta : str
        peaks: the intervals rule's regions table, its regions x samples matrix and counts
        (``cisflow.io.regions``), the indexed genome.
    tss, expression : str or list of str
        promoters: the TSS BED, the expression table (one file, or the headerless files of a pasted
        table, read side by side).
    gene_features, feature_tables : str or list of str
        promoters with features: the table derived from the annotation (rule gene_features), the
        tables of ``features.tables`` (one file each, in order).
    sources, test_sources : str or list of str
        fasta: the labelled FASTA files, in the order of the config's lists.
    table : str or list of str
        table: the sequence table (or its pasted files).

    Returns
    -------
    dict
        The dataset's attributes.
    """
    if isinstance(dataset, PeaksDataset):
        table, matrix, samples, region_counts = read_intervals(_given(regions, "regions"), _given(targets, "targets"),
                                                               _given(counts, "counts"))
        return from_regions(table, matrix, samples, _given(fasta, "fasta"), dataset, out, region_counts,
                            source=_given(regions, "regions"))
    if isinstance(dataset, PromotersDataset):
        expression_files = _table_files(_given(expression, "expression"))
        return from_promoters(_given(tss, "tss"), _given(fasta, "fasta"), expression_files, dataset, out,
                              gene_features_path=gene_features, feature_table_paths=_paths(feature_tables))
    if isinstance(dataset, FastaDataset):
        return from_fasta(_paths(sources), dataset, out, test_paths=_paths(test_sources))
    table = _given(table, "table")
    return from_table(table if isinstance(table, str) else list(table), dataset, out)


def _given(value: T | None, name: str) -> T:
    """``value``, an input the dataset's kind takes; None (the rule gave none) is a ValueError naming it."""
    if value is None:
        raise ValueError(f"the dataset needs the input {name!r}")
    return value


def _table_files(files: str | Sequence[str]) -> str | list[str]:
    """A table's input as ``read_values`` takes it: one file, or the files of a pasted table (a list)."""
    return files if isinstance(files, str) else list(files)


def _paths(files: str | Sequence[str]) -> list[str]:
    return [files] if isinstance(files, str) else list(files)
