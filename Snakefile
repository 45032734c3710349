"""cisflow: from peaks and sequence tables to trained models, motifs, variant effects and a report.

    snakemake --cores all                        # the bundled demo (config/config.yaml)
    snakemake --cores all --configfile config/<study>.yaml
    snakemake --profile profiles/slurm           # on a SLURM cluster, training on GPU nodes
"""


# The demo config unless the user names their own: --configfile replaces it rather than being
# merged into it (Snakemake's default would keep the demo's experiments beside the user's).
if not workflow.config_settings.configfiles:

    configfile: "config/config.yaml"



report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/download.smk"
include: "rules/intervals.smk"
include: "rules/dataset.smk"
include: "rules/search.smk"
include: "rules/train.smk"
include: "rules/evaluate.smk"
include: "rules/interpret.smk"
include: "rules/variants.smk"
include: "rules/tracks.smk"
include: "rules/report.smk"


rule all:
    input:
        "results/report/index.html",
        "results/report/summary.json",
    default_target: True
