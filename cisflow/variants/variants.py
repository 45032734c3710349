"""Score a variant set with a model file: the ranked table, calibration, trait enrichment, plots and
a summary: ``score_variant_set``, what the rule ``variants`` and ``cisflow score-variants`` run.

The steps, each its own module: read the input (``variant_sets``), take alleles from dbSNP
(``alleles``), lift to the genome's build (``liftover``), name contigs as the genome does
(``contigs``), find REF and ALT where the input has none (``alleles``), check every allele
(``variants.check_variants``), score both alleles on both strands (``variants.score_variants``),
draw background SNPs (a reference, and SNPs matched to each site) and score them alike
(``background``), put every output on the common z scale (``calibration``), rank, test each trait
for enrichment (``enrichment``), and map the neighbourhood of the strongest variants by in-silico
mutagenesis.
"""

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from cisflow.config.settings import Background, VariantSet
from cisflow.io.contigs import rename_contigs
from cisflow.io.errors import ConfigError, InputError
from cisflow.io.genome import contig_sizes, open_genome
from cisflow.io.gwas_catalog import GROUP_SEPARATOR
from cisflow.io.jsonio import shown, write_json
from cisflow.io.liftover import lift_counts, lift_variants
from cisflow.io.textio import write_tsv
from cisflow.io.truth import log_left_out, match_truth, read_truth
from cisflow.models.checkpoint import load_model
from cisflow.models.ensemble import member_names
from cisflow.models.predict import device, model_device
from cisflow.types import PathLike
from cisflow.variants.alleles import attach_dbsnp, check_risk_build, read_dbsnp_alleles, resolve_alleles
from cisflow.variants.background import draw_background, read_peak_regions, sites_of
from cisflow.variants.calibration import calibrate, site_statistics
from cisflow.variants.checks import check_build, check_variants, status_counts
from cisflow.variants.enrichment import COLUMNS as ENRICHMENT_COLUMNS
from cisflow.variants.enrichment import plot_enrichment, top_outputs, trait_enrichment, trait_groups
from cisflow.variants.ism import check_ism, variant_ism
from cisflow.variants.loci import (
    assign_loci,
    credible_set_loci,
    locus_table,
    site_loci,
    top_loci,
    trait_snps,
    with_proxies,
)
from cisflow.variants.motif_changes import add_motif_changes
from cisflow.variants.plots import plot_effects_along_genome, plot_loci, plot_top_variants, plot_variant_ism
from cisflow.variants.scored_vcf import write_scored_vcf
from cisflow.variants.scores import headline_table, write_scores
from cisflow.variants.scoring import EFFECT, rank_variants, score_variants, truth_auroc, truth_joined
from cisflow.variants.sets import associations_with_scores, read_variant_set
from cisflow.variants.snv_effects import precision_choice

log = logging.getLogger(__name__)

EMPTY_ENRICHMENT = pd.DataFrame(columns=ENRICHMENT_COLUMNS)
BACKGROUND_COLUMNS = ["chrom", "pos", "id", "ref", "alt", "matched_site", "role", "gc", "peak_distance", "stratum",
                      "status", "score_ref", "score_alt", "max_abs_sad", "max_abs_effect", "top_target", "max_abs_z",
                      "empirical_p"]
TRAIT_ISM_TRAITS, TRAIT_ISM_VARIANTS = 6, 2  # traits (by enrichment) and variants each in the trait ISM figure


def check_model(model_path: PathLike, meta: dict[str, Any]) -> None:
    """Variant scoring needs a model of genomic windows without per-sequence features: a model of
    a table or of labelled FASTA files has no genome, one of promoters reads TSS-anchored windows."""
    dataset = meta["dataset"]
    if dataset.get("features"):
        raise InputError(model_path, f"a {meta['model_name']} model takes per-sequence features beside the "
                                     f"sequence ({', '.join(dataset['features'])}); variants need a sequence-only "
                                     f"model")
    source = dataset.get("source", "peaks")
    if source != "peaks":
        raise InputError(model_path, f"this model was trained on a {source} dataset, not on genomic peaks: its "
                                     f"windows are not centred genome sequence (and a table's sequences are read on "
                                     f"one strand), so it cannot score variants on a genome; use a model of a peaks "
                                     f"dataset")


def score_variant_set(model_path: PathLike, vcf_path: PathLike, genome_path: PathLike, outputs: Mapping[str, PathLike],
                      variant_set: VariantSet, jaspar: Mapping[str, Any], peaks_path: PathLike | None = None,
                      truth_path: PathLike | None = None, dbsnp_path: PathLike | None = None,
                      chain_path: PathLike | None = None, panel_path: PathLike | None = None,
                      aliases: dict[str, str] | None = None,
                      learned_motifs: Iterable[tuple[PathLike, PathLike]] | None = None,
                      name: str = "variants") -> dict[str, Any]:
    """Check, score, calibrate and rank every variant of ``vcf_path``; nothing is dropped.

    Parameters
    ----------
    model_path, vcf_path, genome_path : path
        The model file, the variant input and the genome FASTA the model was trained on.
    outputs : dict
        Paths by role, the roles of ``cisflow.variants.outputs.OUTPUTS`` (``output_paths`` makes
        them from a stem): ``table``, ``plot`` and ``summary`` are written always, the others where
        given.
    variant_set : VariantSet
        The set's settings (``cisflow.config.settings``; the config schema describes each): its
        ``kind`` of input, with ``traits``, ``p_threshold`` and ``trait`` (``sets.read_variant_set``);
        ``indels``, ``max_ref_mismatch`` and ``precision`` (``variants.check_variants``,
        ``variants.score_variants``); ``background``: ``per_variant`` (0: no calibration), ``max``,
        ``reference`` and ``seed`` (``background.draw_background``); ``ism``: the ``top`` variants
        (one a site) mapped by ISM ``flank`` bases a side (their ``ism_max_abs``; the figure draws
        the first ``plots.ISM_PANELS``); ``motif_p_value`` (``motif_changes.add_motif_changes``);
        ``locus_window``, ``r2`` and ``proxies`` (``cisflow.variants.loci``). Its input files are
        the other arguments.
    jaspar : dict
        The JASPAR CORE motifs the motif each SNV breaks or makes is named from
        (``motif_changes.add_motif_changes``): ``release`` and ``tax_group``, the experiment's
        ``interpret.jaspar_release`` and ``interpret.tax_group``.
    peaks_path : path, optional
        The model's regions (the intervals table) or a BED of peaks: background SNPs are matched
        on distance to them. Without it they are matched on GC content only.
    truth_path : path, optional
        A truth table (``cisflow.io.truth``): the AUROC of the ranking for its positives.
    dbsnp_path, chain_path : path, optional
        A dbSNP VCF giving alleles where the input has none; a UCSC chain file to the genome's build.
    panel_path : path, optional
        A reference panel (a genotype VCF): loci are clumped around leads at r² >= ``r2``, and with
        ``proxies`` each input SNP's proxies in it (r² >= their ``r2`` within ``locus_window``) are
        scored too, each naming its lead (``proxy_of``).
    aliases : dict, optional
        The config's contig aliases (``cisflow.io.contigs.rename_contigs``).
    learned_motifs : list, optional
        The experiment's (MEME file, matches table) pairs of learned motifs
        (``motif_changes.add_motif_changes``).
    name : str
        The set's name: the trait of an input that names none.

    Returns
    -------
    dict
        The summary written to ``outputs["summary"]``.
    """
    kind, background, ism, proxies = variant_set.kind, variant_set.background, variant_set.ism, variant_set.proxies
    if proxies and not panel_path:
        raise ConfigError("proxies", "needs a reference panel (the variant set's ld_panel, or --ld-panel)")
    model, meta = load_model(model_path, device())
    check_model(model_path, meta)
    dataset = meta["dataset"]
    check_ism(ism.top, ism.flank, dataset["seq_len"])
    truth = None
    if truth_path:
        truth = read_truth(truth_path)
        log_left_out(truth, truth_path)
    genome = open_genome(genome_path)
    try:
        variants, associations = read_variant_set(vcf_path, kind, variant_set.traits, variant_set.p_threshold,
                                                  variant_set.trait)
        log.info("%s: %d input rows, %d sites", vcf_path, len(associations), len(variants))
        if dbsnp_path:
            variants = attach_dbsnp(variants, read_dbsnp_alleles(dbsnp_path, variants["id"]))
        if chain_path:
            variants = lift_variants(variants, chain_path)
            log.info("liftover with %s: %s", chain_path, lift_counts(variants))
        variants = rename_contigs(variants, contig_sizes(genome_path), aliases, str(vcf_path))
        variants = resolve_alleles(variants, genome)
        check_risk_build(variants, vcf_path, genome_path)
        genome_contigs = list(contig_sizes(genome_path))
        if proxies and panel_path:  # proxies without a panel were refused above
            variants = with_proxies(variants, panel_path, genome_contigs, variant_set.locus_window, proxies["r2"])
        if truth_path:  # the truth was read
            match_truth(truth, variants["id"], truth_path)
        snps = trait_snps(variants, associations, name)
        loci = credible_set_loci(associations, variants) if kind == "credible_sets" else \
            assign_loci(snps, variant_set.locus_window, variant_set.r2, panel_path, genome_contigs)
        checked = check_variants(variants, genome, dataset["seq_len"], variant_set.indels)
        check_build(checked, vcf_path, genome_path, variant_set.max_ref_mismatch)
        scored = score_variants(model, meta, genome, checked, precision=variant_set.precision)
        calibrated = None
        sites = sites_of(scored)
        if background.per_variant > 0 and len(sites):
            calibrated = _calibrated(model, meta, genome, genome_path, scored, sites, peaks_path, background,
                                     variant_set.indels, variant_set.precision, aliases)
            scored = calibrated.pop("scored")
        ranked = rank_variants(scored)
        del scored  # the per-output columns are held once: in rank order
        top = _top_sites(ranked, ism.top)
        maps, ism_max = variant_ism(model, meta, genome, top, ism.flank)
        enrichment = _enrichment(ranked, calibrated, dataset["task"], name, loci)
        trait_top = _trait_top(ranked, enrichment)
        trait_maps, _ = variant_ism(model, meta, genome, trait_top, ism.flank)
    finally:
        genome.close()
    ranked.insert(ranked.columns.get_loc("score") + 1, "ism_max_abs", np.nan)
    ranked.loc[top.index, "ism_max_abs"] = ism_max
    table = site_loci(headline_table(ranked, dataset["targets"], dataset["task"]), loci, name)
    locus_rows = locus_table(table, loci, snps)
    table, motifs = add_motif_changes(table, genome_path, jaspar, variant_set.motif_p_value, learned_motifs or ())
    summary = _summary(table, associations, kind, chain_path, calibrated, enrichment, dataset["task"])
    summary["motifs"] = motifs
    summary["loci"] = {trait: {"snps": len(rows), "loci": int(rows["locus"].nunique())}
                       for trait, rows in loci.groupby("trait", sort=False)}
    summary["top_loci"] = top_loci(locus_rows)
    summary["precision"] = precision_choice(variant_set.precision, model_device(model))[1]
    summary["members"] = member_names(meta)
    if truth is not None:
        summary.update(_truth_summary(table, truth))
        log.info("truth AUROC (destroys vs neutral): %s", shown(summary["truth_auroc"]))
    named = next((column for column in ("groups", "traits", "trait") if column in associations), "traits")
    associations = site_loci(associations, loci, name, named)
    _write(outputs, ranked, table, associations, calibrated, enrichment, top, maps, trait_top, trait_maps, dataset,
           genome_contigs)
    if outputs.get("loci"):
        write_tsv(locus_rows, outputs["loci"])
    if outputs.get("loci_plot"):
        plot_loci(locus_rows, outputs["loci_plot"])
    write_json(outputs["summary"], summary)
    return summary


def _calibrated(model, meta, genome, genome_path, scored, sites, peaks_path, background: Background, indels,
                precision, aliases):
    """The reference and matched background SNPs drawn for ``sites`` (as the set's ``background`` says),
    scored alike, and both tables calibrated."""
    seq_len = meta["dataset"]["seq_len"]
    if peaks_path:
        peaks = read_peak_regions(peaks_path, contig_sizes(genome_path), genome_path, aliases)
    else:
        log.warning("no peaks given: background SNPs are matched on GC content only")
        peaks = pd.DataFrame({"chrom": [], "start": [], "end": []})
    drawn, site_features = draw_background(sites, genome_path, peaks, seq_len, background)
    scored_background = pd.concat([_score_background(model, meta, genome, drawn[drawn["role"] == role], indels,
                                                     precision) for role in ("reference", "matched")],
                                  ignore_index=True)
    scored = scored.assign(stratum=scored["site"].map(site_features.set_index("site")["stratum"]))
    scored, scored_background = calibrate(scored, scored_background, meta["dataset"]["task"])
    return {"scored": scored, "background": scored_background}


def _score_background(model, meta, genome, drawn, indels, precision):
    """``drawn`` background SNPs scored, one row per allele. An allele several sites drew is
    scored once; the reference and the matched SNPs are scored apart (``_calibrated``), so that
    the reference's effects do not depend on what else is scored beside it."""
    alleles = drawn.assign(alt=drawn["alt"].str.split(",")).explode("alt", ignore_index=True)
    key = alleles["chrom"].astype(str) + ":" + alleles["pos"].astype(str) + ":" + alleles["alt"]
    codes, _ = pd.factorize(key)
    first = alleles[~key.duplicated()]
    checked = check_variants(first[["chrom", "pos", "id", "ref", "alt", "line"]], genome, meta["dataset"]["seq_len"],
                             indels)
    effects = score_variants(model, meta, genome, checked, precision=precision)
    effects = effects.drop(columns=[*first.columns.intersection(effects.columns), "multiallelic", "duplicate_of"])
    return pd.concat([alleles, effects.iloc[codes].reset_index(drop=True)], axis=1)


def _enrichment(ranked, calibrated, task, name, loci):
    """The traits' enrichment, locus by locus (``cisflow.variants.enrichment``)."""
    if calibrated is None:
        return None
    site_stats = site_statistics(ranked, task)
    background = calibrated["background"]
    background_stats = site_statistics(background[background["role"] == "matched"], task)
    sites = ranked.loc[~ranked["site"].duplicated(), ["site", "traits"]]
    sites = sites[sites["site"].isin(site_stats.index)]
    by_trait = dict(list(loci.groupby("trait", sort=False)))
    of_locus = {trait: dict(zip(rows["site"], rows["locus"])) for trait, rows in by_trait.items()}
    weights = {trait: dict(zip(rows["site"], rows["pip"])) for trait, rows in by_trait.items()} if "pip" in loci \
        else None  # credible sets: a locus is its SNPs' PIP-weighted mean
    return trait_enrichment(site_stats, background_stats, trait_groups(sites, name), of_locus, weights)


def _top_sites(ranked, n):
    """The ``n`` top-ranked scored rows, one a site (its best allele)."""
    scored = ranked["score"].notna() & ~ranked["site"].duplicated()  # ranked: a site's first row is its best
    return ranked.loc[scored[scored].index[:n]]


def _trait_top(ranked, enrichment):
    """The strongest variants of the most enriched traits, each row with its ``trait``."""
    if enrichment is None or enrichment.empty:
        return ranked.iloc[:0].assign(trait=pd.Series(dtype=str))
    traits = enrichment[enrichment["output"] == "any"].head(TRAIT_ISM_TRAITS)["trait"]
    scored = ranked.loc[ranked["score"].notna() & ~ranked["site"].duplicated(), ["traits"]]  # a site's best allele
    of_site = [set(cell.split(GROUP_SEPARATOR)) for cell in scored["traits"].fillna("")]
    rows = []
    for trait in traits:
        members = scored.index[[trait in names for names in of_site]]
        rows.append(ranked.loc[members[:TRAIT_ISM_VARIANTS]].assign(trait=trait))
    if not rows or all(part.empty for part in rows):  # a plain VCF: the set's own group
        return ranked.loc[scored.index[:TRAIT_ISM_VARIANTS]].assign(trait=traits.iloc[0] if len(traits) else "")
    return pd.concat(rows)


def _truth_summary(table, truth):
    """The truth AUROC of the ranking (and of each statistic), the matched ids scored of each
    class and, where the AUROC is undefined, a ``truth_auroc_note`` saying why."""
    joined = truth_joined(table, truth)
    destroys = int(joined["positive"].sum())
    summary = {"truth_auroc": truth_auroc(table, truth),
               "truth_auroc_by": {column: truth_auroc(table, truth, column)
                                  for column in ("max_abs_sad", "max_abs_effect", "max_abs_z") if column in table},
               "truth_scored": {"destroys": destroys, "neutral": len(joined) - destroys}}
    if np.isnan(summary["truth_auroc"]):
        summary["truth_auroc_note"] = (f"one class only among the truth's ids that were scored ({destroys} destroys, "
                                       f"{len(joined) - destroys} neutral; see the status counts): no AUROC")
    return summary


def _summary(ranked, associations, kind, chain_path, calibrated, enrichment, task):
    counts = status_counts(ranked)
    for status, count in counts.items():
        log.info("%s: %d", status, count)
    summary = {
        "kind": kind,
        "records": int(ranked["line"].nunique()),
        "input_rows": len(associations),
        "sites": int(ranked["site"].nunique()),
        "rows": len(ranked),
        "scored": int(ranked["score"].notna().sum()),
        "flagged": int((~ranked["status"].eq("scored")).sum()),
        "status": counts,
        "multiallelic_rows": int(ranked["multiallelic"].sum()),
        "alt_from": {k: int(v) for k, v in ranked["alt_from"].replace("", "none").value_counts().items()},
        "effect": EFFECT[task],
        "ranked_by": "max_abs_z" if calibrated is not None else "max_abs_effect",
    }
    if "status" in associations:
        placed = associations["status"].fillna("")
        summary["input_status"] = {k or "placed": int(v) for k, v in placed.value_counts().items()}
    if chain_path:
        summary["liftover"] = lift_counts(ranked.drop_duplicates("site"))
    if summary["scored"] == 0:
        summary["note"] = "no variant could be scored: see the status counts"
    if calibrated is not None:
        background = calibrated["background"]
        summary["background"] = {"snps": int(background.loc[background["role"] == "matched", "id"].nunique()),
                                 "reference": int(background.loc[background["role"] == "reference", "id"].nunique()),
                                 "scored_rows": int(background["score"].notna().sum())}
        summary["significant"] = int((ranked["empirical_p"] < 0.05).sum())
    if enrichment is not None:
        any_output = enrichment[enrichment["output"] == "any"]
        summary["enrichment"] = [
            {key: row[key] for key in ("trait", "n_sites", "n_loci", "auc", "auc_low", "auc_high", "p_value",
                                       "q_value")}
            for row in any_output.head(20).to_dict("records")]
        best = top_outputs(enrichment)
        for entry in summary["enrichment"]:
            entry["top_output"] = best.get(entry["trait"])
    return summary


def _write(outputs, ranked, table, associations, calibrated, enrichment, top, maps, trait_top, trait_maps, dataset,
           genome_contigs):
    """Every output: those of the whole table from ``table`` (``ranked``'s headline columns), the
    per-output columns (``scores``, the top variants' heatmap) from ``ranked``; ``genome_contigs`` (the
    genome's, in its order) order the plot along the genome."""
    write_tsv(table, outputs["table"])
    if outputs.get("scores"):
        write_scores(table, ranked, outputs["scores"], dataset["targets"])
    plot_top_variants(ranked, outputs["plot"])
    if outputs.get("vcf"):
        write_scored_vcf(table, outputs["vcf"], dataset["targets"], dataset["task"])
    if outputs.get("ism"):
        plot_variant_ism(top, maps, outputs["ism"])
    if outputs.get("manhattan"):
        plot_effects_along_genome(table, outputs["manhattan"], genome_contigs)
    if outputs.get("associations"):
        write_tsv(associations_with_scores(associations, table), outputs["associations"])
    if outputs.get("background"):  # the per-output columns stay in memory: what each SNP scored, and where
        background = calibrated["background"] if calibrated is not None else pd.DataFrame(columns=BACKGROUND_COLUMNS)
        write_tsv(background[[column for column in BACKGROUND_COLUMNS if column in background]],
                  outputs["background"])
    if outputs.get("enrichment"):
        write_tsv(enrichment if enrichment is not None else EMPTY_ENRICHMENT, outputs["enrichment"])
    if outputs.get("enrichment_plot"):
        plot_enrichment(enrichment if enrichment is not None else EMPTY_ENRICHMENT, outputs["enrichment_plot"],
                        dataset["targets"])
    if outputs.get("trait_ism"):
        plot_variant_ism(trait_top, trait_maps, outputs["trait_ism"], label="trait")

