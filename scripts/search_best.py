"""Rule search_best: the best trial of the experiment's study as best.json, the values its full
training run uses (cisflow.training.search.run_best)."""

from cisflow.io.logs import log_to
from cisflow.training.search import run_best

log_to(snakemake.log[0])
run_best(snakemake.input.workers, snakemake.wildcards.experiment, snakemake.params.model, snakemake.params.training,
         snakemake.params.search, snakemake.output[0])
