"""Rule train: the experiment's model trained on its dataset (resumable from resume.pt); a job given
several GPUs (resources gpu=N) trains as N DDP processes started by torchrun. The job stops when the
workflow that started it is gone (killed Snakemake), rather than train on as an orphan."""

from pathlib import Path

import torch

from cisflow.distributed import launch
from cisflow.logs import log_to
from cisflow.search import merge_best
from cisflow.train import stop_with_workflow, train

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
model, model_params, training = snakemake.params.model, snakemake.params.model["params"], snakemake.params.training
if snakemake.input.best:  # a searched experiment: the best trial's values
    model_params, training = merge_best(model_params, training, snakemake.input.best[0])
run = dict(dataset_path=snakemake.input.dataset, model_name=model["name"], model_params=model_params,
           training=training, model_out=snakemake.output.model, history_out=snakemake.output.history,
           resume_path=str(Path(snakemake.output.model).with_name("resume.pt")),
           init_path=(snakemake.input.init or [None])[0])
gpus = min(int(snakemake.resources.get("gpu", 0)), torch.cuda.device_count())
if gpus > 1:  # one DDP process per GPU the job was given
    launch({**run, "log_path": snakemake.log[0]}, processes=gpus)
else:
    with stop_with_workflow():
        train(**run)
