"""The bundled demo data: a small synthetic genome with peaks, variants and an activity table, truth included.

``python -m cisflow.demo OUTDIR [--seed 7]`` writes every input the workflow's demo run consumes, plus the
truth its results are checked against. Everything is drawn from one seeded generator, so the same seed (with
the same numpy) gives byte-identical files; gzip members carry mtime 0 for the same reason.

What is planted:

* peaks: each cell type's own peaks carry one JASPAR motif near the summit (GATA1::TAL1 in K562, FOS::JUN in HeLa-S3,
  CTCF in GM12878) and the peaks shared by all three carry SP1. Outside the planted sites the genome is
  random, CpG-depleted background, so the motifs are the only signal a model can learn.
* variants: SNPs that destroy a planted site, SNPs that touch none, and one record of each malformed kind the
  scoring step has to set aside.
* table: DREAM-style 110-nt sequences whose activity is a weighted sum of yeast motif counts plus noise.
"""

import argparse
import gzip
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
from pyjaspar import jaspardb

from cisflow.data.encode import N_CODE, decode, reverse_complement
from cisflow.io.atomic import atomic_open

RELEASE = "JASPAR2024"
PEAK_MOTIFS = {"K562": "MA0140.3", "HeLa-S3": "MA0099.4", "GM12878": "MA0139.2"}  # GATA1::TAL1, FOS::JUN, CTCF
SHARED_MOTIF = "MA0079.5"  # SP1
TABLE_WEIGHTS = {"MA0363.3": 1.0, "MA0265.3": 0.8, "MA0359.3": 0.6, "MA0337.2": -0.7}  # REB1 ABF1 RAP1; MIG1
PSEUDOCOUNT = 0.5  # added to every JASPAR count before normalising, so no base has probability 0

CONTIGS = {"chr19": 800_000, "chr20": 700_000, "chr21": 250_000, "chr22": 250_000}
GAP_CONTIG = "chr20"  # holds the internal N block, the two peaks inside it and the SNP near its end
TELOMERE = 10_000  # N at every contig start
GAP = 5_000  # the internal N block
GC = 0.45  # before CpG decay, which brings it to about 0.41
CPG_KEPT = 0.2
MASKED_STRETCHES = 300  # soft-masked "repeats" of 150-1,200 bp: about 10% of the genome
WIDTH = (150, 500)
JITTER = 20  # of a shared peak's start and end between samples
SUMMIT_JITTER = 10
SITES_PER_PEAK = (0.4, 0.35, 0.25)  # probabilities of 1, 2 or 3 planted sites in a peak
SITE_REACH = 40  # planted sites lie within this many bp of every listed summit
MIN_GAP = 300  # between peaks
EDGE_MARGIN = 2_000  # ordinary peaks keep this far from N blocks and contig ends
N_SPECIFIC, N_SHARED = 600, 250
N_DESTROYS, N_NEUTRAL = 60, 120
HIGH_INFO = 0.7
NEUTRAL_REACH = 120  # in-peak neutral SNPs lie this close to the summit ...
NEUTRAL_CLEARANCE = 25  # ... and at least this far from any planted site
FLANK = (400, 2_000)  # flanking neutral SNPs lie this far from the nearest peak
MISSING_CONTIG = ("chrUn_gl000220", 161_802)
FIRST_RS = 9_000_001

TABLE_ROWS = 10_000
PREFIX, SUFFIX = "TGCATTTTTTTCACATC", "GGTTACGGCTGTT"
REGION = 80
TABLE_GC = 0.40
ODD_ROWS = {"length": 30, "few_n": 20, "many_n": 5, "short": 3}  # row kinds other than 'clean', and how many
BASE_ACTIVITY, NOISE_SD = 3.0, 0.35

BASES = "ACGT"
_UPPER = np.frombuffer(b"ACGTN", np.uint8)
_LOWER = np.frombuffer(b"acgtn", np.uint8)


@dataclass(frozen=True)
class Motif:
    tf: str
    jaspar_id: str
    probs: np.ndarray  # (4, length): rows A, C, G, T; columns sum to 1

    @property
    def length(self):
        return self.probs.shape[1]


class Site(NamedTuple):
    """A planted motif instance: 0-based start on the + strand, its strand, its bases read on that strand."""

    start: int
    strand: str
    bases: np.ndarray

    @property
    def end(self):
        return self.start + len(self.bases)


class Row(NamedTuple):
    """One row of the activity table, with its truth."""

    id: str
    sequence: str
    activity: float
    kind: str
    counts: np.ndarray  # planted copies of each table motif


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
    samples: tuple
    motif: Motif
    kind: str = "regular"  # or 'contig_end' / 'n_block', the peaks the pipeline must drop
    calls: dict = field(default_factory=dict)  # sample -> Call
    sites: list = field(default_factory=list)
    name: str = ""


@dataclass
class Genome:
    codes: dict  # contig -> uint8 codes
    masked: dict  # contig -> bool, written in lower case
    gaps: list  # (contig, start, end) of the N blocks


@dataclass
class Variant:
    chrom: str
    pos: int  # 1-based
    ref: str
    alt: str
    effect: str
    status: str
    motif: str = ""
    sample: str = ""
    id: str = ""


def load_motifs(ids, release=RELEASE):
    """{id: Motif} from the JASPAR database shipped inside pyjaspar (no network), counts made probabilities."""
    db = jaspardb(release=release)
    motifs = {}
    for jaspar_id in ids:
        record = db.fetch_motif_by_id(jaspar_id)
        counts = np.array([record.counts[base] for base in BASES], dtype=float) + PSEUDOCOUNT
        motifs[jaspar_id] = Motif(record.name, record.matrix_id, counts / counts.sum(axis=0))
    return motifs


def sample_site(rng, motif):
    """Codes of one motif instance drawn base by base from the PWM, in the motif's own orientation."""
    cumulative = motif.probs.cumsum(axis=0)[:3]
    return (rng.random(motif.length) > cumulative).sum(axis=0).astype(np.uint8)


def on_plus_strand(bases, strand):
    return bases if strand == "+" else reverse_complement(bases)


def layout(rng, lengths, span, gap=0):
    """Random starts in [0, span) for non-overlapping pieces of the given lengths, at least ``gap`` apart.

    The pieces come in random order with the spare room split at random between them, so every layout is
    reached without trial and error.
    """
    lengths = np.asarray(lengths, dtype=int)
    if not lengths.size:
        return np.zeros(0, dtype=int)
    spare = span - lengths.sum() - gap * (lengths.size - 1)
    if spare < 0:
        raise ValueError(f"{lengths.size} pieces of {lengths.sum()} bp do not fit in {span} bp")
    order = rng.permutation(lengths.size)
    before = np.concatenate([[0], np.cumsum(lengths[order])[:-1]]) + gap * np.arange(lengths.size)
    starts = np.empty(lengths.size, dtype=int)
    starts[order] = before + np.sort(rng.integers(0, spare + 1, lengths.size))
    return starts


def background(rng, length):
    """Random bases with a human-like CpG deficit.

    Bases are drawn independently, then most CpGs decay the way methylated ones do in real genomes: to TpG,
    or (the C on the other strand) to CpA. Neither change can make a new CpG, so one pass is enough, and C
    and G stay balanced.
    """
    at, gc = (1 - GC) / 2, GC / 2
    codes = rng.choice(4, size=length, p=[at, gc, gc, at]).astype(np.uint8)
    cpg = np.flatnonzero((codes[:-1] == 1) & (codes[1:] == 2))
    decayed = cpg[rng.random(cpg.size) >= CPG_KEPT]
    to_tpg = rng.random(decayed.size) < 0.5
    codes[decayed[to_tpg]] = 3
    codes[decayed[~to_tpg] + 1] = 0
    return codes


def make_genome(rng, sizes):
    """Background contigs with N at each start and one internal N block, some stretches soft-masked."""
    codes, gaps = {}, []
    for contig, size in sizes.items():
        codes[contig] = background(rng, size)
        blocks = [(0, TELOMERE)]
        if contig == GAP_CONTIG:
            blocks.append((round(0.4 * size), round(0.4 * size) + GAP))
        for start, end in blocks:
            codes[contig][start:end] = N_CODE
            gaps.append((contig, start, end))
    stretches = round(MASKED_STRETCHES * sum(sizes.values()) / sum(CONTIGS.values()))
    return Genome(codes, soft_mask(rng, codes, stretches), gaps)


def soft_mask(rng, codes, stretches):
    """{contig: mask} marking random stretches (repeats), N blocks excluded."""
    contigs = list(codes)
    sizes = np.array([len(codes[contig]) for contig in contigs])
    masked = {contig: np.zeros(len(codes[contig]), dtype=bool) for contig in contigs}
    which = rng.choice(len(contigs), size=stretches, p=sizes / sizes.sum())
    for i, length in zip(which, rng.integers(150, 1_201, stretches)):
        start = rng.integers(0, sizes[i] - length)
        masked[contigs[i]][start : start + length] = True
    return {contig: mask & (codes[contig] != N_CODE) for contig, mask in masked.items()}


def plain_segments(genome, margin):
    """(contig, start, end) of the sequence between N blocks and contig ends, shrunk by ``margin`` each side."""
    for contig, codes in genome.codes.items():
        bounds = sorted((start, end) for name, start, end in genome.gaps if name == contig)
        edges = [0] + [x for bound in bounds for x in bound] + [len(codes)]
        for start, end in zip(edges[::2], edges[1::2]):
            if end - start > 2 * margin:
                yield contig, start + margin, end - margin


def make_call(rng, start, end, summit):
    signal = rng.lognormal(2.5, 0.5)
    pvalue = signal * rng.uniform(3, 6)
    return Call(int(start), int(end), int(summit), signal, pvalue, pvalue * rng.uniform(0.8, 0.95))


def make_peak(rng, chrom, start, end, summit, samples, motif, kind="regular"):
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


def special_peaks(rng, genome, motifs):
    """Peaks the pipeline must drop: one per sample whose summit is within 100 bp of a contig end, and two
    whose summit is in the internal N block (no site can be planted there)."""
    samples = list(PEAK_MOTIFS)
    peaks = []
    for sample, contig in zip(samples, [c for c in genome.codes if c != GAP_CONTIG]):
        size = len(genome.codes[contig])
        summit = size - rng.integers(10, 100)
        end = rng.integers(summit + 1, size + 1)
        start = end - rng.integers(WIDTH[0], WIDTH[1] + 1)
        motif = motifs[PEAK_MOTIFS[sample]]
        peaks.append(make_peak(rng, contig, start, end, summit, (sample,), motif, "contig_end"))
    _, gap_start, gap_end = next(gap for gap in genome.gaps if gap[0] == GAP_CONTIG and gap[1] > 0)
    for sample, fraction in zip(samples, (0.25, 0.75)):
        summit = gap_start + round(fraction * (gap_end - gap_start))
        width = rng.integers(WIDTH[0], WIDTH[1] + 1)
        start = summit - rng.integers(width // 4, 3 * width // 4 + 1)
        peaks.append(make_peak(rng, GAP_CONTIG, start, start + width, summit, (sample,),
                               motifs[PEAK_MOTIFS[sample]], "n_block"))
    return peaks


def share_out(rng, count, lengths):
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


def place_peaks(rng, genome, motifs, scale):
    """All peaks: the special ones, then ordinary ones (in random order) spread over the plain sequence in
    proportion to its length, every two at least MIN_GAP apart whatever the samples' jitter."""
    samples = list(PEAK_MOTIFS)
    peaks = special_peaks(rng, genome, motifs)
    own = {s: round(N_SPECIFIC * scale) - sum(p.samples == (s,) for p in peaks) for s in samples}
    owners = [(s,) for s in samples for _ in range(own[s])]
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


def plant_sites(rng, genome, peaks):
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


def sort_and_name(peaks):
    """Peaks in genome order, named <sample>_NNNN (own peaks) or shared_NNNN, numbered along the genome."""
    order = list(CONTIGS)
    peaks = sorted(peaks, key=lambda p: (order.index(p.chrom), p.start))
    numbers = {}
    for peak in peaks:
        owner = peak.samples[0] if len(peak.samples) == 1 else "shared"
        numbers[owner] = numbers.get(owner, 0) + 1
        peak.name = f"{owner}_{numbers[owner]:04d}"
    return peaks


def narrowpeak_text(peaks, sample):
    """ENCODE narrowPeak rows of one sample, sorted by contig then start."""
    order = list(CONTIGS)
    rows = sorted((order.index(p.chrom), p.calls[sample], p) for p in peaks if sample in p.calls)
    return "".join(
        f"{p.chrom}\t{c.start}\t{c.end}\t{p.name}\t{min(1000, round(10 * c.qvalue))}\t.\t"
        f"{c.signal:.5f}\t{c.pvalue:.5f}\t{c.qvalue:.5f}\t{c.summit - c.start}\n"
        for _, c, p in rows
    )


def sites_text(peaks):
    rows = ["peak\tchrom\tstart\tend\tstrand\ttf\tjaspar_id\tsequence\n"]
    for peak in peaks:
        for site in peak.sites:
            rows.append(f"{peak.name}\t{peak.chrom}\t{site.start}\t{site.end}\t{site.strand}\t{peak.motif.tf}\t"
                        f"{peak.motif.jaspar_id}\t{decode(site.bases)}\n")
    return "".join(rows)


def base_at(genome, chrom, pos):
    """Upper-case genome base at a 1-based position."""
    return "ACGTN"[genome.codes[chrom][pos - 1]]


def destroying_snps(rng, peaks, per_motif):
    """SNPs that swap the planted consensus base at a confident position (max probability >= HIGH_INFO) of a
    site for the PWM's least likely base. Only peaks with a single site qualify, so the loss is unambiguous,
    and each gives at most one SNP."""
    variants, used = [], []
    single = [p for p in peaks if p.kind == "regular" and len(p.sites) == 1]
    for jaspar_id in [*PEAK_MOTIFS.values(), SHARED_MOTIF]:
        candidates = [p for p in single if p.motif.jaspar_id == jaspar_id]
        chosen = 0
        for i in rng.permutation(len(candidates)):
            if chosen == per_motif:
                break
            peak, site = candidates[i], candidates[i].sites[0]
            probs = peak.motif.probs
            eligible = np.flatnonzero((probs.max(axis=0) >= HIGH_INFO) & (site.bases == probs.argmax(axis=0)))
            if not eligible.size:
                continue
            j = rng.choice(eligible)
            ref, alt = int(site.bases[j]), int(probs[:, j].argmin())
            pos = site.start + j if site.strand == "+" else site.end - 1 - j
            if site.strand == "-":
                ref, alt = 3 - ref, 3 - alt
            variants.append(Variant(peak.chrom, int(pos) + 1, BASES[ref], BASES[alt], "destroys", "scored",
                                    peak.motif.tf, ",".join(peak.samples)))
            used.append(peak)
            chosen += 1
    return variants, used


def quiet_positions(peak):
    """0-based positions inside the peak, within NEUTRAL_REACH of every sample's summit and at least
    NEUTRAL_CLEARANCE from each planted site."""
    reach = NEUTRAL_REACH - (SUMMIT_JITTER if len(peak.samples) > 1 else 0)
    pos = np.arange(max(peak.start + JITTER, peak.summit - reach), min(peak.end - JITTER, peak.summit + reach + 1))
    for site in peak.sites:
        pos = pos[(pos <= site.start - NEUTRAL_CLEARANCE) | (pos >= site.end - 1 + NEUTRAL_CLEARANCE)]
    return pos


def flank_positions(rng, genome, peaks, count, taken):
    """``count`` (contig, 1-based position) pairs FLANK bp from the nearest peak, in plain sequence."""
    extents = {}
    for peak in peaks:
        calls = peak.calls.values()
        extents.setdefault(peak.chrom, []).append((min(c.start for c in calls), max(c.end for c in calls)))
    extents = {chrom: np.array(spans) for chrom, spans in extents.items()}
    segments = list(plain_segments(genome, EDGE_MARGIN // 2))
    regular = [p for p in peaks if p.kind == "regular"]
    found = []
    for _ in range(1_000 * count):
        if len(found) == count:
            return found
        peak = regular[rng.integers(len(regular))]
        offset = rng.integers(FLANK[0], FLANK[1] + 1)
        pos = peak.start - offset if rng.random() < 0.5 else peak.end - 1 + offset
        spans = extents[peak.chrom]
        nearest = np.maximum(np.maximum(spans[:, 0] - pos, pos - spans[:, 1] + 1), 0).min()
        plain = any(c == peak.chrom and s <= pos < e - 1 for c, s, e in segments)
        if FLANK[0] <= nearest <= FLANK[1] and plain and (peak.chrom, pos + 1) not in taken:
            taken.add((peak.chrom, pos + 1))
            found.append((peak.chrom, int(pos) + 1))
    raise RuntimeError(f"found only {len(found)} of {count} flank positions; is the genome too crowded?")


def other_bases(rng, base, count=1):
    return list(rng.choice([b for b in BASES if b != base], count, replace=False))


def make_variants(rng, genome, peaks, scale):
    """Destroying, neutral (in peaks and in flanks) and edge-case records, sorted and given rs IDs."""
    variants, used = destroying_snps(rng, peaks, max(1, round(N_DESTROYS * scale / 4)))
    n_half = max(1, round(N_NEUTRAL * scale / 2))
    spare = [p for p in peaks if p.kind == "regular" and not any(p is u for u in used) and quiet_positions(p).size]
    for i in rng.permutation(len(spare))[:n_half]:
        pos = int(rng.choice(quiet_positions(spare[i]))) + 1
        ref = base_at(genome, spare[i].chrom, pos)
        variants.append(Variant(spare[i].chrom, pos, ref, other_bases(rng, ref)[0], "neutral", "scored"))
    taken = {(v.chrom, v.pos) for v in variants}
    flanks = flank_positions(rng, genome, peaks, n_half + 4, taken)
    for chrom, pos in flanks[:n_half]:
        ref = base_at(genome, chrom, pos)
        variants.append(Variant(chrom, pos, ref, other_bases(rng, ref)[0], "neutral", "scored"))
    variants += edge_records(rng, genome, flanks[n_half:])
    return sort_and_number(variants)


def edge_records(rng, genome, places):
    """One record of each kind the scoring step must set aside, at four flank places plus two fixed ones."""
    (c1, p1), (c2, p2), (c3, p3), (c4, p4) = places
    g1, g2, g3, g4 = (base_at(genome, c, p) for c, p in places)
    wrong_ref, wrong_alt = other_bases(rng, g1, 2)
    size = len(genome.codes[GAP_CONTIG])
    near_end = size - int(rng.integers(0, 50))
    end_ref = base_at(genome, GAP_CONTIG, near_end)
    missing_ref = BASES[rng.integers(4)]
    return [
        Variant(c1, p1, wrong_ref, wrong_alt, "edge", "ref_mismatch"),
        Variant(c2, p2, other_bases(rng, g2)[0], g2, "edge", "swapped"),
        Variant(c3, p3, g3, ",".join(other_bases(rng, g3, 2)), "edge", "multiallelic"),
        Variant(c4, p4, g4 + base_at(genome, c4, p4 + 1), g4, "edge", "indel"),
        Variant(MISSING_CONTIG[0], int(rng.integers(1, MISSING_CONTIG[1] + 1)), missing_ref,
                other_bases(rng, missing_ref)[0], "edge", "contig_missing"),
        Variant(GAP_CONTIG, near_end, end_ref, other_bases(rng, end_ref)[0], "edge", "near_contig_end"),
    ]


def sort_and_number(variants):
    order = [*CONTIGS, MISSING_CONTIG[0]]
    variants = sorted(variants, key=lambda v: (order.index(v.chrom), v.pos))
    for i, variant in enumerate(variants):
        variant.id = f"rs{FIRST_RS + i}"
    return variants


def vcf_text(variants, sizes, seed):
    header = ["##fileformat=VCFv4.2", f"##source=cisflow.demo --seed {seed}", "##reference=genome.fa.gz"]
    header += [f"##contig=<ID={name},length={size}>" for name, size in [*sizes.items(), MISSING_CONTIG]]
    header.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
    records = [f"{v.chrom}\t{v.pos}\t{v.id}\t{v.ref}\t{v.alt}\t.\tPASS\t." for v in variants]
    return "\n".join(header + records) + "\n"


def variants_truth_text(variants):
    rows = ["id\tchrom\tpos\tref\talt\teffect\tmotif\tsample\texpected_status"]
    rows += [f"{v.id}\t{v.chrom}\t{v.pos}\t{v.ref}\t{v.alt}\t{v.effect}\t{v.motif}\t{v.sample}\t{v.status}"
             for v in variants]
    return "\n".join(rows) + "\n"


# GWAS Catalog rows of the demo: each trait's SNPs are those destroying one motif's sites (its cell type), plus
# some neutral ones, as a real trait's hits mix regulatory and other variants; 'body height' has neutral SNPs only
CATALOG_TRAITS = {  # trait: (DISEASE/TRAIT, EFO id, TF of the destroyed sites or None, neutral SNPs)
    "erythrocyte count": ("Red blood cell count", "EFO_0004305", "GATA1::TAL1", 4),
    "lymphocyte count": ("Lymphocyte count", "EFO_0004587", "CTCF", 4),
    "body mass index": ("Body mass index", "EFO_0004340", "SP1", 4),
    "body height": ("Height", "EFO_0004339", None, 24),
}
CATALOG_HEADER = ("DATE ADDED TO CATALOG", "PUBMEDID", "FIRST AUTHOR", "DATE", "JOURNAL", "LINK", "STUDY",
                  "DISEASE/TRAIT", "INITIAL SAMPLE SIZE", "REPLICATION SAMPLE SIZE", "REGION", "CHR_ID", "CHR_POS",
                  "REPORTED GENE(S)", "MAPPED_GENE", "UPSTREAM_GENE_ID", "DOWNSTREAM_GENE_ID", "SNP_GENE_IDS",
                  "UPSTREAM_GENE_DISTANCE", "DOWNSTREAM_GENE_DISTANCE", "STRONGEST SNP-RISK ALLELE", "SNPS", "MERGED",
                  "SNP_ID_CURRENT", "CONTEXT", "INTERGENIC", "RISK ALLELE FREQUENCY", "P-VALUE", "PVALUE_MLOG",
                  "P-VALUE (TEXT)", "OR or BETA", "95% CI (TEXT)", "PLATFORM [SNPS PASSING QC]", "CNV", "MAPPED_TRAIT",
                  "MAPPED_TRAIT_URI", "STUDY ACCESSION", "GENOTYPING TECHNOLOGY")


def catalog_row(study, trait, snps, risks, chroms, positions, p_exponent, mantissa=1.0, written=None):
    """One line of the GWAS Catalog's associations file, its columns as the Catalog fills them."""
    reported, efo = CATALOG_TRAITS[trait][:2]
    p_value = written or f"{mantissa:.0f}E-{p_exponent}"
    fields = dict.fromkeys(CATALOG_HEADER, "")
    fields.update({
        "DATE ADDED TO CATALOG": "2024-01-15", "PUBMEDID": str(30000000 + study), "FIRST AUTHOR": "Demo A",
        "DATE": "2023-06-01", "JOURNAL": "Demo Genet", "LINK": f"www.ncbi.nlm.nih.gov/pubmed/{30000000 + study}",
        "STUDY": f"A synthetic genome-wide association study of {reported.lower()}.", "DISEASE/TRAIT": reported,
        "INITIAL SAMPLE SIZE": "100,000 European ancestry individuals", "CHR_ID": chroms, "CHR_POS": positions,
        "REPORTED GENE(S)": "NR", "MAPPED_GENE": "DEMO1", "STRONGEST SNP-RISK ALLELE": risks, "SNPS": snps,
        "MERGED": "0", "CONTEXT": "intergenic_variant", "INTERGENIC": "1", "RISK ALLELE FREQUENCY": "NR",
        "P-VALUE": p_value, "PVALUE_MLOG": f"{p_exponent - np.log10(mantissa):.6g}", "OR or BETA": "0.05",
        "95% CI (TEXT)": "[0.03-0.07] unit increase", "PLATFORM [SNPS PASSING QC]": "Illumina [9000000] (imputed)",
        "CNV": "N", "MAPPED_TRAIT": trait, "MAPPED_TRAIT_URI": f"http://www.ebi.ac.uk/efo/{efo}",
        "STUDY ACCESSION": f"GCST9{study:05d}", "GENOTYPING TECHNOLOGY": "Genome-wide genotyping array",
    })
    if snps.startswith("rs") and ";" not in snps and " x " not in snps:
        fields["SNP_ID_CURRENT"] = snps[2:]
    return "\t".join(fields[column] for column in CATALOG_HEADER)


def catalog_text(rng, variants):
    """The demo's GWAS Catalog associations file (see ``CATALOG_TRAITS``), and the rows real files have that
    need a status: a SNP reported by two studies, a haplotype, an interaction, an unmapped id, a p-value written
    '1 x 10-8'. Risk alleles: the destroying base for most SNPs, the reference base or '?' for some (their other
    allele is then unknown). Contigs are named as the Catalog names them (19, not chr19)."""
    neutral = [v for v in variants if v.effect == "neutral"]
    order = rng.permutation(len(neutral))
    lines, used, study = [], 0, 0
    for trait, (_, _, tf, n_neutral) in CATALOG_TRAITS.items():
        study += 1
        members = [v for v in variants if v.effect == "destroys" and v.motif == tf] if tf else []
        members += [neutral[i] for i in order[used : used + n_neutral]]
        used += n_neutral
        for variant in members:
            draw = rng.random()
            allele = variant.alt if draw < 0.7 else variant.ref if draw < 0.85 else "?"
            lines.append(catalog_row(study, trait, variant.id, f"{variant.id}-{allele}", variant.chrom[3:],
                                     str(variant.pos), int(rng.integers(8, 40)), float(rng.uniform(1, 9.9))))
    first = next(v for v in variants if v.effect == "destroys" and v.motif == "GATA1::TAL1")
    pair = [neutral[i] for i in (order[used : used + 2] if len(order) >= used + 2 else order[:2])]
    odd = [
        catalog_row(9, "erythrocyte count", first.id, f"{first.id}-?", first.chrom[3:], str(first.pos), 8,
                    written="1 x 10-8"),
        catalog_row(10, "body height", "; ".join(v.id for v in pair), "; ".join(f"{v.id}-?" for v in pair),
                    ";".join(v.chrom[3:] for v in pair), ";".join(str(v.pos) for v in pair), 9),
        catalog_row(11, "body height", " x ".join(v.id for v in pair), " x ".join(f"{v.id}-?" for v in pair),
                    " x ".join(v.chrom[3:] for v in pair), " x ".join(str(v.pos) for v in pair), 8),
        catalog_row(12, "body height", "kgp22760418", "kgp22760418-A", "", "", 9),
    ]
    return "\t".join(CATALOG_HEADER) + "\n" + "\n".join(lines + odd) + "\n"


def planted_region(rng, motifs, length, unplanted=0):
    """Random bases with 0-2 copies of each motif (random strand, no overlaps); the counts are redrawn until
    the copies fit and leave at least ``unplanted`` bases free. Returns the codes, the counts and a mask of the
    planted bases."""
    sizes = np.array([motif.length for motif in motifs])
    counts = rng.integers(0, 3, len(motifs))
    while counts @ sizes > length - unplanted:
        counts = rng.integers(0, 3, len(motifs))
    at, gc = (1 - TABLE_GC) / 2, TABLE_GC / 2
    codes = rng.choice(4, size=length, p=[at, gc, gc, at]).astype(np.uint8)
    planted = np.zeros(length, dtype=bool)
    which = np.repeat(np.arange(len(motifs)), counts)
    for k, start in zip(which, layout(rng, sizes[which], length)):
        strand = "+" if rng.random() < 0.5 else "-"
        codes[start : start + sizes[k]] = on_plus_strand(sample_site(rng, motifs[k]), strand)
        planted[start : start + sizes[k]] = True
    return codes, counts, planted


def row_shape(rng, kind):
    """Length of the random region and number of N of a table row of the given kind."""
    if kind == "length":
        return REGION + int(rng.choice([-3, -2, -1, 1, 2, 3])), 0
    if kind == "short":
        return REGION - 20, 0
    if kind == "few_n":
        return REGION, int(rng.integers(1, 4))
    if kind == "many_n":
        return REGION, int(rng.integers(4, 11))
    return REGION, 0


def make_table(rng, motifs, weights, n_rows):
    """Rows of a DREAM-style table, odd rows mixed in at random.

    Kinds: 'clean' (110 nt), 'length' (107-113 nt), 'few_n' (1-3 N), 'many_n' (4-10 N), 'short' (90 nt).
    N never hides a planted base, so every row's counts stay true.
    """
    kinds = ["clean"] * (n_rows - sum(ODD_ROWS.values())) + [k for k, n in ODD_ROWS.items() for _ in range(n)]
    rows = []
    for number, i in enumerate(rng.permutation(n_rows), 1):
        kind = kinds[i]
        length, n_count = row_shape(rng, kind)
        codes, counts, planted = planted_region(rng, motifs, length, n_count)
        codes[rng.choice(np.flatnonzero(~planted), n_count, replace=False)] = N_CODE
        activity = BASE_ACTIVITY + weights @ counts + rng.normal(0, NOISE_SD)
        rows.append(Row(f"seq{number:06d}", PREFIX + decode(codes) + SUFFIX, activity, kind, counts))
    return rows


def table_text(rows):
    return "id\tsequence\tactivity\n" + "".join(f"{r.id}\t{r.sequence}\t{r.activity:.3f}\n" for r in rows)


def table_truth_text(rows, motifs, weights):
    header = "\t".join(["id", "kind", *(m.tf for m in motifs), "expected"]) + "\n"
    return header + "".join(
        "\t".join([r.id, r.kind, *map(str, r.counts), f"{BASE_ACTIVITY + weights @ r.counts:.3f}"]) + "\n"
        for r in rows
    )


def fasta_bytes(genome, width=60):
    """The genome as FASTA, soft-masked stretches in lower case, ``width`` bases a line."""
    parts = []
    for contig, codes in genome.codes.items():
        chars = np.where(genome.masked[contig], _LOWER[codes], _UPPER[codes]).tobytes()
        parts.append(f">{contig}\n".encode())
        parts.extend(chars[i : i + width] + b"\n" for i in range(0, len(chars), width))
    return b"".join(parts)


def motifs_text(motifs):
    rows = ["role\ttf\tjaspar_id\trelease\tweight"]
    rows += [f"peaks\t{motifs[i].tf}\t{i}\t{RELEASE}\t" for i in [*PEAK_MOTIFS.values(), SHARED_MOTIF]]
    rows += [f"table\t{motifs[i].tf}\t{i}\t{RELEASE}\t{w}" for i, w in TABLE_WEIGHTS.items()]
    return "\n".join(rows) + "\n"


def samples_text(motifs):
    rows = ["sample\tpeaks\tmotif"]
    rows += [f"{s}\tpeaks/{s}.narrowPeak.gz\t{motifs[i].tf}" for s, i in PEAK_MOTIFS.items()]
    return "\n".join(rows) + "\n"


def write(path, content):
    """Write str or bytes so that a killed run leaves nothing half-written; gzip if the name ends in .gz,
    with mtime 0 and the final name in the header so the bytes depend on the content only."""
    data = content.encode() if isinstance(content, str) else content
    with atomic_open(path, "wb") as out:
        if path.suffix != ".gz":
            out.write(data)
            return
        with gzip.GzipFile(filename=path.name, mode="wb", fileobj=out, mtime=0) as gz:
            gz.write(data)


def readme_text(seed, scale, motifs, peaks, variants, rows):
    """README for the output folder, its counts taken from what was written."""
    tf = {i: motif.tf for i, motif in motifs.items()}
    per_sample = ", ".join(f"{s} {sum(s in p.calls for p in peaks)}" for s in PEAK_MOTIFS)
    shared = sum(len(p.samples) > 1 for p in peaks)
    dropped = {kind: ", ".join(p.name for p in peaks if p.kind == kind) for kind in ("contig_end", "n_block")}
    effects = {e: sum(v.effect == e for v in variants) for e in ("destroys", "neutral", "edge")}
    kinds = {k: sum(r.kind == k for r in rows) for k in ("clean", *ODD_ROWS)}
    command = f"python -m cisflow.demo resources/demo --seed {seed}" + ("" if scale == 1 else f" --scale {scale}")
    catalog_summary = "; ".join(
        f"{trait} ({efo}): " + (f"the SNPs destroying {tf} sites and {n} neutral ones" if tf else f"{n} neutral SNPs")
        for trait, (_, efo, tf, n) in CATALOG_TRAITS.items())
    catalog_summary += ("; risk allele the destroying base for about 70 %, the reference base or '?' for the rest "
                        "(other allele unknown); plus a SNP reported by a second study (p written '1 x 10-8'), a "
                        "haplotype, an interaction and an unmapped row")
    peak_motifs = ", ".join(f"{tf[i]} ({i}) in {s}" for s, i in PEAK_MOTIFS.items())
    weights = ", ".join(f"{tf[i]} ({i}) {w:+.1f}" for i, w in TABLE_WEIGHTS.items())
    return f"""# cisflow demo data

Small and synthetic, made by `{command}`. Everything comes from numpy's generator seeded with {seed}: the
same seed and numpy version give byte-identical files. Motifs are {RELEASE} matrices as shipped in the
`pyjaspar` package; their counts plus a pseudocount of {PSEUDOCOUNT} were turned into probabilities and every
site was drawn base by base from them. Coordinates in narrowPeak and `.tsv` files are 0-based, half-open; VCF
positions are 1-based.

## Files

- `genome.fa.gz`: 4 contigs named like hg19's (chr19-chr22, {sum(CONTIGS.values()) * scale / 1e6:.1f} Mb), 60 bp a
  line. Random background, about 41% GC, CpG at about a quarter of its expected frequency (most CpGs decayed to
  TpG or CpA); {TELOMERE // 1000} kb of N at each contig start and a {GAP // 1000} kb N block inside {GAP_CONTIG};
  about 10% soft-masked (lower case) in a few hundred stretches. No motif is planted outside peaks.
- `samples.tsv`: `sample`, `peaks` (path relative to this folder), `motif` (TF planted in the sample's own peaks).
- `peaks/<sample>.narrowPeak.gz`: ENCODE narrowPeak, 10 columns, summit offset in column 10, sorted. Peaks:
  {per_sample}; {shared} of them in each file are shared by all three samples and listed with a slightly
  jittered start, end and summit (summit by at most {SUMMIT_JITTER} bp). Widths {WIDTH[0]}-{WIDTH[1]} bp, at least
  {MIN_GAP} bp between peaks.
- `motif_sites.tsv`: every planted site: peak name, contig, start, end, strand, TF, JASPAR ID, and the site's
  bases read on its own strand.
- `variants.vcf`: VCF 4.2, sites only, IDs from rs{FIRST_RS}.
- `variants_truth.tsv`: one row per VCF record: `effect` (destroys, neutral, edge), `motif` and `sample` of a
  destroyed site (a comma-separated list of samples for shared peaks), and the `expected_status` the variant
  scoring step should give.
- `gwas_catalog.tsv`: the same SNPs as GWAS Catalog associations (the Catalog's own header and columns),
  contigs named 19-22 as the Catalog names them: {catalog_summary}.
- `activity.tsv.gz`: DREAM-style table `id`, `sequence`, `activity`, {len(rows):,} rows.
- `activity_truth.tsv.gz`: per table row, its `kind`, the planted count of each yeast motif and the noiseless
  activity (`expected`).
- `motifs.tsv`: every planted motif: role (`peaks` or `table`), TF, JASPAR ID, release, weight (table motifs).

## Planted truth

- Peaks: each sample's own peaks carry 1 to 3 sites of its motif, {peak_motifs}; the shared peaks carry
  {tf[SHARED_MOTIF]} ({SHARED_MOTIF}). Sites lie entirely within {SITE_REACH} bp of the summit, on a random strand.
- Peaks a fixed window around the summit cannot use (the pipeline should drop and count them): summit within
  100 bp of a contig end: {dropped['contig_end']}; summit inside the N block of {GAP_CONTIG}, no site planted:
  {dropped['n_block']}.
- Variants: {effects['destroys']} `destroys` SNPs (at a site position whose top probability is at least
  {HIGH_INFO} and where the planted base is that top base; ALT the least likely base; from single-site peaks,
  one a peak); {effects['neutral']} `neutral` SNPs (half inside peaks, at least {NEUTRAL_CLEARANCE} bp from any
  site and within {NEUTRAL_REACH} bp of the summit, half {FLANK[0]}-{FLANK[1]} bp from the nearest peak); and
  {effects['edge']} edge records: `ref_mismatch`, `swapped` (REF and ALT exchanged), `multiallelic`, `indel`,
  `contig_missing` ({MISSING_CONTIG[0]}, declared in the header but not in the genome) and `near_contig_end`
  (within 50 bp of the end).
- Table: each sequence is `{PREFIX}` + random bases (40% GC) + `{SUFFIX}`. Each yeast motif is planted 0-2
  times (random strand, no overlaps; counts redrawn until the copies fit) and activity = {BASE_ACTIVITY} +
  sum(weight x count) + Normal(0, {NOISE_SD}), weights {weights}. Rows: {kinds['clean']:,} clean (110 nt),
  {kinds['length']} of 107-113 nt, {kinds['few_n']} with 1-3 N, {kinds['many_n']} with 4-10 N and
  {kinds['short']} of 90 nt, mixed in at random; no N covers a planted base.
"""


def generate(outdir, seed=7, scale=1.0):
    """Write the whole demo data set into ``outdir``; ``scale`` shrinks it (genome, peaks, variants, rows)."""
    outdir = Path(outdir)
    rng = np.random.default_rng(seed)
    motifs = load_motifs([*PEAK_MOTIFS.values(), SHARED_MOTIF, *TABLE_WEIGHTS])
    sizes = {contig: round(size * scale) for contig, size in CONTIGS.items()}
    genome = make_genome(rng, sizes)
    peaks = place_peaks(rng, genome, motifs, scale)
    plant_sites(rng, genome, peaks)
    peaks = sort_and_name(peaks)
    variants = make_variants(rng, genome, peaks, scale)
    table_motifs = [motifs[i] for i in TABLE_WEIGHTS]
    weights = np.array(list(TABLE_WEIGHTS.values()))
    rows = make_table(rng, table_motifs, weights, round(TABLE_ROWS * scale))
    catalog = catalog_text(rng, variants)

    write(outdir / "genome.fa.gz", fasta_bytes(genome))
    for sample in PEAK_MOTIFS:
        write(outdir / "peaks" / f"{sample}.narrowPeak.gz", narrowpeak_text(peaks, sample))
    write(outdir / "samples.tsv", samples_text(motifs))
    write(outdir / "motif_sites.tsv", sites_text(peaks))
    write(outdir / "variants.vcf", vcf_text(variants, sizes, seed))
    write(outdir / "variants_truth.tsv", variants_truth_text(variants))
    write(outdir / "gwas_catalog.tsv", catalog)
    write(outdir / "activity.tsv.gz", table_text(rows))
    write(outdir / "activity_truth.tsv.gz", table_truth_text(rows, table_motifs, weights))
    write(outdir / "motifs.tsv", motifs_text(motifs))
    write(outdir / "README.md", readme_text(seed, scale, motifs, peaks, variants, rows))


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m cisflow.demo",
        description="Write the bundled demo data set (synthetic, seeded) into OUTDIR: genome.fa.gz (4 small "
        "hg19-named contigs), peaks/<sample>.narrowPeak.gz and samples.tsv (3 cell types with planted JASPAR "
        "motifs), motif_sites.tsv (the planted sites), variants.vcf and variants_truth.tsv (destroying, "
        "neutral and edge-case variants), gwas_catalog.tsv (the same SNPs as GWAS Catalog associations of four "
        "traits), activity.tsv.gz and activity_truth.tsv.gz (DREAM-style table with "
        "planted yeast motifs), motifs.tsv (JASPAR IDs used) and README.md.",
    )
    parser.add_argument("outdir", type=Path, help="folder to write into (created if missing)")
    parser.add_argument("--seed", type=int, default=7, help="random seed; the same seed gives identical files")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="shrink genome, peak, variant and row counts by this factor (0.1-1; for tests)")
    args = parser.parse_args(argv)
    if not 0.1 <= args.scale <= 1:
        parser.error("--scale must be between 0.1 and 1")
    generate(args.outdir, args.seed, args.scale)
    print(f"wrote the demo data set to {args.outdir}", file=sys.stderr)


if __name__ == "__main__":
    main()
