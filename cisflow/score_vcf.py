"""Score a VCF with a model file: the variant table, its plot and a summary (what the rule runs)."""

import json
import logging

import numpy as np
import pandas as pd

from cisflow.atomic import atomic_open, atomic_path
from cisflow.checkpoint import load_model
from cisflow.contigs import rename_contigs
from cisflow.genome import contig_sizes, open_genome
from cisflow.gwas import read_gwas_table
from cisflow.liftover import lift_counts, lift_variants
from cisflow.torch_utils import device
from cisflow.variant_plots import plot_effects_along_genome, plot_top_variants, plot_variant_ism
from cisflow.variants import (
    check_build,
    check_variants,
    rank_variants,
    score_variants,
    status_counts,
    truth_auroc,
    variant_ism,
    write_scored_vcf,
)
from cisflow.vcf import read_vcf

log = logging.getLogger(__name__)


def read_variants(path, kind="vcf"):
    """Variants of a VCF (``kind`` 'vcf') or of a GWAS-style table ('table')."""
    return read_vcf(path) if kind == "vcf" else read_gwas_table(path)


def score_vcf(model_path, vcf_path, genome_path, outputs, truth_path=None, aliases=None, max_ref_mismatch=0.05,
              kind="vcf", indels="score", chain_path=None, ism_top=10, ism_flank=10, precision="auto"):
    """Check, score and rank every record of ``vcf_path`` (a VCF, or a GWAS-style table with
    ``kind`` 'table'); nothing is dropped, each row has a status. ``indels`` 'score' scores
    indels of plain bases too (``variants.check_variants``). With ``chain_path`` (a UCSC chain
    file) positions are first lifted to the genome's build; those that fail get status unlifted.

    ``outputs`` names the files: ``table`` (ranked TSV), ``plot`` (SAD heatmap), ``summary``
    (JSON), and optionally ``vcf`` (the variants with their scores in INFO), ``ism`` (ISM maps
    around the ``ism_top`` strongest variants, ``ism_flank`` bases a side) and ``manhattan``
    (effects along the genome). VCF contig names are mapped to the genome's (``cisflow.contigs``;
    ``aliases`` win). Variants that look like another genome build (``variants.check_build``)
    stop it with an error. ``precision`` goes to ``variants.score_variants``.
    """
    model, meta = load_model(model_path, device())
    if meta["dataset"].get("features"):
        raise ValueError(f"{model_path}: a {meta['model_name']} model takes per-sequence features beside the "
                         f"sequence ({', '.join(meta['dataset']['features'])}); variants need a sequence-only model")
    genome = open_genome(genome_path)
    try:
        variants = read_variants(vcf_path, kind)
        if chain_path:
            variants = lift_variants(variants, chain_path)
            log.info("liftover with %s: %s", chain_path, lift_counts(variants))
        variants = rename_contigs(variants, contig_sizes(genome_path), aliases, vcf_path)
        checked = check_variants(variants, genome, meta["dataset"]["seq_len"], indels)
        check_build(checked, vcf_path, genome_path, max_ref_mismatch)
        ranked = rank_variants(score_variants(model, meta, genome, checked, precision=precision))
        top = ranked[ranked["max_abs_sad"].notna()].head(ism_top)
        maps, ism_max = variant_ism(model, meta, genome, top, ism_flank)
    finally:
        genome.close()
    ranked.insert(ranked.columns.get_loc("max_abs_sad") + 1, "ism_max_abs", np.nan)
    ranked.loc[top.index, "ism_max_abs"] = ism_max
    counts = status_counts(ranked)
    for status, count in counts.items():
        log.info("%s: %d", status, count)
    summary = {
        "records": int(ranked["line"].nunique()),
        "rows": len(ranked),
        "scored": int(ranked["score_ref"].notna().sum()),
        "flagged": int((~ranked["status"].eq("scored")).sum()),
        "status": counts,
        "multiallelic_rows": int(ranked["multiallelic"].sum()),
    }
    if chain_path:
        summary["liftover"] = lift_counts(ranked.drop_duplicates("line"))
    if truth_path:
        summary["truth_auroc"] = truth_auroc(ranked, pd.read_csv(truth_path, sep="\t", dtype={"id": str}))
        log.info("truth AUROC (destroys vs neutral): %.3f", summary["truth_auroc"])
    with atomic_path(outputs["table"]) as tmp:
        ranked.to_csv(tmp, sep="\t", index=False, compression="gzip", float_format="%.5g")
    plot_top_variants(ranked, outputs["plot"])
    if outputs.get("vcf"):
        write_scored_vcf(ranked, outputs["vcf"], meta["dataset"]["targets"])
    if outputs.get("ism"):
        plot_variant_ism(top, maps, outputs["ism"])
    if outputs.get("manhattan"):
        plot_effects_along_genome(ranked, outputs["manhattan"])
    with atomic_open(outputs["summary"]) as out:
        json.dump(summary, out, indent=2)
    return summary
