"""Rule evaluate: test-split metrics, predictions and plots (cisflow.training.evaluate.run)."""

import torch

from cisflow.io.logs import log_to
from cisflow.training.evaluate import run

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
run(snakemake.input.model, snakemake.input.dataset, snakemake.output.metrics, snakemake.output.predictions,
    snakemake.output.plot)
