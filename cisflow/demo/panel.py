"""The demo's reference panel and fine-mapped credible sets, with the LD they describe planted.

Every scored demo SNP (destroying or neutral) is a lead of the panel: its 200 haplotypes (100 samples)
carry its ALT at a frequency of 15-50 %, and 2 to 4 proxies within ``PROXY_REACH`` bp copy those
haplotypes with a few flips (r² 0.75-1), so that SNPs of a locus come from the same haplotypes; one
weaker copy (r² about 0.3) and two unlinked SNVs lie beside each lead. Proxies and unlinked SNVs sit
clear of every planted motif site, on the genome's base: they are neutral. The panel is a VCF of
phased GT calls, as 1000 Genomes distributes them (`panel.vcf.gz`, gzipped, not indexed).

The credible sets (`credible_sets.SUSIE.snp.gz`, FinnGen's SuSiE layout) fine-map two Catalog traits:
around each SNP destroying the trait's motif and ``NEUTRAL_SETS`` neutral ones, the SNP and its
proxies form a set whose PIPs are spread as SuSiE spreads them over
SNPs in tight LD (a Dirichlet draw), so that the causal SNP (a destroying one) is not always the
one of largest PIP; the weak copy and the unlinked SNVs of its region are listed outside any set
(cs -1).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from cisflow.demo.catalog import CATALOG_TRAITS
from cisflow.demo.genome import Genome
from cisflow.demo.peaks import Peak
from cisflow.demo.variants import Variant, base_at

SAMPLES = 100
PROXY_REACH = 2_000  # bp: proxies and unlinked SNVs lie this close to their lead
CLEARANCE = 30  # bp: ... and at least this far from any planted site or other panel SNV
CREDIBLE_TRAITS = ("erythrocyte count", "lymphocyte count")  # the Catalog traits fine-mapped
NEUTRAL_SETS = 4  # credible sets of each such trait around a neutral SNP, beside those of its destroying ones
FINNGEN_COLUMNS = ("trait region v rsid chromosome position allele1 allele2 maf beta se p mean sd prob cs "
                   "cs_specific_prob low_purity lead_r2 mean_99 sd_99 prob_99 cs_99 cs_specific_prob_99 "
                   "low_purity_99 lead_r2_99").split() + [f"{kind}{i}" for kind in ("alpha", "mean", "sd")
                                                          for i in range(1, 11)]


@dataclass
class PanelSnv:
    chrom: str
    pos: int  # 1-based
    ref: str
    alt: str
    haplotypes: np.ndarray  # (2 * SAMPLES,) bool: carries ALT
    lead: str  # the demo SNP it belongs to
    role: str  # lead, proxy, weak or unlinked
    id: str = ""


def make_panel(rng: np.random.Generator, genome: Genome, peaks: Sequence[Peak],
               variants: Sequence[Variant]) -> list[PanelSnv]:
    """The panel's SNVs (module docstring), sorted by contig and position."""
    blocked: dict[str, list[tuple[int, int]]] = {}
    for peak in peaks:
        for site in peak.sites:
            blocked.setdefault(peak.chrom, []).append((site.start - CLEARANCE, site.end + CLEARANCE))
    taken = {(v.chrom, v.pos) for v in variants}
    snvs = []
    for variant in (v for v in variants if v.effect in ("destroys", "neutral")):
        frequency = rng.uniform(0.15, 0.5)
        haplotypes = rng.random(2 * SAMPLES) < frequency
        snvs.append(PanelSnv(variant.chrom, variant.pos, variant.ref, variant.alt, haplotypes, variant.id, "lead",
                             variant.id))
        copies = [("proxy", rng.uniform(0.0, 0.03)) for _ in range(int(rng.integers(2, 5)))]
        for role, flips in copies + [("weak", 0.2), ("unlinked", None), ("unlinked", None)]:
            pos = _free_position(rng, genome, variant, blocked, taken)
            if pos is None:
                continue
            taken.add((variant.chrom, pos))
            own = rng.random(2 * SAMPLES) < frequency if flips is None else \
                np.where(rng.random(2 * SAMPLES) < flips, ~haplotypes, haplotypes)
            ref = base_at(genome, variant.chrom, pos)
            alt = str(rng.choice([base for base in "ACGT" if base != ref]))
            snvs.append(PanelSnv(variant.chrom, pos, ref, alt, own, variant.id, role))
    snvs.sort(key=lambda snv: (snv.chrom, snv.pos))
    for number, snv in enumerate(snvs):
        snv.id = snv.id or f"demo_panel_{number + 1}"
    return snvs


def _free_position(rng, genome, variant, blocked, taken, attempts=50):
    """A position within ``PROXY_REACH`` of ``variant``, on an A/C/G/T base, clear of planted sites and of
    every other variant (None where none is found)."""
    length = len(genome.codes[variant.chrom])
    for _ in range(attempts):
        pos = variant.pos + int(rng.integers(-PROXY_REACH, PROXY_REACH + 1))
        if not 1 <= pos <= length or base_at(genome, variant.chrom, pos) == "N":
            continue
        near = any(abs(pos - other) < CLEARANCE for chrom, other in taken if chrom == variant.chrom)
        if not near and not any(start <= pos <= end for start, end in blocked.get(variant.chrom, ())):
            return pos
    return None


def panel_vcf_text(snvs: Sequence[PanelSnv], sizes: Mapping[str, int]) -> str:
    """The panel as a VCF of phased GT calls."""
    samples = "\t".join(f"DEMO{i + 1:03d}" for i in range(SAMPLES))
    lines = ["##fileformat=VCFv4.2", "##source=cisflow demo reference panel (synthetic, LD planted)",
             *(f"##contig=<ID={name},length={size}>" for name, size in sizes.items()),
             '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             f"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{samples}"]
    for snv in snvs:
        pairs = snv.haplotypes.reshape(SAMPLES, 2).astype(int)
        calls = "\t".join(f"{a}|{b}" for a, b in pairs)
        lines.append(f"{snv.chrom}\t{snv.pos}\t{snv.id}\t{snv.ref}\t{snv.alt}\t.\tPASS\t.\tGT\t{calls}")
    return "\n".join(lines) + "\n"


def credible_sets_text(rng: np.random.Generator, snvs: Sequence[PanelSnv], variants: Sequence[Variant]) -> str:
    """FinnGen SuSiE rows of the ``CREDIBLE_TRAITS``' SNPs (module docstring)."""
    neutral = sorted(v.id for v in variants if v.effect == "neutral")
    trait_ids = {trait: {v.id for v in variants if v.effect == "destroys" and v.motif == tf} |
                 set(rng.choice(neutral, NEUTRAL_SETS, replace=False))
                 for trait, (_, _, tf, _) in CATALOG_TRAITS.items() if trait in CREDIBLE_TRAITS}
    by_lead: dict[str, list[PanelSnv]] = {}
    for snv in snvs:
        by_lead.setdefault(snv.lead, []).append(snv)
    rows = []
    for trait, leads in trait_ids.items():
        for number, lead in enumerate(sorted(leads)):
            members = by_lead[lead]
            region = f"{members[0].chrom}:{min(s.pos for s in members) - 1000}-{max(s.pos for s in members) + 1000}"
            in_set = [s for s in members if s.role in ("lead", "proxy")]
            pips = rng.dirichlet(np.ones(len(in_set))) * rng.uniform(0.95, 0.999)
            pip_of = {s.id: pip for s, pip in zip(in_set, pips)}
            for snv in members:
                rows.append(_finngen_row(rng, trait, region, snv, pip_of.get(snv.id, rng.uniform(0, 0.01)),
                                         1 if snv.id in pip_of else -1))
    return "\t".join(FINNGEN_COLUMNS) + "\n" + "\n".join(rows) + "\n"


def _finngen_row(rng, trait, region, snv, pip, cs):
    """One line of a FinnGen SuSiE .snp file: the variant, its association, its PIP and set (-1: none)."""
    maf = min(snv.haplotypes.mean(), 1 - snv.haplotypes.mean())
    beta, se = float(rng.normal(0.08, 0.01)), float(rng.uniform(0.008, 0.012))
    p = 10 ** -float(rng.uniform(8, 30)) if cs > 0 else 10 ** -float(rng.uniform(1, 6))
    fields = {"trait": trait, "region": region, "v": f"{snv.chrom}:{snv.pos}:{snv.ref}:{snv.alt}",
              "rsid": f"{snv.chrom}_{snv.pos}_{snv.ref}_{snv.alt}", "chromosome": snv.chrom,
              "position": str(snv.pos), "allele1": snv.ref, "allele2": snv.alt, "maf": f"{maf:.4g}",
              "beta": f"{beta:.4g}", "se": f"{se:.4g}", "p": f"{p:.3g}", "mean": f"{beta * pip:.4g}",
              "sd": f"{se:.4g}", "prob": f"{pip:.4g}", "cs": str(cs),
              "cs_specific_prob": f"{pip:.4g}" if cs > 0 else "0", "low_purity": "0",
              "lead_r2": "1" if cs > 0 else "NA", "mean_99": f"{beta * pip:.4g}", "sd_99": f"{se:.4g}",
              "prob_99": f"{pip:.4g}", "cs_99": str(cs), "cs_specific_prob_99": f"{pip:.4g}" if cs > 0 else "0",
              "low_purity_99": "0", "lead_r2_99": "1" if cs > 0 else "NA"}
    fields |= {f"alpha{i}": f"{pip:.4g}" if i == 1 else "0" for i in range(1, 11)}
    fields |= {f"mean{i}": f"{beta * pip:.4g}" if i == 1 else "0" for i in range(1, 11)}
    fields |= {f"sd{i}": f"{se:.4g}" if i == 1 else "0" for i in range(1, 11)}
    return "\t".join(fields[column] for column in FINNGEN_COLUMNS)
