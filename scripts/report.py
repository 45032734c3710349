"""Rule report: the lab-meeting page and its summary.json from the manifest of every experiment's outputs
(cisflow.report.report.run)."""

from cisflow.io.logs import log_to
from cisflow.report.report import run

log_to(snakemake.log[0])
run(snakemake.params.config, snakemake.params.manifest, snakemake.output.html, snakemake.output.summary,
    snakemake.params.template, snakemake.params.logs)
