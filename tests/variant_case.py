"""A second variant case, built unlike the demo in the ways real data differs from it.

The demo plants one site in most peaks of an AT-leaning, CpG-depleted genome and destroys sites of
single-site peaks. Here:

* the genome is GC-rich (about 60 % GC, varying in 20-kb blocks from 50 % to 70 %, CpG not depleted);
* other JASPAR motifs: HNF1A in HepG2's peaks, CEBPB in A549's, NRF1 (itself GC-rich) in the peaks
  both share;
* every peak carries two to four sites, so that a well-trained model calls it with a probability near
  1 and a destroyed site barely moves that probability: the case the change in log-odds is for;
* each destroying SNP hits one site of a peak with several, at a confident position of the matrix;
* neutral SNPs lie in peaks away from every site, and in the peaks' flanks, 60-400 bp outside them;
* the variants come as a gzipped GWAS Catalog associations file (contigs named 1, 2, 3 as the
  Catalog names them; risk alleles the destroying base, the reference base or '?'), with traits whose
  SNPs destroy one motif's sites plus neutral ones, and a trait of neutral SNPs only.

``make_case(outdir)`` writes genome.fa.gz, samples.tsv, peaks/*.narrowPeak.gz, catalog.tsv.gz,
variants.vcf (every SNP with its known ALT), truth.tsv and config.yaml (the workflow's config for
the case, both variant sets) and returns the config's path.
"""

import gzip
from pathlib import Path

import numpy as np
import yaml
from pyjaspar import jaspardb

from cisflow.demo.catalog import CATALOG_HEADER as HEADER

BASES = "ACGT"
CONTIGS = {"chr1": 1_200_000, "chr2": 400_000, "chr3": 400_000}
MOTIFS = {"HepG2": "MA0046.3", "A549": "MA0466.4", "shared": "MA0506.3"}  # HNF1A, CEBPB, NRF1
PEAKS = {"HepG2": 300, "A549": 300, "shared": 150}
TRAITS = {  # trait: (EFO id, motif whose destroyed sites are its SNPs, neutral SNPs added)
    "alanine aminotransferase measurement": ("EFO_0004735", "HepG2", 6),
    "forced expiratory volume": ("EFO_0004314", "A549", 6),
    "mean corpuscular volume": ("EFO_0004526", "shared", 6),
    "body height": ("EFO_0004339", None, 40),
}
DESTROYED = 28  # per motif
NEUTRAL_IN_PEAKS, NEUTRAL_FLANKS = 50, 50
HIGH_INFO = 0.6



def _probabilities(matrix_id):
    counts = jaspardb(release="JASPAR2024").fetch_motif_by_id(matrix_id).counts
    table = np.array([counts[base] for base in BASES], dtype=float) + 0.25
    return table / table.sum(axis=0)


def _genome(rng):
    genome = {}
    for name, length in CONTIGS.items():
        blocks = -(-length // 20_000)
        gc = np.repeat(rng.uniform(0.5, 0.7, blocks), 20_000)[:length]
        strong = rng.random(length) < gc
        genome[name] = np.where(strong, rng.integers(1, 3, length), np.where(rng.random(length) < 0.5, 0, 3))
    return {name: codes.astype(np.uint8) for name, codes in genome.items()}


def _place_peaks(rng):
    """(chrom, start, end, summit, kind) of non-overlapping peaks, at least 500 bp apart."""
    total = sum(CONTIGS.values())
    peaks = []
    for kind, count in PEAKS.items():
        for chrom, length in CONTIGS.items():
            for _ in range(round(count * length / total)):
                for _attempt in range(200):
                    width = int(rng.integers(220, 420))
                    start = int(rng.integers(2_000, length - 2_000 - width))
                    if all(c != chrom or start > e + 500 or start + width < s - 500 for c, s, e, _, _ in peaks):
                        peaks.append((chrom, start, start + width, start + width // 2, kind))
                        break
    return peaks


def _plant(rng, genome, peaks, motifs):
    """Two to four sites in each peak, within 70 bp of its summit; returns {peak index: [sites]},
    a site being (start, strand, motif kind)."""
    sites = {}
    for index, (chrom, _, _, summit, kind) in enumerate(peaks):
        probs = motifs[kind]
        width = probs.shape[1]
        placed = []
        for _ in range(int(rng.integers(2, 5))):
            for _attempt in range(100):
                start = int(rng.integers(summit - 70, summit + 70 - width))
                if all(start >= s + width + 2 or start + width + 2 <= s for s, _, _ in placed):
                    break
            else:
                continue
            bases = np.array([rng.choice(4, p=probs[:, j]) for j in range(width)], dtype=np.uint8)
            strand = "+" if rng.random() < 0.5 else "-"
            genome[chrom][start : start + width] = bases if strand == "+" else (3 - bases)[::-1]
            placed.append((start, strand, kind))
        sites[index] = placed
    return sites


def _variants(rng, genome, peaks, sites, motifs, destroyed, neutral):
    """(id, chrom, pos, ref, alt, effect, motif kind) of the destroying and neutral SNPs."""
    variants, taken = [], set()

    def add(chrom, pos0, alt, effect, kind=""):
        ref = BASES[genome[chrom][pos0]]
        taken.add((chrom, pos0))
        variants.append([chrom, pos0 + 1, ref, alt, effect, kind])

    for kind in MOTIFS:
        probs = motifs[kind]
        confident = np.flatnonzero(probs.max(axis=0) >= HIGH_INFO)
        candidates = [i for i, peak in enumerate(peaks) if peak[4] == kind and len(sites[i]) >= 2]
        chosen = 0
        for index in rng.permutation(candidates):
            if chosen == destroyed:
                break
            chrom = peaks[index][0]
            start, strand, _ = sites[index][int(rng.integers(len(sites[index])))]
            j = int(rng.choice(confident))
            pos0 = start + j if strand == "+" else start + probs.shape[1] - 1 - j
            planted = genome[chrom][pos0] if strand == "+" else 3 - genome[chrom][pos0]
            if planted != probs[:, j].argmax():
                continue
            worst = int(probs[:, j].argmin())
            add(chrom, pos0, BASES[worst if strand == "+" else 3 - worst], "destroys", kind)
            chosen += 1
    order = rng.permutation(len(peaks))
    in_peaks, in_flanks = neutral
    for index in order[:in_peaks]:
        chrom, start, end, _, _ = peaks[index]
        width = motifs[peaks[index][4]].shape[1]
        free = [p for p in range(start + 10, end - 10)
                if all(p < s - 25 or p > s + width + 25 for s, _, _ in sites[index]) and (chrom, p) not in taken]
        if free:
            pos0 = int(rng.choice(free))
            add(chrom, pos0, BASES[(genome[chrom][pos0] + int(rng.integers(1, 4))) % 4], "neutral")
    for index in order[in_peaks : in_peaks + in_flanks]:
        chrom, start, end, _, _ = peaks[index]
        offset = int(rng.integers(60, 400))
        pos0 = start - offset if rng.random() < 0.5 else end - 1 + offset
        if (chrom, pos0) not in taken:
            add(chrom, pos0, BASES[(genome[chrom][pos0] + int(rng.integers(1, 4))) % 4], "neutral")
    for i, variant in enumerate(variants):
        variant.insert(0, f"rs{7_000_001 + i}")
    return variants


def _catalog(rng, variants):
    neutral = [v for v in variants if v[5] == "neutral"]
    order = list(rng.permutation(len(neutral)))
    lines = []
    for study, (trait, (efo, kind, n_neutral)) in enumerate(TRAITS.items(), 1):
        members = [v for v in variants if v[5] == "destroys" and v[6] == kind] if kind else []
        members += [neutral[order.pop()] for _ in range(min(n_neutral, len(order)))]
        for variant_id, chrom, pos, ref, alt, _, _ in members:
            draw = rng.random()
            risk = alt if draw < 0.6 else ref if draw < 0.8 else "?"
            fields = dict.fromkeys(HEADER, "")
            exponent = int(rng.integers(8, 30))
            fields.update({"PUBMEDID": str(40_000_000 + study), "DISEASE/TRAIT": trait.capitalize(),
                           "CHR_ID": chrom[3:], "CHR_POS": str(pos),
                           "STRONGEST SNP-RISK ALLELE": f"{variant_id}-{risk}",
                           "SNPS": variant_id, "P-VALUE": f"2E-{exponent}", "PVALUE_MLOG": f"{exponent - 0.30103:.5f}",
                           "MAPPED_TRAIT": trait, "MAPPED_TRAIT_URI": f"http://www.ebi.ac.uk/efo/{efo}",
                           "STUDY ACCESSION": f"GCST8{study:05d}", "MAPPED_GENE": "CASE1", "CNV": "N"})
            lines.append("\t".join(fields[column] for column in HEADER))
    return "\t".join(HEADER) + "\n" + "\n".join(lines) + "\n"


def _vcf(variants):
    lines = ["##fileformat=VCFv4.2", *(f"##contig=<ID={name},length={size}>" for name, size in CONTIGS.items()),
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    records = sorted(variants, key=lambda v: (v[1], v[2]))
    return "\n".join(lines + [f"{v[1]}\t{v[2]}\t{v[0]}\t{v[3]}\t{v[4]}\t.\tPASS\t." for v in records]) + "\n"


def make_case(outdir, seed=3, destroyed=DESTROYED, neutral=(NEUTRAL_IN_PEAKS, NEUTRAL_FLANKS)):
    """Write the case into ``outdir`` (module docstring); returns the path of its config.yaml.

    Besides the catalog, ``variants.vcf`` holds every SNP with its known ALT; ``destroyed`` (per
    motif) and ``neutral`` (in peaks, in flanks) set how many there are."""
    outdir = Path(outdir)
    (outdir / "peaks").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    motifs = {kind: _probabilities(matrix_id) for kind, matrix_id in MOTIFS.items()}
    genome = _genome(rng)
    peaks = _place_peaks(rng)
    sites = _plant(rng, genome, peaks, motifs)
    variants = _variants(rng, genome, peaks, sites, motifs, destroyed, neutral)
    with gzip.open(outdir / "genome.fa.gz", "wt") as out:
        for name, codes in genome.items():
            text = "".join(np.array(list(BASES))[codes])
            out.write(f">{name}\n" + "\n".join(text[i : i + 80] for i in range(0, len(text), 80)) + "\n")
    rows = ["sample\turl"]
    for sample in ("HepG2", "A549"):
        mine = sorted((p for p in peaks if p[4] in (sample, "shared")), key=lambda p: (p[0], p[1]))
        path = outdir / "peaks" / f"{sample}.narrowPeak.gz"
        with gzip.open(path, "wt") as out:
            for i, (chrom, start, end, summit, _) in enumerate(mine):
                out.write(f"{chrom}\t{start}\t{end}\tpeak{i}\t1000\t.\t50.0\t12.0\t10.0\t{summit - start}\n")
        rows.append(f"{sample}\t{path}")
    (outdir / "samples.tsv").write_text("\n".join(rows) + "\n")
    with gzip.open(outdir / "catalog.tsv.gz", "wt") as out:
        out.write(_catalog(rng, variants))
    (outdir / "variants.vcf").write_text(_vcf(variants))
    (outdir / "truth.tsv").write_text("id\teffect\tmotif\n" + "".join(
        f"{v[0]}\t{'Destroys' if v[5] == 'destroys' else 'Neutral'}\t{v[6]}\n" for v in variants))
    config = {
        "genome": {"name": "case", "url": str(outdir / "genome.fa.gz")},
        "samples": str(outdir / "samples.tsv"),
        "variants": {"case_gwas": {"gwas_catalog": {"url": str(outdir / "catalog.tsv.gz")},
                                   "truth": {"url": str(outdir / "truth.tsv")}, "all_experiments": True,
                                   "locus_window": 10_000},  # a 2 Mb genome: 500 kb would make few loci
                     "case_vcf": {"vcf": {"url": str(outdir / "variants.vcf")},
                                  "truth": {"url": str(outdir / "truth.tsv")}, "all_experiments": True}},
        "datasets": {"peaks": {"kind": "peaks", "width": 300, "center": "summit", "background": 0.5,
                               "background_method": "gc_matched", "split": {"valid": ["chr2"], "test": ["chr3"]}}},
        "experiments": {"case_model": {
            "dataset": "peaks",
            "replicates": {"seeds": 3},  # the answer of three seeds' ensemble, not of one seed (README)
            "model": {"name": "basset", "params": {"conv": [{"filters": 64, "width": 15}], "padding": "same",
                                                   "global_pool": "max", "dense": [32], "dense_dropout": 0.3}},
            "training": {"epochs": 20, "batch_size": 64, "optimizer": "adam", "lr": 0.003, "patience": 5,
                         "reverse_complement": True},
            "interpret": {"jaspar_release": "JASPAR2024", "tax_group": "vertebrates"}}},
        "report": {"title": "cisflow: a GC-rich variant case"},
    }
    path = outdir / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
