"""Rule evaluate: the experiment's test metrics, predictions and plots, its members' spread beside them
(cisflow.training.evaluate.evaluate_experiment)."""

import torch

from cisflow.io.logs import log_to
from cisflow.training.evaluate import evaluate_experiment

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
out = snakemake.output
evaluate_experiment(snakemake.input.model, snakemake.input.dataset,
                    [dict(member) for member in snakemake.params.members], list(snakemake.input.metrics),
                    list(snakemake.input.predictions), out.metrics, out.predictions, out.plot, out.members)
