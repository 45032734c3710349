"""The demo's peaks: placed on the genome, motif sites planted near their summits, written as narrowPeak.

Each cell type's own peaks carry 1 to 3 sites of its motif near the summit and the peaks shared by all three
carry SP1 (``cisflow.demo.motifs``); a shared peak is listed in every sample with its start, end and summit
slightly jittered. Besides the ordinary peaks there are the ones the pipeline must drop: one per sample whose
summit is within 100 bp of a contig end, and two whose summit is in the internal N block (no site planted). Peaks
are named <sample>_NNNN or shared_NNNN along the genome. ``narrowpeak_text`` writes a sample's peak file,
``sites_text`` every planted site (motif_sites.tsv), ``samples_text`` the sample sheet (samples.tsv).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from cisflow.demo.genome import CONTIGS, GAP_CONTIG, Genome, plain_segments
from cisflow.demo.layout import layout
from cisflow.demo.motifs import PEAK_MOTIFS, SHARED_MOTIF, Motif, on_plus_strand, sample_site
from cisflow.encode import decode

WIDTH = (150, 500)
JITTER = 20  # of a shared peak's start and end between samples
SUMMIT_JITTER = 10
SITES_PER_PEAK = (0.4, 0.35, 0.25)  # probabilities of 1, 2 or 3 planted sites in a peak
SITE_REACH = 40  # planted sites lie within this many bp of every listed summit
MIN_GAP = 300  # between peaks
EDGE_MARGIN = 2_000  # ordinary peaks keep this far from N blocks and contig ends
N_SPECIFIC, N_SHARED = 600, 250

Position = int | np.integer
"""A genome coordinate, as drawn by numpy or computed in Python."""


class Site(NamedTuple):
    """A planted motif instance: 0-based start on the + strand, its strand, its bases read on that strand."""

    start: int
    strand: str
    bases: np.ndarray

    @property
    def end(self) -> int:
        return self.start + len(self.bases)


class Call(NamedTuple):
    """One sample's narrowPeak row for a peak (0-based, half-open; summit absolute)."""

    start: int
    end: int
    summit: int
    signal: float
    pvalue: float
    qvalue: float


@dataclass
class Peak:
    chrom: str
    start: int
    end: int
    summit: int
    samples: tuple[str, ...]
    motif: Motif
    kind: str = "regular"  # or 'contig_end' / 'n_block', the peaks the pipeline must drop
    calls: dict[str, Call] = field(default_factory=dict)  # sample -> Call
    sites: list[Site] = field(default_factory=list)
    name: str = ""


def make_call(rng: np.random.Generator, start: Position, end: Position, summit: Position) -> Call:
    signal = rng.lognormal(2.5, 0.5)
    pvalue = signal * rng.uniform(3, 6)
    return Call(int(start), int(end), int(summit), signal, pvalue, pvalue * rng.uniform(0.8, 0.95))


def make_peak(rng: np.random.Generator, chrom: str, start: Position, end: Position, summit: Position,
              samples: tuple[str, ...], motif: Motif, kind: str = "regular") -> Peak:
    """A peak with one narrowPeak call per sample; a shared peak's calls are jittered sample by sample."""
    peak = Peak(chrom, int(start), int(end), int(summit), samples, motif, kind)
    for sample in samples:
        if len(samples) == 1:
            peak.calls[sample] = make_call(rng, start, end, summit)
        else:
            shift_start, shift_end = rng.integers(-JITTER, JITTER + 1, 2)
            shift_summit = rng.integers(-SUMMIT_JITTER, SUMMIT_JITTER + 1)
            peak.calls[sample] = make_call(rng, start + shift_start, end + shift_end, summit + shift_summit)
    return peak


def special_peaks(rng: np.random.Generator, genome: Genome, motifs: Mapping[str, Motif]) -> list[Peak]:
    """Peaks the pipeline must drop: one per sample whose summit is within 100 bp of a contig end, and two
    whose summit is in the internal N block (no site can be planted there)."""
    samples = list(PEAK_MOTIFS)
    peaks = []
    for sample, contig in zip(samples, [c for c in genome.codes if c != GAP_CONTIG]):
        size = len(genome.codes[contig])
        summit = size - int(rng.integers(10, 100))
        end = int(rng.integers(summit + 1, size + 1))
        start = end - int(rng.integers(WIDTH[0], WIDTH[1] + 1))
        motif = motifs[PEAK_MOTIFS[sample]]
        peaks.append(make_peak(rng, contig, start, end, summit, (sample,), motif, "contig_end"))
    _, gap_start, gap_end = next(gap for gap in genome.gaps if gap[0] == GAP_CONTIG and gap[1] > 0)
    for sample, fraction in zip(samples, (0.25, 0.75)):
        summit = gap_start + round(fraction * (gap_end - gap_start))
        width = int(rng.integers(WIDTH[0], WIDTH[1] + 1))
        start = summit - int(rng.integers(width // 4, 3 * width // 4 + 1))
        peaks.append(make_peak(rng, GAP_CONTIG, start, start + width, summit, (sample,),
                               motifs[PEAK_MOTIFS[sample]], "n_block"))
    return peaks


def share_out(rng: np.random.Generator, count: int, lengths: Sequence[int]) -> np.ndarray:
    """Segment index of each of ``count`` items, in proportion to the segments' lengths.

    Each segment gets the whole part of its share and the leftovers go at random, weighted by the fractions,
    so no segment gets more than its share rounded up (a random draw could overfill a short one).
    """
    shares = count * np.asarray(lengths) / np.sum(lengths)
    numbers = np.floor(shares).astype(int)
    leftover = count - numbers.sum()
    if leftover:
        fractions = shares - numbers
        numbers[rng.choice(len(numbers), leftover, replace=False, p=fractions / fractions.sum())] += 1
    return np.repeat(np.arange(len(numbers)), numbers)


def place_peaks(rng: np.random.Generator, genome: Genome, motifs: Mapping[str, Motif], scale: float) -> list[Peak]:
    """All peaks: the special ones, then ordinary ones (in random order) spread over the plain sequence in
    proportion to its length, every two at least MIN_GAP apart whatever the samples' jitter."""
    samples = list(PEAK_MOTIFS)
    peaks = special_peaks(rng, genome, motifs)
    own = {s: round(N_SPECIFIC * scale) - sum(p.samples == (s,) for p in peaks) for s in samples}
    owners: list[tuple[str, ...]] = [(s,) for s in samples for _ in range(own[s])]
    owners += [tuple(samples)] * round(N_SHARED * scale)
    owners = [owners[i] for i in rng.permutation(len(owners))]
    pad = np.array([2 * JITTER * (len(owner) > 1) for owner in owners])  # keeps jittered widths in WIDTH
    widths = rng.integers(WIDTH[0] + pad, WIDTH[1] - pad + 1)
    summits = rng.integers(widths // 4, 3 * widths // 4 + 1)
    segments = list(plain_segments(genome, EDGE_MARGIN))
    where = share_out(rng, len(owners), [end - start for _, start, end in segments])
    starts = np.empty(len(owners), dtype=int)
    for k, (_, seg_start, seg_end) in enumerate(segments):
        here = np.flatnonzero(where == k)
        starts[here] = seg_start + JITTER + layout(rng, widths[here] + 2 * JITTER, seg_end - seg_start, MIN_GAP)
    for owner, k, start, width, summit in zip(owners, where, starts, widths, summits):
        motif = motifs[SHARED_MOTIF if len(owner) > 1 else PEAK_MOTIFS[owner[0]]]
        peaks.append(make_peak(rng, segments[k][0], start, start + width, start + summit, owner, motif))
    return peaks


def plant_sites(rng: np.random.Generator, genome: Genome, peaks: Sequence[Peak]) -> None:
    """Write 1, 2 or 3 instances (SITES_PER_PEAK) of each peak's motif (random strands) near its summit into the genome.

    Sites of shared peaks keep SUMMIT_JITTER closer to the summit so they are within SITE_REACH of every
    sample's summit. Peaks in the N block get none.
    """
    for peak in peaks:
        if peak.kind == "n_block":
            continue
        reach = SITE_REACH - (SUMMIT_JITTER if len(peak.samples) > 1 else 0)
        low = peak.summit - reach
        high = min(peak.summit + reach + 1, len(genome.codes[peak.chrom]))
        count = rng.choice([1, 2, 3], p=SITES_PER_PEAK)
        for start in np.sort(low + layout(rng, [peak.motif.length] * count, high - low)):
            site = Site(int(start), "+" if rng.random() < 0.5 else "-", sample_site(rng, peak.motif))
            genome.codes[peak.chrom][site.start : site.end] = on_plus_strand(site.bases, site.strand)
            peak.sites.append(site)


def sort_and_name(peaks: Sequence[Peak]) -> list[Peak]:
    """Peaks in genome order, named <sample>_NNNN (own peaks) or shared_NNNN, numbered along the genome."""
    order = list(CONTIGS)
    peaks = sorted(peaks, key=lambda p: (order.index(p.chrom), p.start))
    numbers: dict[str, int] = {}
    for peak in peaks:
        owner = peak.samples[0] if len(peak.samples) == 1 else "shared"
        numbers[owner] = numbers.get(owner, 0) + 1
        peak.name = f"{owner}_{numbers[owner]:04d}"
    return peaks


def narrowpeak_text(peaks: Sequence[Peak], sample: str) -> str:
    """ENCODE narrowPeak rows of one sample, sorted by contig then start."""
    order = list(CONTIGS)
    rows = sorted((order.index(p.chrom), p.calls[sample], p) for p in peaks if sample in p.calls)
    return "".join(
        f"{p.chrom}\t{c.start}\t{c.end}\t{p.name}\t{min(1000, round(10 * c.qvalue))}\t.\t"
        f"{c.signal:.5f}\t{c.pvalue:.5f}\t{c.qvalue:.5f}\t{c.summit - c.start}\n"
        for _, c, p in rows
    )


def sites_text(peaks: Sequence[Peak]) -> str:
    rows = ["peak\tchrom\tstart\tend\tstrand\ttf\tjaspar_id\tsequence\n"]
    for peak in peaks:
        for site in peak.sites:
            rows.append(f"{peak.name}\t{peak.chrom}\t{site.start}\t{site.end}\t{site.strand}\t{peak.motif.tf}\t"
                        f"{peak.motif.jaspar_id}\t{decode(site.bases)}\n")
    return "".join(rows)


def samples_text(motifs: Mapping[str, Motif]) -> str:
    rows = ["sample\tpeaks\tmotif"]
    rows += [f"{s}\tpeaks/{s}.narrowPeak.gz\t{motifs[i].tf}" for s, i in PEAK_MOTIFS.items()]
    return "\n".join(rows) + "\n"
