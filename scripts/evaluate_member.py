"""Rule evaluate_member: a member's metrics and predictions on its own test split
(cisflow.training.evaluate.evaluate_member)."""

import torch

from cisflow.io.logs import log_to
from cisflow.training.evaluate import evaluate_member

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
evaluate_member(snakemake.input.model, snakemake.input.dataset, dict(snakemake.params.member),
                snakemake.output.metrics, snakemake.output.predictions)
