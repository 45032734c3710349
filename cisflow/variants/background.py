"""Background SNPs drawn by the workflow itself, matched to the scored variants, to calibrate them.

A variant's predicted effect means little on its own: effects are larger in peaks than between
them, larger in GC-rich windows, and differ from output to output. Each scored site gets
``per_variant`` background SNPs drawn from the same genome, on its contig set, in the same bin
of window GC content (5 % bins) and of distance to the nearest peak of the model's training
regions (inside a peak, then up to 1 kb, 10 kb, 100 kb, farther). Each background SNP inherits
the number of alleles scored at its site and, for one allele, its substitution class
(transition or transversion), so that sites whose other allele is unknown (three substitutions,
``cisflow.variants.alleles``) are compared with sites treated alike. ``matched_site`` records which site
a background SNP was drawn for, so that any subset of sites (a trait's) has its own matched
background.

Where a bin has too few candidates, the nearest GC bins of the same distance bin are used, then
neighbouring distance bins; how many were matched exactly is logged.
"""

import logging

import numpy as np
import pandas as pd

from cisflow.data.encode import gc_fraction
from cisflow.io.contigs import rename_contigs
from cisflow.io.genome import read_fai, window_codes
from cisflow.io.peaks import read_peaks
from cisflow.io.regions import read_regions
from cisflow.io.textio import first_line

log = logging.getLogger(__name__)

BASES = "ACGT"
TRANSITION = {"A": "G", "G": "A", "C": "T", "T": "C"}
GC_BIN = 0.05
DISTANCE_EDGES = np.array([1, 1_001, 10_001, 100_001])  # bp: 0 inside a peak, then <= 1 kb, 10 kb, 100 kb, farther
MAX_N_FRACTION = 0.1
POOL_FACTOR = 8  # candidates drawn per background SNP wanted


def read_peak_regions(path, contigs, aliases=None):
    """The peaks background SNPs are matched on: the regions of an intervals table (the
    workflow's ``results/intervals/<dataset>.tsv.gz``) that are not background, or the
    records of a BED or narrowPeak file; contig names mapped to the genome's ``contigs``."""
    if first_line(path).startswith("chrom\tstart\tend"):
        regions = read_regions(path)
        peaks = regions.loc[regions["background"] == 0, ["chrom", "start", "end"]].reset_index(drop=True)
    else:
        peaks = read_peaks(path, "bed")[["chrom", "start", "end"]]  # coordinates only: any BED-like layout
    return rename_contigs(peaks, contigs, aliases, path)


def peak_distance(peaks, chrom, positions):
    """bp from each 0-based position to the nearest peak on ``chrom`` (0 inside one; a large
    number on a contig without peaks). ``peaks``: {chrom: (starts, ends)} of sorted, merged peaks."""
    positions = np.asarray(positions, dtype=np.int64)
    if chrom not in peaks or not len(peaks[chrom][0]):
        return np.full(len(positions), 10**12, dtype=np.int64)
    starts, ends = peaks[chrom]
    index = np.searchsorted(starts, positions, side="right") - 1
    before = np.where(index >= 0, positions - ends[np.maximum(index, 0)] + 1, 10**12)
    after_index = np.minimum(index + 1, len(starts) - 1)
    after = np.where(index + 1 < len(starts), starts[after_index] - positions, 10**12)
    return np.maximum(np.minimum(before, after), 0)


def merged_peaks(peaks):
    """{chrom: (sorted starts, ends)} of the peaks, overlapping ones merged."""
    merged = {}
    for chrom, group in peaks.groupby("chrom", sort=False):
        order = np.argsort(group["start"].to_numpy(), kind="stable")
        starts, ends = group["start"].to_numpy()[order], group["end"].to_numpy()[order]
        reach = np.maximum.accumulate(ends)
        new = np.r_[True, starts[1:] >= reach[:-1]]
        merged[chrom] = (starts[new], np.maximum.reduceat(ends, np.flatnonzero(new)))
    return merged


def distance_stratum(distance):
    """(n,) distance bins: 0 inside a peak, 1 within 1 kb, 2 within 10 kb, 3 within 100 kb, 4 farther."""
    return np.searchsorted(DISTANCE_EDGES, distance, side="right")


def site_bins(gc, distance):
    """(n,) bin numbers of sites from their window GC fraction and distance to the nearest peak."""
    gc_bin = np.minimum((np.asarray(gc) / GC_BIN).astype(int), int(1 / GC_BIN) - 1)
    return gc_bin * (len(DISTANCE_EDGES) + 1) + distance_stratum(distance)


def draw_background(sites, genome_path, peaks, seq_len, per_variant=3, max_count=20_000, seed=1):
    """Background SNPs matched to ``sites`` (see the module docstring).

    Parameters
    ----------
    sites : DataFrame
        One row per scored site: ``chrom``, ``pos`` (1-based), ``site``, ``n_alleles`` (alleles
        scored there) and ``transition`` (for one allele: whether it is a transition).
    genome_path : str or Path
        The indexed FASTA the sites were checked against.
    peaks : DataFrame
        chrom, start, end (0-based, half-open) of the model's training regions with a peak.
    seq_len : int
        The model's window: GC is measured over it, and background windows stay inside contigs.
    per_variant : int
        Background SNPs per site; fewer (at least one) where ``max_count`` would be passed.
    max_count : int
        At most this many background SNPs: beyond ``max_count`` sites, a seeded sample of
        ``max_count`` sites gets one each (so that the cost stays a fraction of the scoring's).
    seed : int
        Seeds the draw.

    Returns
    -------
    DataFrame
        In the shape of ``cisflow.io.vcf.read_vcf`` (chrom, pos, id, ref, alt, line), ``alt``
        comma-joined where a site has several alleles, plus ``matched_site``, ``gc``,
        ``peak_distance`` and ``stratum`` (``distance_stratum``); and ``sites`` with their own
        ``gc``, ``peak_distance``, ``bin`` and ``stratum``.
    """
    rng = np.random.default_rng(seed)
    index = read_fai(genome_path)
    merged = merged_peaks(peaks)
    sites = sites.reset_index(drop=True)
    sites = sites.assign(**_features(genome_path, index, merged, sites["chrom"], sites["pos"] - 1, seq_len))
    per = max(1, min(per_variant, max_count // max(len(sites), 1)))
    matched = sites if len(sites) <= max_count else sites.iloc[np.sort(rng.choice(len(sites), max_count, False))]
    if per < per_variant or len(matched) < len(sites):
        log.info("background: %d per site for %d of %d sites (not %d per site) to stay within %d SNPs", per,
                 len(matched), len(sites), per_variant, max_count)
    pool = _candidates(rng, genome_path, index, merged, sites, seq_len, POOL_FACTOR * per * len(matched))
    chosen, exact = _match(rng, matched, pool, per)
    log.info("background: %d SNPs for %d sites, %d in the site's own GC and distance bin", len(chosen), len(sites),
             exact)
    background = pool.iloc[chosen[:, 1]].reset_index(drop=True)
    matched = matched.loc[chosen[:, 0]].reset_index(drop=True)
    alts = [_background_alts(rng, ref, n, transition)
            for ref, n, transition in zip(background["ref"], matched["n_alleles"], matched["transition"])]
    background = background.assign(alt=alts, matched_site=matched["site"].to_numpy(), line=0,
                                   stratum=distance_stratum(background["peak_distance"]))
    background["id"] = [f"bg{i + 1}" for i in range(len(background))]
    columns = ["chrom", "pos", "id", "ref", "alt", "line", "matched_site", "gc", "peak_distance", "stratum"]
    return background[columns], sites.assign(stratum=distance_stratum(sites["peak_distance"]))


def _features(genome_path, index, merged, chroms, starts0, seq_len):
    """Window GC and distance to the nearest peak of 0-based positions ``starts0`` (centres)."""
    chroms = np.asarray(chroms, dtype=object)
    positions = np.asarray(starts0, dtype=np.int64)
    gc = np.full(len(positions), np.nan)
    distance = np.zeros(len(positions), np.int64)
    for chrom in dict.fromkeys(chroms):
        on = np.flatnonzero(chroms == chrom)
        windows = window_codes(genome_path, chrom, positions[on] - seq_len // 2, seq_len, index)
        gc[on] = gc_fraction(windows)
        distance[on] = peak_distance(merged, chrom, positions[on])
    return {"gc": gc, "peak_distance": distance, "bin": site_bins(gc, distance)}


def _candidates(rng, genome_path, index, merged, sites, seq_len, n):
    """About ``n`` candidate positions on the sites' contigs: half uniform, half near peaks (so
    that bins close to peaks fill where peaks are sparse). Windows with more than 10 % N, a
    centre base that is not ACGT, or a site's own position are left out."""
    contigs = list(dict.fromkeys(sites["chrom"]))
    lengths = np.array([index[c][0] for c in contigs], np.float64)
    usable = np.clip(lengths - seq_len, 1, None)
    taken = set(zip(sites["chrom"], sites["pos"]))
    parts = []
    for chrom, count in zip(contigs, rng.multinomial(n, usable / usable.sum())):
        length = index[chrom][0]
        low, high = seq_len // 2, length - (seq_len - seq_len // 2)
        if high <= low or count == 0:
            continue
        uniform = rng.integers(low, high, count - count // 2)
        near = _near_peaks(rng, merged.get(chrom), count // 2, low, high)
        positions = np.unique(np.concatenate([uniform, near]))
        windows = window_codes(genome_path, chrom, positions - seq_len // 2, seq_len, index)
        centre = windows[:, seq_len // 2]
        keep = ((windows == 4).mean(axis=1) <= MAX_N_FRACTION) & (centre < 4)
        positions, windows, centre = positions[keep], windows[keep], centre[keep]
        own = np.array([(chrom, p + 1) in taken for p in positions.tolist()], bool)
        positions, windows, centre = positions[~own], windows[~own], centre[~own]
        gc = gc_fraction(windows)
        distance = peak_distance(merged, chrom, positions)
        parts.append(pd.DataFrame({"chrom": chrom, "pos": positions + 1, "ref": np.array(list(BASES))[centre],
                                   "gc": gc, "peak_distance": distance, "bin": site_bins(gc, distance)}))
    if not parts:
        raise ValueError("no background SNP could be drawn: the sites' contigs are shorter than the model's window")
    return pd.concat(parts, ignore_index=True)


def _near_peaks(rng, peaks, n, low, high):
    """``n`` positions inside or around random peaks: offsets from a peak log-uniform up to 200 kb."""
    if peaks is None or not len(peaks[0]) or n == 0:
        return np.empty(0, np.int64)
    starts, ends = peaks
    pick = rng.integers(0, len(starts), n)
    inside = rng.random(n) < 0.4
    within = starts[pick] + (rng.random(n) * (ends[pick] - starts[pick])).astype(np.int64)
    offset = (10 ** rng.uniform(0, 5.3, n)).astype(np.int64)
    beside = np.where(rng.random(n) < 0.5, starts[pick] - offset, ends[pick] - 1 + offset)
    return np.clip(np.where(inside, within, beside), low, high - 1)


def _match(rng, sites, pool, per):
    """(k, 2) array of (site row, pool row) pairs, ``per`` pool rows a site, each pool row used
    once: from the site's own bin first, then the nearest bins. Returns it and how many pairs
    came from the site's own bin."""
    n_distance = len(DISTANCE_EDGES) + 1
    pool_bins = pool["bin"].to_numpy()
    available = {b: list(rng.permutation(np.flatnonzero(pool_bins == b))) for b in np.unique(pool_bins)}
    pairs, exact = [], 0
    for bin_, members in sites.groupby("bin").groups.items():
        members = rng.permutation(np.asarray(members))
        wanted = per * len(members)
        taken = []
        for other in _nearest_bins(bin_, n_distance, available):
            pool_rows = available[other]
            take = min(wanted - len(taken), len(pool_rows))
            taken += pool_rows[:take]
            available[other] = pool_rows[take:]
            if other == bin_:
                exact += take
            if len(taken) == wanted:
                break
        pairs += [(members[i % len(members)], row) for i, row in enumerate(taken)]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2), exact


def _nearest_bins(bin_, n_distance, available):
    """Bins with candidates, nearest to ``bin_`` first: same distance bin by GC distance, then
    other distance bins."""
    gc, distance = divmod(int(bin_), n_distance)

    def cost(other):
        other_gc, other_distance = divmod(int(other), n_distance)
        return (abs(other_distance - distance) * 100 + abs(other_gc - gc), other)

    return sorted((b for b, rows in available.items() if rows), key=cost)


def _background_alts(rng, ref, n_alleles, transition):
    """ALT allele(s) of a background SNP standing in for a site with ``n_alleles`` scored alleles
    (one allele: of the same substitution class)."""
    others = [base for base in BASES if base != ref]
    if n_alleles >= 3:
        return ",".join(others)
    if n_alleles == 2:
        return ",".join(sorted(rng.choice(others, 2, replace=False)))
    if transition:
        return TRANSITION[ref]
    return str(rng.choice([base for base in others if base != TRANSITION[ref]]))


def sites_of(checked):
    """The scored SNV sites of a checked table (rows grouped by ``site``): chrom, pos, site,
    n_alleles, transition (of the first allele)."""
    snvs = checked.loc[checked["score_ref"].notna() & checked["status"].isin(["scored", "swapped"]),
                       ["site", "chrom", "pos", "score_ref", "score_alt"]]  # not the per-output columns
    grouped = snvs.groupby("site", sort=False)
    first = grouped.first()
    return pd.DataFrame({
        "chrom": first["chrom"].to_numpy(), "pos": first["pos"].to_numpy(),
        "site": first.index.to_numpy(), "n_alleles": grouped.size().to_numpy(),
        "transition": [TRANSITION[r] == a for r, a in zip(first["score_ref"], first["score_alt"])],
    })
