"""Peaks of many samples merged into one set of fixed-width regions with a regions x samples matrix.

Basset's preprocessing: each peak becomes a window of the chosen width around its summit (or
midpoint); overlapping windows of any samples are merged (as bedtools merge does, in numpy so that
164 samples' millions of peaks merge in seconds) into one region, centred on the mean of the
merged summits; the region is active (1) in every sample that contributed a
peak. Regions that overrun a contig end, or lie on contigs the genome lacks, are dropped and counted;
a sample left with no peak at all is an error (or, when the dataset says so, dropped and recorded).
The regions x samples matrix stays a uint8 array from the merge to the file (``cisflow.io.regions``).
"""

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cisflow.config.settings import PeaksDataset
from cisflow.data.negatives import background_regions, gc_matched_background
from cisflow.io.contigs import karyotype_order, rename_contigs
from cisflow.io.errors import InputError
from cisflow.io.genome import contig_sizes
from cisflow.io.peaks import read_peaks
from cisflow.io.regions import write_intervals

log = logging.getLogger(__name__)


def peak_centers(peaks: pd.DataFrame, center: str) -> np.ndarray:
    """0-based centre of each peak: its summit, or the midpoint of start and end."""
    if center == "summit":
        return peaks["summit"].to_numpy()
    return ((peaks["start"] + peaks["end"]) // 2).to_numpy()


def merge_peaks(peaks_by_sample: Mapping[str, pd.DataFrame], dataset: PeaksDataset, contig_sizes: Mapping[str, int],
                paths: Mapping[str, str] | None = None) -> tuple[pd.DataFrame, np.ndarray, list[str], dict[str, Any]]:
    """Merge per-sample peaks into fixed-width regions.

    ``peaks_by_sample``: {sample: DataFrame of chrom, start, end, summit} in sample order;
    ``dataset``: the regions' ``width``, their ``center``, what ``missing_contig`` and
    ``empty_targets`` do; ``paths``: {sample: its peak file}, for messages. A sample none of whose
    peaks lies on a contig of the genome would be a target with no positive: an error, or with
    ``empty_targets`` 'drop' left out of the regions (logged, and recorded in counts['dropped_targets']).
    Returns (regions, activity, samples, counts): regions has chrom, start, end and id, in the
    genome's contig order; activity is their (regions, samples) uint8 0/1 matrix, whose columns are
    the kept ``samples``; counts says how many peaks and regions each filter removed.
    """
    paths = paths or {}
    samples: list[str] = []
    chrom_parts, centre_parts, member_parts = [], [], []
    counts: dict[str, Any] = {"peaks": 0, "peaks_on_missing_contigs": 0, "dropped_targets": {}}
    for sample, peaks in peaks_by_sample.items():
        counts["peaks"] += len(peaks)
        known = peaks["chrom"].isin(contig_sizes.keys()).to_numpy()
        if not known.all():
            missing = karyotype_order(peaks.loc[~known, "chrom"])
            if dataset.missing_contig == "error":
                raise InputError(paths.get(sample, sample),
                                 f"peaks on contigs absent from the genome: {', '.join(missing)}")
            log.warning("%s: %d peaks on contigs absent from the genome dropped (%s)", sample, (~known).sum(),
                        ", ".join(missing[:10]))
            counts["peaks_on_missing_contigs"] += int((~known).sum())
            if not known.any():
                shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
                reason = f"none of its {len(peaks):,} peaks lie on contigs of the genome ({shown})"
                if dataset.empty_targets == "error":
                    raise InputError(paths.get(sample, sample), f"sample {sample}: {reason}; check that the peaks "
                                     "and the genome are of one build, map contig names with contig_aliases, or "
                                     "set the dataset's empty_targets: drop to train without it")
                log.warning("sample %s dropped from the targets: %s", sample, reason)
                counts["dropped_targets"][sample] = reason
                continue
        chrom_parts.append(peaks["chrom"].to_numpy()[known])
        centre_parts.append(peak_centers(peaks, dataset.center)[known])
        member_parts.append(np.full(int(known.sum()), len(samples)))
        samples.append(sample)
    if not samples:
        first = next(iter(counts["dropped_targets"]))
        raise InputError(paths.get(first, first), "no sample is left to train on: " + "; ".join(
            f"sample {sample}: {reason}" for sample, reason in counts["dropped_targets"].items()))
    chroms, centres = np.concatenate(chrom_parts), np.concatenate(centre_parts)
    members = np.concatenate(member_parts)
    parts, counts["merged_regions"], counts["regions_overrunning_contig_end"] = [], 0, 0
    for chrom, size in contig_sizes.items():
        here = chroms == chrom
        if here.any():
            starts, activity, overrun = _merge_windows(centres[here], members[here], len(samples), dataset.width, size)
            parts.append((chrom, starts, activity))
            counts["merged_regions"] += len(starts) + overrun
            counts["regions_overrunning_contig_end"] += overrun
    regions, activity = _regions_table(parts, dataset.width), _activity(parts, len(samples))
    counts["regions"] = len(regions)
    return regions, activity, samples, counts


def _merge_windows(centres, members, n_samples, width, contig_size):
    """Merge the windows of width ``width`` around ``centres`` on one contig (overlapping or
    book-ended windows join, as bedtools merge does); re-centre each merged region on its mean
    centre. Returns region starts, their (regions, samples) activity, and how many overran the contig."""
    order = np.lexsort((members, centres))
    centres, members = centres[order], members[order]
    starts = centres - width // 2
    running_end = np.maximum.accumulate(starts + width)
    new_region = np.ones(len(starts), bool)
    new_region[1:] = starts[1:] > running_end[:-1]
    region = np.cumsum(new_region) - 1
    mean_centre = np.bincount(region, weights=centres) / np.bincount(region)
    region_starts = np.round(mean_centre).astype(np.int64) - width // 2
    activity = np.zeros((len(region_starts), n_samples), np.uint8)
    activity[region, members] = 1
    inside = (region_starts >= 0) & (region_starts + width <= contig_size)
    return region_starts[inside], activity[inside], int((~inside).sum())


def _regions_table(parts, width):
    starts = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
    regions = pd.DataFrame({"chrom": np.concatenate([[p[0]] * len(p[1]) for p in parts]) if parts else [],
                            "start": starts, "end": starts + width})
    regions["id"] = regions["chrom"].astype(str) + ":" + regions["start"].astype(str) + "-" + regions["end"].astype(str)
    return regions


def _activity(parts, n_samples):
    return np.concatenate([p[2] for p in parts]) if parts else np.zeros((0, n_samples), np.uint8)


def in_blacklist(regions: pd.DataFrame, blacklist: pd.DataFrame) -> np.ndarray:
    """(regions,) bool: which of ``regions`` overlap an interval of ``blacklist`` (both with chrom,
    start, end; half-open, so intervals that only touch do not overlap, as in bedtools intersect)."""
    listed = np.zeros(len(regions), bool)
    chroms = regions["chrom"].to_numpy()
    for chrom, group in blacklist.groupby("chrom", sort=False):
        rows = np.flatnonzero(chroms == chrom)
        if not len(rows):
            continue
        order = np.argsort(group["start"].to_numpy(), kind="stable")
        starts, ends = group["start"].to_numpy()[order], np.maximum.accumulate(group["end"].to_numpy()[order])
        before = np.searchsorted(starts, regions["end"].to_numpy()[rows], side="left") - 1  # last one starting before
        listed[rows] = (before >= 0) & (ends[np.maximum(before, 0)] > regions["start"].to_numpy()[rows])
    return listed


def build_intervals(peak_paths: dict, formats: dict, fasta: str, dataset: PeaksDataset, regions_out: str,
                    targets_out: str, counts_out: str, blacklist: str | None = None,
                    aliases: dict | None = None) -> dict:
    """The intervals rule: every sample's peaks merged into the dataset's regions, background
    regions added, blacklisted ones dropped.

    Parameters
    ----------
    peak_paths, formats : dict
        {sample: peak file}, {sample: its samples-sheet ``peak_format`` or None}, in sample order.
    fasta : str
        The indexed genome (its contig names and lengths).
    dataset : PeaksDataset
        The peaks dataset's section of the config (its width, center, background, background_method,
        seed, missing_contig, empty_targets).
    regions_out, targets_out, counts_out : str
        The regions table (TSV, gzipped: chrom, start, end, id, background; the background regions
        last), their (regions, samples) uint8 matrix (.npy, background rows all 0) and the counts of
        each filter with the matrix's samples (JSON); see ``cisflow.io.regions``.
    blacklist : str, optional
        A BED of regions to leave out (ENCODE's blacklist); regions and background windows
        overlapping it are dropped and counted.
    aliases : dict, optional
        Contig names of the peaks -> the genome's.

    Returns
    -------
    dict
        The counts written to ``counts_out`` (less the samples).
    """
    sizes = contig_sizes(fasta)
    peaks = {sample: rename_contigs(read_peaks(path, formats.get(sample)), sizes, aliases, path)
             for sample, path in peak_paths.items()}
    regions, activity, samples, counts = merge_peaks(peaks, dataset, sizes, peak_paths)
    del peaks  # done with: freed before the background's sequences are read
    background = background_for(regions, dataset, sizes, fasta)
    if blacklist:
        blocked = rename_contigs(read_peaks(blacklist, "bed"), sizes, aliases, "blacklist")
        listed, listed_background = in_blacklist(regions, blocked), in_blacklist(background, blocked)
        counts["regions_in_blacklist"] = int(listed.sum())
        counts["background_in_blacklist"] = int(listed_background.sum())
        regions, activity, background = regions[~listed], activity[~listed], background[~listed_background]
        counts["regions"] = len(regions)
    counts["background_regions"] = len(background)
    for name, value in counts.items():
        log.info("%s: %s", name, value)
    table = pd.concat([regions.assign(background=0), background.assign(background=1)], ignore_index=True)
    targets = np.concatenate([activity, np.zeros((len(background), len(samples)), np.uint8)])
    write_intervals(table, targets, samples, counts, regions_out, targets_out, counts_out)
    return counts


def background_for(regions: pd.DataFrame, dataset: PeaksDataset, sizes: Mapping[str, int],
                   fasta: str) -> pd.DataFrame:
    """The peak-free background regions the dataset asks for: ``background`` per region, drawn at
    random or matching the regions' GC (``background_method``); dinucleotide shuffles of the
    positives are made with the dataset instead, so none here."""
    n = round(dataset.background * len(regions)) if dataset.background_method != "dinucleotide_shuffle" else 0
    if dataset.background_method == "gc_matched":
        return gc_matched_background(regions, n, dataset.width, sizes, dataset.seed, fasta)
    return background_regions(regions, n, dataset.width, sizes, dataset.seed)
