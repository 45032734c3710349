"""Rule search_trials: one worker's share of the experiment's Optuna trials, against the study file
every worker of the experiment shares (cisflow.training.search.run_trials)."""

import torch

from cisflow.config.settings import Training
from cisflow.io.logs import log_to
from cisflow.training.search import run_trials

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
p = snakemake.params
training = Training.from_mapping(p.training, f"experiments.{snakemake.wildcards.experiment}.training")
run_trials(snakemake.input.dataset, snakemake.wildcards.experiment, p.model, training, p.search,
           int(snakemake.wildcards.worker), snakemake.output[0], init=(snakemake.input.init or [None])[0])
