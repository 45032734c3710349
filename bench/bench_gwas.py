"""GWAS Catalog variants end to end with the exact Basset model (600 bp, 164 outputs).

The whole variants stage (``cisflow.variants.variants``) on a simulated GWAS Catalog associations file:
parse it, lift its positions with a chain file, read REF from the genome, score both alleles on
both strands (three substitutions where the risk allele is REF or unknown, as in the real Catalog
for about half of its SNPs), draw and score matched background SNPs (3 a site), calibrate,
test the traits for enrichment, map the top variants by ISM and write every output. Its rate is
set beside the baseline measured in the same run: ``score_variants`` alone on the same checked
alleles (what the variants-only figure of earlier releases measured). Selene 0.6.0 scored 94 SNPs/s
with this model on these 2 cores (measured on this project's machines).

Prints `bench <name>: <value> <unit>` lines.
"""

import gzip
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from cisflow.config.settings import Interpret, VariantSet
from cisflow.io.contigs import rename_contigs
from cisflow.io.genome import contig_sizes, open_genome, prepare_genome
from cisflow.io.liftover import lift_variants
from cisflow.models.checkpoint import load_model, save_model
from cisflow.models.predict import device
from cisflow.models.registry import build_for_dataset
from cisflow.variants.alleles import resolve_alleles
from cisflow.variants.checks import check_variants
from cisflow.variants.outputs import output_paths
from cisflow.variants.scoring import score_variants
from cisflow.variants.sets import read_variant_set
from cisflow.variants.variants import score_variant_set

SEQ_LEN, TARGETS = 600, 164
N_SITES = {"cpu": 2_000, "cuda": 100_000}
LENGTH = {"cpu": 2_000_000, "cuda": 50_000_000}
HEADER = ("DISEASE/TRAIT", "CHR_ID", "CHR_POS", "STRONGEST SNP-RISK ALLELE", "SNPS", "P-VALUE", "MAPPED_TRAIT",
          "MAPPED_TRAIT_URI", "STUDY ACCESSION")


def simulated(tmp, n, length):
    """A genome (chr1), peaks, an identity chain and a catalog of ``n`` SNPs of four traits."""
    rng = np.random.default_rng(0)
    sequence = np.array(list("ACGT"))[rng.integers(0, 4, length)]
    with open(tmp / "src.fa", "w") as out:
        out.write(">chr1\n")
        for start in range(0, length, 60):
            out.write("".join(sequence[start : start + 60]) + "\n")
    prepare_genome(tmp / "src.fa", tmp / "genome.fa")
    starts = np.sort(rng.choice(np.arange(5_000, length - 5_000, 1_000), length // 5_000, replace=False))
    (tmp / "peaks.bed").write_text("".join(f"chr1\t{s}\t{s + 400}\n" for s in starts))
    (tmp / "38to19.chain").write_text(f"chain 1000 chr1 {length} + 0 {length} chr1 {length} + 0 {length} 1\n"
                                      f"{length}\n\n")
    positions = np.sort(rng.choice(np.arange(2_000, length - 2_000), n, replace=False)) + 1
    lines = ["\t".join(HEADER)]
    for i, pos in enumerate(positions):
        ref = sequence[pos - 1]
        draw = rng.random()
        risk = "?" if draw < 0.15 else ref if draw < 0.55 else rng.choice([b for b in "ACGT" if b != ref])
        trait = ("erythrocyte count", "EFO_0004305") if i % 4 else ("body height", "EFO_0004339")
        lines.append(f"{trait[0]}\t1\t{pos}\trs{i + 1}-{risk}\trs{i + 1}\t{rng.integers(1, 9)}E-{rng.integers(8, 30)}"
                     f"\t{trait[0]}\thttp://www.ebi.ac.uk/efo/{trait[1]}\tGCST{i % 7:06d}")
    with gzip.open(tmp / "catalog.tsv.gz", "wt") as out:
        out.write("\n".join(lines) + "\n")


def main():
    dev = device()
    torch.manual_seed(0)
    attrs = {"task": "classification", "targets": [f"t{i}" for i in range(TARGETS)], "seq_len": SEQ_LEN,
             "source": "peaks"}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        simulated(tmp, N_SITES[dev.type], LENGTH[dev.type])
        save_model(tmp / "model.pt", build_for_dataset("basset", attrs, {}), "basset", {}, attrs)
        variant_set = VariantSet.from_mapping({"gwas_catalog": {"url": str(tmp / "catalog.tsv.gz")}})
        interpret = Interpret.from_mapping({})  # the JASPAR motifs of an experiment's defaults
        start = time.perf_counter()
        summary = score_variant_set(tmp / "model.pt", tmp / "catalog.tsv.gz", tmp / "genome.fa",
                                    output_paths(tmp / "out"), variant_set,
                                    {"release": interpret.jaspar_release, "tax_group": interpret.tax_group},
                                    peaks_path=tmp / "peaks.bed", chain_path=tmp / "38to19.chain")
        end_to_end = time.perf_counter() - start

        model, meta = load_model(tmp / "model.pt", dev)
        genome = open_genome(tmp / "genome.fa")
        variants, _ = read_variant_set(tmp / "catalog.tsv.gz", "gwas_catalog")
        variants = rename_contigs(lift_variants(variants, tmp / "38to19.chain"), contig_sizes(tmp / "genome.fa"))
        checked = check_variants(resolve_alleles(variants, genome), genome, SEQ_LEN, "skip")
        start = time.perf_counter()
        score_variants(model, meta, genome, checked, variant_set.precision, batch_size=512)
        variants_only = time.perf_counter() - start
        genome.close()
    sites, alleles = summary["sites"], summary["scored"]
    background = summary["background"]["scored_rows"]
    print(f"bench gwas_end_to_end: {sites / end_to_end:.1f} SNPs/s ({sites} Catalog SNPs, {alleles} alleles; "
          f"{background} background alleles; every output written)")
    print(f"bench gwas_variants_only: {sites / variants_only:.1f} SNPs/s (score_variants on the same {alleles} "
          f"alleles, both strands)")
    print(f"bench gwas_end_to_end_of_variants_only: {variants_only / end_to_end:.2f} x")
    print(f"bench gwas_end_to_end_vs_selene_94: {sites / end_to_end / 94:.2f} x")
    print(f"bench gwas_variants_only_vs_selene_94: {sites / variants_only / 94:.2f} x")


if __name__ == "__main__":
    main()
