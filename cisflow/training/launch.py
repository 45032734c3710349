"""The train rule's start: one member's training, in this process or as DDP processes via torchrun.

``train_member`` (the train rule) sets the member's seed and a search's best values into the
experiment's settings, then trains in this process or, given several GPUs, starts one DDP process
a GPU through torchrun (``train_ddp``), each running ``cisflow.training.train.train`` on its share
of the split (``cisflow.training.distributed.World``). Either way the job holds the member's lock
(``cisflow.training.lock``) and stops when the workflow that started it is gone
(``cisflow.training.workflow_watch``). This module sits above the loop, so that the loop imports
nothing that starts it.
"""

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import torch.distributed as dist

from cisflow.config.settings import Training
from cisflow.io.jsonio import json_text
from cisflow.io.logs import log_to
from cisflow.training.lock import member_lock
from cisflow.training.search_space import merge_best
from cisflow.training.train import train
from cisflow.training.workflow_watch import stop_with_workflow
from cisflow.types import PathLike


class TrainArguments(TypedDict):
    """The keyword arguments of ``cisflow.training.train.train`` that the train rule gives it."""

    dataset_path: PathLike
    model_name: str
    model_params: dict[str, Any]
    training: Training
    model_out: PathLike
    history_out: PathLike
    resume_path: PathLike
    init_path: NotRequired[PathLike | None]
    member: NotRequired[dict[str, Any] | None]


class DdpArguments(TrainArguments):
    """``TrainArguments`` with the job's log, which the DDP processes append to (``log_path``)."""

    log_path: NotRequired[PathLike | None]


def train_member(dataset: PathLike, model: dict[str, Any], training: Training, model_out: PathLike,
                 history_out: PathLike, init: PathLike | None = None, best: PathLike | None = None, gpus: int = 1,
                 log_path: PathLike | None = None, member: dict[str, Any] | None = None) -> None:
    """The train rule: the experiment's model trained on its dataset, resumable from the
    ``resume.pt`` beside ``model_out``.

    Parameters
    ----------
    dataset : str or Path
        The dataset directory (``cisflow.data.dataset``).
    model, training : dict, cisflow.config.settings.Training
        The experiment's ``model`` ({name, params}) and ``training`` settings.
    model_out, history_out : str or Path
        The model file and the per-epoch history (TSV) to write.
    init : str or Path, optional
        The model file to start from (``training.init_from``).
    best : str or Path, optional
        A search's best.json: its values override the config's (``cisflow.training.search``).
    gpus : int
        GPUs the job was given: several train as one DDP process each (torchrun).
    log_path : str or Path, optional
        The job's log, which the DDP processes append to.
    member : dict, optional
        The member of the experiment to train (``cisflow.training.replicates.members``): its seed
        replaces ``training.seed``, its split the dataset's. None: the experiment as one model.

    The job stops when the workflow that started it is gone (a killed Snakemake) rather than
    train on as an orphan (``stop_with_workflow``).
    """
    model_params = model["params"]
    if best:
        model_params, training = merge_best(model_params, training, best)
    if member is not None:
        training = dataclasses.replace(training, seed=member["seed"])
    kwargs = TrainArguments(dataset_path=dataset, model_name=model["name"], model_params=model_params,
                            training=training, model_out=model_out, history_out=history_out,
                            resume_path=str(Path(model_out).with_name("resume.pt")), init_path=init, member=member)
    if gpus > 1:
        train_ddp({**kwargs, "log_path": log_path}, processes=gpus)
        return
    with stop_with_workflow():
        train(**kwargs)


def train_ddp(train_kwargs: DdpArguments, processes: int) -> None:
    """Run ``cisflow.training.train.train(**train_kwargs)`` in ``processes`` DDP processes via torchrun,
    holding the member's lock (``member_lock``) throughout, so a second training of the member
    waits before any process starts (waiting in rank 0, the others would meet their collectives'
    timeout); should the workflow that started this process die, torchrun is stopped and this
    process ends (each training process in turn stops once torchrun is gone)."""
    started: list[subprocess.Popen[bytes]] = []

    def stop_torchrun() -> None:
        for torchrun in started:
            _stop(torchrun)

    with stop_with_workflow(before_exit=stop_torchrun), \
            member_lock(train_kwargs["resume_path"]) as waited:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            handle.write(json_text({**train_kwargs, "training": train_kwargs["training"].to_mapping(),
                                    "waited_for_lock": waited}))  # paths as their text, settings as a mapping
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}",
                   "-m", "cisflow.training.launch", handle.name]
        try:
            with subprocess.Popen(command) as torchrun:
                started.append(torchrun)
                if torchrun.wait() != 0:
                    raise subprocess.CalledProcessError(torchrun.returncode, command)
        finally:
            os.unlink(handle.name)


def _stop(process: subprocess.Popen[bytes], grace_s: float = 60) -> None:
    """SIGTERM (torchrun passes it on to the training processes), then SIGKILL after ``grace_s``."""
    process.terminate()
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        process.kill()


def main(kwargs_path: PathLike) -> None:
    """One DDP process, as torchrun starts it: ``train`` with the keyword arguments that
    ``train_ddp`` wrote to the JSON file ``kwargs_path``, until the training or torchrun ends."""
    with open(kwargs_path) as handle:
        kwargs = json.load(handle)
    kwargs["training"] = Training.from_validated(kwargs["training"])
    log_path = kwargs.pop("log_path", None)
    if log_path and int(os.environ.get("RANK", "0")) == 0:
        log_to(log_path, header=False)  # the launcher's job wrote its start line
    try:
        with stop_with_workflow():  # torchrun, this process's parent
            train(**kwargs)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
