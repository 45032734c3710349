"""Rule search_best: the best trial of the experiment's study as best.json, the values its full
training run uses (cisflow.training.search.run_best)."""

from cisflow.config.settings import Training
from cisflow.io.logs import log_to
from cisflow.training.search import run_best

log_to(snakemake.log[0])
training = Training.from_mapping(snakemake.params.training, f"experiments.{snakemake.wildcards.experiment}.training")
run_best(snakemake.input.workers, snakemake.wildcards.experiment, snakemake.params.model, training,
         snakemake.params.search, snakemake.output[0])
