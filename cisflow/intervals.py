"""Peaks of many samples merged into one set of fixed-width regions with a regions x samples matrix.

Basset's preprocessing: each peak becomes a window of the chosen width around its summit (or
midpoint); overlapping windows of any samples are merged (bedtools merge) into one region, centred
on the mean of the merged summits; the region is active (1) in every sample that contributed a
peak. Regions that overrun a contig end, or lie on contigs the genome lacks, are dropped and counted.
"""

import logging

import numpy as np
import pandas as pd
import pybedtools

from cisflow.errors import InputError

log = logging.getLogger(__name__)


def peak_centers(peaks, center):
    """0-based centre of each peak: its summit, or the midpoint of start and end."""
    if center == "summit":
        return peaks["summit"].to_numpy()
    return ((peaks["start"] + peaks["end"]) // 2).to_numpy()


def merge_peaks(peaks_by_sample, width, contig_sizes, center="summit", missing_contig="drop", source=None):
    """Merge per-sample peaks into fixed-width regions.

    ``peaks_by_sample``: {sample: DataFrame of chrom, start, end, summit} in sample order.
    Returns (regions, counts): regions has chrom, start, end, id and one 0/1 column per sample;
    counts says how many peaks and regions each filter removed.
    """
    samples = list(peaks_by_sample)
    half = width // 2
    rows, counts = [], {"peaks": 0, "peaks_on_missing_contigs": 0}
    for index, sample in enumerate(samples):
        peaks = peaks_by_sample[sample]
        counts["peaks"] += len(peaks)
        known = peaks["chrom"].isin(contig_sizes.keys()).to_numpy()
        if not known.all():
            missing = sorted(set(peaks.loc[~known, "chrom"]))
            if missing_contig == "error":
                raise InputError(source or sample, f"peaks on contigs absent from the genome: {', '.join(missing)}")
            log.warning("%s: %d peaks on contigs absent from the genome dropped (%s)", sample, (~known).sum(),
                        ", ".join(missing[:10]))
            counts["peaks_on_missing_contigs"] += int((~known).sum())
        centers = peak_centers(peaks, center)[known]
        for chrom, pos in zip(peaks["chrom"].to_numpy()[known], centers):
            rows.append((chrom, max(int(pos) - half, 0), int(pos) - half + width, int(pos), index))
    merged = _merge_windows(rows)
    regions, overrun = _recentre(merged, samples, width, contig_sizes)
    counts["merged_regions"] = len(merged)
    counts["regions_overrunning_contig_end"] = overrun
    counts["regions"] = len(regions)
    return regions, counts


def _merge_windows(rows):
    """bedtools merge of the windows; per merged region the collapsed summits and sample indices."""
    bed = pybedtools.BedTool(rows).sort()
    merged = bed.merge(c="4,5", o="collapse,distinct")
    out = [(f.chrom, [int(s) for s in f.fields[3].split(",")], [int(s) for s in f.fields[4].split(",")])
           for f in merged]
    pybedtools.cleanup()
    return out


def _recentre(merged, samples, width, contig_sizes):
    chroms, starts, activity, overrun = [], [], [], 0
    for chrom, summits, members in merged:
        start = int(round(np.mean(summits))) - width // 2
        if start < 0 or start + width > contig_sizes[chrom]:
            overrun += 1
            continue
        chroms.append(chrom)
        starts.append(start)
        row = np.zeros(len(samples), np.uint8)
        row[members] = 1
        activity.append(row)
    starts = np.array(starts, np.int64)
    regions = pd.DataFrame({"chrom": chroms, "start": starts, "end": starts + width})
    regions["id"] = regions["chrom"] + ":" + regions["start"].astype(str) + "-" + regions["end"].astype(str)
    matrix = np.array(activity, np.uint8).reshape(len(chroms), len(samples))
    return pd.concat([regions, pd.DataFrame(matrix, columns=samples)], axis=1), overrun


def drop_blacklisted(regions, blacklist):
    """``regions`` less those overlapping any interval of ``blacklist`` (chrom, start, end), and
    how many were dropped (bedtools intersect)."""
    if regions.empty or blacklist.empty:
        return regions, 0
    rows = zip(regions["chrom"], regions["start"], regions["end"], range(len(regions)))
    hits = pybedtools.BedTool(list(rows)).intersect(
        pybedtools.BedTool(list(zip(blacklist["chrom"], blacklist["start"], blacklist["end"]))), u=True)
    dropped = {int(feature.fields[3]) for feature in hits}
    pybedtools.cleanup()
    keep = ~np.isin(np.arange(len(regions)), list(dropped))
    return regions[keep].reset_index(drop=True), len(dropped)


def background_regions(regions, n, width, contig_sizes, seed, exclude_margin=0):
    """``n`` random windows that overlap no region (nor come within ``exclude_margin`` bp of one).

    Windows are drawn uniformly over the genome's contigs, seeded; their targets are all zero.
    """
    rng = np.random.default_rng(seed)
    names = list(contig_sizes)
    lengths = np.array([contig_sizes[c] for c in names], np.float64)
    usable = np.clip(lengths - width, 0, None)
    picked = []
    by_chrom = {c: np.sort(g["start"].to_numpy()) for c, g in regions.groupby("chrom")}
    attempts = 0
    while len(picked) < n and attempts < 100 * max(n, 1):
        attempts += 1
        chrom = names[rng.choice(len(names), p=usable / usable.sum())]
        start = int(rng.integers(0, contig_sizes[chrom] - width + 1))
        taken = by_chrom.get(chrom, np.empty(0, np.int64))
        near = np.searchsorted(taken, [start - width - exclude_margin, start + width + exclude_margin])
        if near[1] > near[0]:
            continue
        by_chrom[chrom] = np.insert(taken, np.searchsorted(taken, start), start)
        picked.append((chrom, start))
    if len(picked) < n:
        log.warning("only %d of %d background windows found away from peaks", len(picked), n)
    background = pd.DataFrame(picked, columns=["chrom", "start"])
    background["start"] = background["start"].astype(np.int64)
    background["end"] = background["start"] + width
    background["id"] = "bg:" + background["chrom"] + ":" + background["start"].astype(str)
    for sample in regions.columns[4:]:
        background[sample] = np.uint8(0)
    return background


def read_regions(path):
    """The regions table written by the intervals rule (TSV: chrom, start, end, id, samples...)."""
    return pd.read_csv(path, sep="\t", dtype={"chrom": str, "id": str})


def sample_columns(regions):
    return list(regions.columns[4:])
