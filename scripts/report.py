"""Rule report: the lab-meeting page and its summary.json from the manifest of every experiment's outputs
(cisflow.report.report.write_report)."""

from cisflow.io.logs import log_to
from cisflow.report.report import write_report

log_to(snakemake.log[0])
write_report(snakemake.params.config, snakemake.params.manifest, snakemake.output.html, snakemake.output.summary,
             snakemake.params.template, snakemake.params.logs)
