"""Rule evaluate: test-split metrics, predictions and plots."""

import torch

from cisflow.evaluate import evaluate
from cisflow.logs import log_to

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
evaluate(snakemake.input.model, snakemake.input.dataset, snakemake.output.metrics, snakemake.output.predictions,
         snakemake.output.plot)
