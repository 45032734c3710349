"""The bundled demo data: a small synthetic genome with peaks, variants and an activity table, truth included.

``python -m cisflow.demo OUTDIR [--seed 7] [--scale S]`` (``main``) writes every input the workflow's demo run
consumes, plus the truth its results are checked against and a README describing both (``generate``). Everything
is drawn from one seeded generator, passed through the parts in a fixed order (genome, peaks and their sites,
variants, table, catalog), so the same seed (with the same numpy) gives byte-identical files; gzip members carry
mtime 0 for the same reason (``write``). The parts, each in its module: ``motifs``, ``genome``, ``peaks``,
``variants``, ``table`` and ``catalog``.
"""

import argparse
import gzip
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from cisflow.demo.catalog import CATALOG_TRAITS, catalog_text
from cisflow.demo.genome import CONTIGS, GAP, GAP_CONTIG, TELOMERE, fasta_bytes, make_genome
from cisflow.demo.motifs import (
    PEAK_MOTIFS,
    PSEUDOCOUNT,
    RELEASE,
    SHARED_MOTIF,
    TABLE_WEIGHTS,
    Motif,
    load_motifs,
    motifs_text,
)
from cisflow.demo.panel import CREDIBLE_TRAITS, SAMPLES, credible_sets_text, make_panel, panel_vcf_text
from cisflow.demo.peaks import (
    MIN_GAP,
    SITE_REACH,
    SUMMIT_JITTER,
    WIDTH,
    Peak,
    narrowpeak_text,
    place_peaks,
    plant_sites,
    samples_text,
    sites_text,
    sort_and_name,
)
from cisflow.demo.table import (
    BASE_ACTIVITY,
    NOISE_SD,
    ODD_ROWS,
    PREFIX,
    SUFFIX,
    TABLE_ROWS,
    Row,
    make_table,
    table_text,
    table_truth_text,
)
from cisflow.demo.variants import (
    FIRST_RS,
    FLANK,
    HIGH_INFO,
    MISSING_CONTIG,
    NEUTRAL_CLEARANCE,
    NEUTRAL_REACH,
    Variant,
    make_variants,
    variants_truth_text,
    vcf_text,
)
from cisflow.io.atomic import atomic_open
from cisflow.types import PathLike


def write(path: Path, content: str | bytes) -> None:
    """Write str or bytes so that a killed run leaves nothing half-written; gzip if the name ends in .gz,
    with mtime 0 and the final name in the header so the bytes depend on the content only."""
    data = content.encode() if isinstance(content, str) else content
    with atomic_open(path, "wb") as out:
        if path.suffix != ".gz":
            out.write(data)
            return
        with gzip.GzipFile(filename=path.name, mode="wb", fileobj=out, mtime=0) as gz:
            gz.write(data)


def readme_text(seed: int, scale: float, motifs: Mapping[str, Motif], peaks: Sequence[Peak],
                variants: Sequence[Variant], rows: Sequence[Row]) -> str:
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
- `panel.vcf.gz`: a reference panel, {SAMPLES} samples' phased GT calls (a VCF as 1000 Genomes distributes
  its panels, not indexed): every destroying and neutral SNP with 2-4 proxies within 2 kb copying its
  haplotypes (r² 0.75-1), one weaker copy (r² about 0.3) and two unlinked SNVs, all clear of planted sites.
- `credible_sets.SUSIE.snp.gz`: fine-mapped credible sets in FinnGen's SuSiE layout for
  {' and '.join(CREDIBLE_TRAITS)}: each of the trait's destroying SNPs and 4 neutral ones with its
  proxies form a set, PIPs spread over them as SuSiE spreads them in tight LD (the causal SNP is not always
  the one of largest PIP); the weak copy and the unlinked SNVs of each region are listed with cs -1.

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


def generate(outdir: PathLike, seed: int = 7, scale: float = 1.0) -> None:
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
    panel = make_panel(rng, genome, peaks, variants)  # drawn last: the files above stay as they were without it
    credible_sets = credible_sets_text(rng, panel, variants)

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
    write(outdir / "panel.vcf.gz", panel_vcf_text(panel, sizes))
    write(outdir / "credible_sets.SUSIE.snp.gz", credible_sets)
    write(outdir / "README.md", readme_text(seed, scale, motifs, peaks, variants, rows))


def main(argv: Sequence[str] | None = None) -> None:
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
        parser.error(f"--scale: {args.scale} is not between 0.1 and 1")
    if args.seed < 0:
        parser.error(f"--seed: {args.seed} is negative; give a seed of 0 or more")
    generate(args.outdir, args.seed, args.scale)
    print(f"wrote the demo data set to {args.outdir}", file=sys.stderr)


if __name__ == "__main__":
    main()
