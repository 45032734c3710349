"""Rule search_trials: one worker's share of the experiment's Optuna trials, against the study file
that every worker of the experiment shares (results/search/<experiment>/study-<digest>.journal)."""

import json
from pathlib import Path

import torch

from cisflow.atomic import atomic_open
from cisflow.logs import log_to
from cisflow.search import run_worker, study_path

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
p, init = snakemake.params, (snakemake.input.init or [None])[0]
storage = study_path(Path(snakemake.output[0]).parent, p.model, p.training, p.search, snakemake.input.dataset, init)
summary = run_worker(storage, snakemake.wildcards.experiment, snakemake.input.dataset, p.model, p.training, p.search,
                     int(snakemake.wildcards.worker), init_path=init)
with atomic_open(snakemake.output[0]) as out:
    json.dump(summary, out, indent=2)
