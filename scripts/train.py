"""Rule train: one member of the experiment trained on its dataset, resumable; several GPUs train as DDP
processes (cisflow.training.launch.train_member)."""

import torch

from cisflow.config.settings import Training
from cisflow.io.logs import log_to
from cisflow.training.launch import train_member

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
training = Training.from_mapping(snakemake.params.training, f"experiments.{snakemake.wildcards.experiment}.training")
train_member(snakemake.input.dataset, snakemake.params.model, training, snakemake.output.model,
    snakemake.output.history, init=(snakemake.input.init or [None])[0], best=(snakemake.input.best or [None])[0],
    gpus=min(int(snakemake.resources.get("gpu", 0)), torch.cuda.device_count()), log_path=snakemake.log[0],
    member=dict(snakemake.params.member))
