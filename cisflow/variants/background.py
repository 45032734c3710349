"""Background SNPs drawn by the workflow itself, to calibrate the scored variants and to test traits.

A variant's predicted effect means little on its own: effects are larger in peaks than between
them, larger in GC-rich windows, and differ from output to output. The workflow draws its own
background SNPs from the genome, a pool of candidates and from it SNPs in two roles, so that a
site's z-score depends on the site, the model, the genome, the peaks and the seed only, never on
the order or the company of the records:

* a candidate pool, drawn with the seed alone: ``POOL_SIZE`` positions on the contigs that carry
  the model's peaks (every contig long enough for the window when there are none), weighted by
  usable length, half uniform and half near peaks (so that bins close to peaks fill where peaks are
  sparse), windows with more than 10 % N or a centre base that is not ACGT left out; each has its
  window's GC content (5 % bins) and its distance to the nearest peak of the model's training
  regions (inside a peak, then up to 1 kb, 10 kb, 100 kb, farther: the distance strata);
* the **reference** (``role`` 'reference', ``matched_site`` -1): from the pool, ``reference``
  random candidates of each distance stratum (all of them where the pool has fewer), each with one
  random substitution. ``cisflow.variants.calibration`` sets every effect against the reference of
  its stratum: the same few hundred SNPs for every site, however small the set;
* the **matched** background (``role`` 'matched'): each scored site gets ``per_variant``
  candidates of the pool in its own bin of GC and distance (the nearest GC bins of the same
  distance bin, then neighbouring distance bins, where its bin has fewer), drawn with a generator
  seeded by the seed and the site itself (``site_key``: contig, position, REF and ALT alleles),
  so that a site draws the same SNPs alone or among others. Two sites may draw the same candidate.
  Each background SNP inherits the number of alleles scored at its site and, for one allele, its
  substitution class (transition or transversion), so that sites whose other allele is unknown
  (three substitutions, ``cisflow.variants.alleles``) are compared with sites treated alike.
  ``matched_site`` records which site a background SNP was drawn for, so that any subset of sites
  (a trait's) has its own matched background (``cisflow.variants.enrichment``). How many were
  drawn from the site's own bin is logged.
"""

import hashlib
import logging
from collections.abc import Iterable, Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from cisflow.config.settings import Background
from cisflow.encode import gc_fraction
from cisflow.io.contigs import on_genome
from cisflow.io.errors import InputError
from cisflow.io.genome import read_fai, window_codes
from cisflow.io.peaks import read_peaks
from cisflow.io.regions import read_regions
from cisflow.io.textio import first_line
from cisflow.types import PathLike

log = logging.getLogger(__name__)

BASES = "ACGT"
TRANSITION = {"A": "G", "G": "A", "C": "T", "T": "C"}
GC_BIN = 0.05
DISTANCE_EDGES = np.array([1, 1_001, 10_001, 100_001])  # bp: 0 inside a peak, then <= 1 kb, 10 kb, 100 kb, farther
MAX_N_FRACTION = 0.1
POOL_SIZE = 100_000  # candidates drawn for the pool, however many sites there are


def read_peak_regions(path: PathLike, contigs: Iterable[str], genome_path: PathLike,
                      aliases: dict[str, str] | None = None) -> pd.DataFrame:
    """The peaks background SNPs are matched on: the regions of an intervals table (the
    workflow's ``results/intervals/<dataset>.tsv.gz``) that are not background, or the
    records of a BED or narrowPeak file; contig names mapped to the genome's ``contigs`` (those of
    ``genome_path``). Peaks on other contigs are left out and counted in the log; a file none of
    whose peaks is on the genome is an InputError (``cisflow.io.contigs.on_genome``)."""
    if first_line(path).startswith("chrom\tstart\tend"):
        regions = read_regions(path)
        peaks = regions.loc[regions["background"] == 0, ["chrom", "start", "end"]].reset_index(drop=True)
    else:
        peaks = read_peaks(path, "bed")[["chrom", "start", "end"]]  # coordinates only: any BED-like layout
    return on_genome(peaks, path, contigs, genome_path, aliases).reset_index(drop=True)


def peak_distance(peaks: Mapping[str, tuple[np.ndarray, np.ndarray]], chrom: str,
                  positions: npt.ArrayLike) -> np.ndarray:
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


def merged_peaks(peaks: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{chrom: (sorted starts, ends)} of the peaks, overlapping ones merged."""
    merged = {}
    for chrom, group in peaks.groupby("chrom", sort=False):
        order = np.argsort(group["start"].to_numpy(), kind="stable")
        starts, ends = group["start"].to_numpy()[order], group["end"].to_numpy()[order]
        reach = np.maximum.accumulate(ends)
        new = np.r_[True, starts[1:] >= reach[:-1]]
        merged[chrom] = (starts[new], np.maximum.reduceat(ends, np.flatnonzero(new)))
    return merged


def distance_stratum(distance: npt.ArrayLike) -> np.ndarray:
    """(n,) distance bins: 0 inside a peak, 1 within 1 kb, 2 within 10 kb, 3 within 100 kb, 4 farther."""
    return np.searchsorted(DISTANCE_EDGES, distance, side="right")


def site_bins(gc: npt.ArrayLike, distance: npt.ArrayLike) -> np.ndarray:
    """(n,) bin numbers of sites from their window GC fraction and distance to the nearest peak."""
    gc_bin = np.minimum((np.asarray(gc) / GC_BIN).astype(int), int(1 / GC_BIN) - 1)
    return gc_bin * (len(DISTANCE_EDGES) + 1) + distance_stratum(distance)


def site_key(chrom: str, pos: int, ref: str, alt: str) -> int:
    """A stable 64-bit integer of a site (its contig, position, REF and ALT alleles in any order):
    with the seed, it seeds the site's matched background."""
    alleles = f"{chrom}:{pos}:{ref}:{','.join(sorted(alt.split(',')))}"
    return int.from_bytes(hashlib.blake2b(alleles.encode(), digest_size=8).digest(), "little")


def draw_background(sites: pd.DataFrame, genome_path: PathLike, peaks: pd.DataFrame, seq_len: int,
                    settings: Background) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reference and the matched background SNPs of ``sites`` (see the module docstring).

    Parameters
    ----------
    sites : DataFrame
        One row per scored site: ``chrom``, ``pos`` (1-based), ``site``, ``ref`` and ``alt`` (the
        alleles scored there, ALTs comma-joined).
    genome_path : str or Path
        The indexed FASTA the sites were checked against.
    peaks : DataFrame
        chrom, start, end (0-based, half-open) of the model's training regions with a peak.
    seq_len : int
        The model's window: GC is measured over it, and background windows stay inside contigs.
    settings : Background
        The variant set's ``background``: ``per_variant`` matched background SNPs per site, fewer (at
        least one) where ``max`` would be passed; at most ``max`` matched background SNPs: beyond
        ``max`` sites, the ``max`` sites of smallest ``site_key`` get one each (so that the cost stays
        a fraction of the scoring's), the reference on top; ``reference`` SNPs per distance stratum;
        ``seed`` seeds the pool and the reference, and with each site's key its matched background.

    Returns
    -------
    DataFrame
        In the shape of ``cisflow.io.vcf.read_vcf`` (chrom, pos, id, ref, alt, line), ``alt``
        comma-joined where a site has several alleles, plus ``matched_site`` (-1 for the
        reference), ``role`` ('reference', then 'matched'), ``gc``, ``peak_distance`` and
        ``stratum`` (``distance_stratum``); ids are 'ref:<chrom>:<pos>' and, for a matched SNP,
        'bg:<chrom>:<pos>:<site key in hex>', whatever the order of the sites. And ``sites`` with
        their own ``gc``, ``peak_distance``, ``bin`` and ``stratum``.
    """
    per_variant, max_count, seed = settings.per_variant, settings.max, settings.seed
    rng = np.random.default_rng(seed)
    index = read_fai(genome_path)
    merged = merged_peaks(peaks)
    sites = sites.reset_index(drop=True)
    sites = sites.assign(**_features(genome_path, index, merged, sites["chrom"], sites["pos"] - 1, seq_len))
    pool = _candidates(rng, genome_path, index, merged, seq_len, POOL_SIZE)
    references = _reference(rng, pool, settings.reference)
    keys = np.array([site_key(*site) for site in zip(sites["chrom"], sites["pos"], sites["ref"], sites["alt"])],
                    dtype=np.uint64)
    per = max(1, min(per_variant, max_count // max(len(sites), 1)))
    matched = np.sort(np.argsort(keys, kind="stable")[:max_count])
    if per < per_variant or len(matched) < len(sites):
        log.info("background: %d per site for %d of %d sites (not %d per site) to stay within %d SNPs", per,
                 len(matched), len(sites), per_variant, max_count)
    drawn = _match(seed, sites.iloc[matched], keys[matched], pool, per)
    exact = int(drawn.pop("exact").sum())
    log.info("background: %d reference SNPs (%s per distance stratum), %d matched to %d sites, %d in the site's "
             "own GC and distance bin", len(references), references["stratum"].value_counts().sort_index().to_dict(),
             len(drawn), len(sites), exact)
    background = pd.concat([references, drawn], ignore_index=True).assign(line=0)
    columns = ["chrom", "pos", "id", "ref", "alt", "line", "matched_site", "role", "gc", "peak_distance", "stratum"]
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


def _candidates(rng, genome_path, index, merged, seq_len, n):
    """The pool: about ``n`` candidate positions on the contigs with peaks (on every contig when
    there are no peaks) longer than the window; half uniform, half near peaks. Windows with more
    than 10 % N or a centre base that is not ACGT are left out."""
    contigs = [c for c in (merged or index) if c in index and index[c][0] > seq_len]
    if not contigs:
        raise InputError(genome_path, f"no background SNP could be drawn: no contig{' with peaks' if merged else ''} "
                                      f"is longer than the model's window ({seq_len} bp)")
    usable = np.array([index[c][0] - seq_len for c in contigs], np.float64)
    parts = []
    for chrom, count in zip(contigs, rng.multinomial(n, usable / usable.sum())):
        low, high = seq_len // 2, index[chrom][0] - (seq_len - seq_len // 2)
        uniform = rng.integers(low, high, count - count // 2)
        near = _near_peaks(rng, merged.get(chrom), count // 2, low, high)
        positions = np.unique(np.concatenate([uniform, near]))
        windows = window_codes(genome_path, chrom, positions - seq_len // 2, seq_len, index)
        centre = windows[:, seq_len // 2]
        keep = ((windows == 4).mean(axis=1) <= MAX_N_FRACTION) & (centre < 4)
        positions, windows, centre = positions[keep], windows[keep], centre[keep]
        gc = gc_fraction(windows)
        distance = peak_distance(merged, chrom, positions)
        parts.append(pd.DataFrame({"chrom": chrom, "pos": positions + 1, "ref": np.array(list(BASES))[centre],
                                   "gc": gc, "peak_distance": distance, "bin": site_bins(gc, distance),
                                   "stratum": distance_stratum(distance)}))
    return pd.concat(parts, ignore_index=True)


def _reference(rng, pool, per_stratum):
    """``per_stratum`` random candidates of each distance stratum of the pool (all where it has
    fewer), each with one random substitution."""
    strata = pool["stratum"].to_numpy()
    rows = np.concatenate([rng.permutation(np.flatnonzero(strata == stratum))[:per_stratum]
                           for stratum in range(len(DISTANCE_EDGES) + 1)]).astype(np.int64)
    reference = pool.iloc[rows].reset_index(drop=True)
    ref = np.array([BASES.index(base) for base in reference["ref"]], dtype=np.int64)
    alt = np.array(list(BASES))[(ref + rng.integers(1, len(BASES), len(ref))) % len(BASES)]
    return reference.assign(id="ref:" + reference["chrom"] + ":" + reference["pos"].astype(str), alt=alt,
                            matched_site=-1, role="reference")


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


def _match(seed, sites, keys, pool, per):
    """``per`` pool rows for each of ``sites`` (of site keys ``keys``), drawn without replacement
    with a generator of ``seed`` and the site's key: from the site's own bin first, then the
    nearest bins; with their ALT alleles, ids, ``matched_site``, ``role`` and ``exact`` (drawn
    from the site's own bin)."""
    n_distance = len(DISTANCE_EDGES) + 1
    pool_bins = pool["bin"].to_numpy()
    by_bin = {b: np.flatnonzero(pool_bins == b) for b in np.unique(pool_bins)}
    nearest = {b: _nearest_bins(b, n_distance, by_bin) for b in np.unique(sites["bin"])}
    refs, chroms, positions = pool["ref"].to_numpy(), pool["chrom"].to_numpy(), pool["pos"].to_numpy()
    rows, alts, ids, matched_site, exact = [], [], [], [], []
    for site, key in zip(sites.itertuples(), keys):
        rng = np.random.default_rng([seed, int(key)])
        chosen = []
        for other in nearest[site.bin]:
            take = min(per - len(chosen), len(by_bin[other]))
            chosen += rng.choice(by_bin[other], take, replace=False).tolist()
            exact += [other == site.bin] * take
            if len(chosen) == per:
                break
        site_alts = site.alt.split(",")
        transition = TRANSITION[site.ref] == site_alts[0]
        rows += chosen
        alts += [_background_alts(rng, refs[row], len(site_alts), transition) for row in chosen]
        ids += [f"bg:{chroms[row]}:{positions[row]}:{int(key):016x}" for row in chosen]
        matched_site += [site.site] * len(chosen)
    return pool.iloc[rows].reset_index(drop=True).assign(id=ids, alt=alts, matched_site=matched_site,
                                                         role="matched", exact=exact)


def _nearest_bins(bin_, n_distance, by_bin):
    """Bins of the pool, nearest to ``bin_`` first: same distance bin by GC distance, then
    other distance bins."""
    gc, distance = divmod(int(bin_), n_distance)

    def cost(other):
        other_gc, other_distance = divmod(int(other), n_distance)
        return (abs(other_distance - distance) * 100 + abs(other_gc - gc), other)

    return sorted(by_bin, key=cost)


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


def sites_of(checked: pd.DataFrame) -> pd.DataFrame:
    """The scored SNV sites of a checked table (rows grouped by ``site``): chrom, pos, site, and
    the alleles scored there, ``ref`` and ``alt`` (sorted, comma-joined)."""
    snvs = checked.loc[checked["score_ref"].notna() & checked["status"].isin(["scored", "swapped"]),
                       ["site", "chrom", "pos", "score_ref", "score_alt"]]  # not the per-output columns
    first = snvs.groupby("site", sort=False).first()
    ordered = snvs.sort_values("score_alt", kind="stable")
    alts = (ordered["score_alt"] + ",").groupby(ordered["site"]).sum().str[:-1]  # sorted, joined (a sum: fast)
    return pd.DataFrame({
        "chrom": first["chrom"].to_numpy(), "pos": first["pos"].to_numpy(), "site": first.index.to_numpy(),
        "ref": first["score_ref"].to_numpy(), "alt": alts.loc[first.index].to_numpy(),
    })
