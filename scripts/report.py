"""Rule report: gather every experiment's outputs (in the order the rule lists them) into the page."""

from pathlib import Path

from cisflow.dataset import read_attrs
from cisflow.logs import log_to
from cisflow.report import build_report

log_to(snakemake.log[0])
inputs, experiments = snakemake.input, snakemake.params.experiments
per_experiment = {
    name: {"metrics": inputs.metrics[i], "history": inputs.histories[i], "matches": inputs.matches[i],
           "performance": inputs.performance[i], "motif_plot": inputs.motif_plots[i], "saliency": inputs.saliency[i],
           "influence": inputs.influence[i],
           "variants": {}, "variant_tables": {}, "variant_plots": {}, "variant_ism": {}, "variant_manhattan": {},
           "variant_enrichment_plots": {}, "variant_trait_ism": {}}
    for i, name in enumerate(experiments)
}
for i, name in enumerate(snakemake.params.modisco_experiments):
    per_experiment[name]["modisco_matches"] = inputs.modisco_matches[i]
    per_experiment[name]["modisco_plot"] = inputs.modisco_plots[i]
for i, (name, variant_set) in enumerate(snakemake.params.variant_pairs):
    per_experiment[name]["variants"][variant_set] = inputs.variants[i]
    per_experiment[name]["variant_tables"][variant_set] = inputs.variant_tables[i]
    per_experiment[name]["variant_plots"][variant_set] = inputs.variant_plots[i]
    per_experiment[name]["variant_ism"][variant_set] = inputs.variant_ism[i]
    per_experiment[name]["variant_manhattan"][variant_set] = inputs.variant_manhattan[i]
    per_experiment[name]["variant_enrichment_plots"][variant_set] = inputs.variant_enrichment_plots[i]
    per_experiment[name]["variant_trait_ism"][variant_set] = inputs.variant_trait_ism[i]
datasets = {Path(path).name: read_attrs(path) for path in inputs.datasets}
build_report(snakemake.params.config, {"experiments": per_experiment, "datasets": datasets},
             snakemake.output.html, snakemake.output.summary, snakemake.input.template, snakemake.params.logs)
