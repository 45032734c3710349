"""The demo's variants: SNPs that destroy a planted site, SNPs that touch none, and edge records; VCF and truth.

* destroys: the planted consensus base at a confident position of a site swapped for the motif's least likely
  base, from peaks with a single site (so the loss is unambiguous), one SNP a peak;
* neutral: half inside peaks, near the summit and clear of every site, half in the peaks' flanks;
* edge: one record of each malformed kind the scoring step has to set aside (a REF that is not the genome's,
  REF and ALT swapped, multiallelic, an indel, a contig missing from the genome, a SNP near a contig end).

The records are sorted along the genome and given rs IDs; ``vcf_text`` writes variants.vcf and
``variants_truth_text`` variants_truth.tsv, each record's effect and the status the scoring step should give it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from cisflow.demo.genome import CONTIGS, GAP_CONTIG, Genome, plain_segments
from cisflow.demo.motifs import BASES, PEAK_MOTIFS, SHARED_MOTIF
from cisflow.demo.peaks import EDGE_MARGIN, JITTER, SUMMIT_JITTER, Peak

N_DESTROYS, N_NEUTRAL = 60, 120
HIGH_INFO = 0.7
NEUTRAL_REACH = 120  # in-peak neutral SNPs lie this close to the summit ...
NEUTRAL_CLEARANCE = 25  # ... and at least this far from any planted site
FLANK = (400, 2_000)  # flanking neutral SNPs lie this far from the nearest peak
MISSING_CONTIG = ("chrUn_gl000220", 161_802)
FIRST_RS = 9_000_001


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


def base_at(genome: Genome, chrom: str, pos: int) -> str:
    """Upper-case genome base at a 1-based position."""
    return "ACGTN"[genome.codes[chrom][pos - 1]]


def destroying_snps(rng: np.random.Generator, peaks: Sequence[Peak],
                    per_motif: int) -> tuple[list[Variant], list[Peak]]:
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


def quiet_positions(peak: Peak) -> np.ndarray:
    """0-based positions inside the peak, within NEUTRAL_REACH of every sample's summit and at least
    NEUTRAL_CLEARANCE from each planted site."""
    reach = NEUTRAL_REACH - (SUMMIT_JITTER if len(peak.samples) > 1 else 0)
    pos = np.arange(max(peak.start + JITTER, peak.summit - reach), min(peak.end - JITTER, peak.summit + reach + 1))
    for site in peak.sites:
        pos = pos[(pos <= site.start - NEUTRAL_CLEARANCE) | (pos >= site.end - 1 + NEUTRAL_CLEARANCE)]
    return pos


def flank_positions(rng: np.random.Generator, genome: Genome, peaks: Sequence[Peak], count: int,
                    taken: set[tuple[str, int]]) -> list[tuple[str, int]]:
    """``count`` (contig, 1-based position) pairs FLANK bp from the nearest peak, in plain sequence."""
    spans_of: dict[str, list[tuple[int, int]]] = {}
    for peak in peaks:
        calls = peak.calls.values()
        spans_of.setdefault(peak.chrom, []).append((min(c.start for c in calls), max(c.end for c in calls)))
    extents = {chrom: np.array(spans) for chrom, spans in spans_of.items()}
    segments = list(plain_segments(genome, EDGE_MARGIN // 2))
    regular = [p for p in peaks if p.kind == "regular"]
    found: list[tuple[str, int]] = []
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
            taken.add((peak.chrom, int(pos) + 1))
            found.append((peak.chrom, int(pos) + 1))
    raise RuntimeError(f"found only {len(found)} of {count} flank positions; is the genome too crowded?")


def other_bases(rng: np.random.Generator, base: str, count: int = 1) -> list[str]:
    return list(rng.choice([b for b in BASES if b != base], count, replace=False))


def make_variants(rng: np.random.Generator, genome: Genome, peaks: Sequence[Peak], scale: float) -> list[Variant]:
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


def edge_records(rng: np.random.Generator, genome: Genome, places: Sequence[tuple[str, int]]) -> list[Variant]:
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


def sort_and_number(variants: Sequence[Variant]) -> list[Variant]:
    order = [*CONTIGS, MISSING_CONTIG[0]]
    variants = sorted(variants, key=lambda v: (order.index(v.chrom), v.pos))
    for i, variant in enumerate(variants):
        variant.id = f"rs{FIRST_RS + i}"
    return variants


def vcf_text(variants: Sequence[Variant], sizes: Mapping[str, int], seed: int) -> str:
    header = ["##fileformat=VCFv4.2", f"##source=cisflow.demo --seed {seed}", "##reference=genome.fa.gz"]
    header += [f"##contig=<ID={name},length={size}>" for name, size in [*sizes.items(), MISSING_CONTIG]]
    header.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
    records = [f"{v.chrom}\t{v.pos}\t{v.id}\t{v.ref}\t{v.alt}\t.\tPASS\t." for v in variants]
    return "\n".join(header + records) + "\n"


def variants_truth_text(variants: Sequence[Variant]) -> str:
    rows = ["id\tchrom\tpos\tref\talt\teffect\tmotif\tsample\texpected_status"]
    rows += [f"{v.id}\t{v.chrom}\t{v.pos}\t{v.ref}\t{v.alt}\t{v.effect}\t{v.motif}\t{v.sample}\t{v.status}"
             for v in variants]
    return "\n".join(rows) + "\n"
