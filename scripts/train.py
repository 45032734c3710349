"""Rule train: the experiment's model trained on its dataset (resumable from resume.pt)."""

from pathlib import Path

import torch

from cisflow.logs import log_to
from cisflow.train import train

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
model = snakemake.params.model
train(snakemake.input.dataset, model["name"], model["params"], snakemake.params.training,
      snakemake.output.model, snakemake.output.history, Path(snakemake.output.model).with_name("resume.pt"),
      init_path=(snakemake.input.init or [None])[0])
