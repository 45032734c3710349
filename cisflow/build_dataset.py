"""Datasets built from genomic regions or from sequence tables, in the one format of cisflow.dataset."""

import logging

import numpy as np

from cisflow.dataset import split_by_chromosome, split_random, write_dataset
from cisflow.intervals import sample_columns
from cisflow.negatives import shuffled_negatives
from cisflow.sequences import extract_regions, filter_n
from cisflow.tables import encode_table, read_table, select_sequences

log = logging.getLogger(__name__)


def from_regions(regions, genome_path, spec, out, region_counts=None):
    """Dataset of the regions' sequences with their sample activity as binary targets.

    Regions with more N than ``spec['max_n_fraction']`` are dropped and counted; the split holds
    out the chromosomes of ``spec['split']``.
    """
    codes = extract_regions(regions, genome_path)
    keep = filter_n(codes, spec["max_n_fraction"])
    counts = {**(region_counts or {}), "regions_in": len(regions), "too_many_n": int((~keep).sum())}
    regions, codes = regions[keep].reset_index(drop=True), codes[keep]
    samples = sample_columns(regions)
    ids, targets, chroms = regions["id"].tolist(), regions[samples].to_numpy(np.float32), regions["chrom"].to_numpy()
    if spec.get("background_method") == "dinucleotide_shuffle":
        positive = np.flatnonzero(targets.any(axis=1))
        shuffled, shuffled_ids, sources = shuffled_negatives(codes[positive], [ids[i] for i in positive],
                                                             round(spec["background"] * len(positive)), spec["seed"])
        codes = np.concatenate([codes, shuffled])
        targets = np.concatenate([targets, np.zeros((len(shuffled), len(samples)), np.float32)])
        ids, chroms = ids + shuffled_ids, np.concatenate([chroms, chroms[positive][sources]])
        counts["dinucleotide_shuffles"] = len(shuffled)
    counts["kept"] = len(ids)
    split = split_by_chromosome(chroms, spec["split"]["valid"], spec["split"]["test"])
    attrs = {"task": "classification", "targets": samples, "source": "peaks", "counts": counts,
             "split_rule": {"by": "chromosome", **spec["split"]},
             "regions": {"width": int(codes.shape[1]), "center": spec.get("center", "summit")}}
    for name, value in counts.items():
        log.info("%s: %s", name, value)
    return write_dataset(out, codes, targets, split, ids, attrs)


def from_table(table_path, spec, out):
    """Dataset of a table's sequences (DREAM-style filters, N padding) with its numeric targets."""
    ids, sequences, targets, first_line = read_table(table_path, spec["sequence_column"], spec["target_columns"],
                                                     spec.get("id_column"))
    keep, counts = select_sequences(sequences, spec["length"], spec["length_tolerance"], spec["max_n"])
    rows = np.flatnonzero(keep)
    codes = encode_table(table_path, [sequences[i] for i in rows], rows, spec["length"], spec["pad"], first_line)
    split_spec = spec["split"]
    split = split_random(len(rows), split_spec["valid"], split_spec["test"], split_spec["seed"])
    attrs = {"task": "regression", "targets": list(spec["target_columns"]), "source": "table", "counts": counts,
             "split_rule": {"by": "random", **split_spec}, "padding": spec["pad"]}
    for name, value in counts.items():
        log.info("%s: %s", name, value)
    return write_dataset(out, codes, targets[rows], split, [ids[i] for i in rows], attrs)
