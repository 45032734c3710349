"""Several GPUs of one node: one training process per GPU (DDP), started by torchrun.

``launch`` starts ``processes`` copies of ``cisflow.training.train.train`` through torchrun; inside each,
``World.from_env`` joins the process group torchrun describes in the environment (NCCL on GPUs,
gloo on CPU, which is how the tests run it). Each process trains on its own equal share of the
training split; gradients are averaged by DDP, so the model is the same everywhere, and only
rank 0 writes checkpoints, the model and the history. A single process is a world of one and
none of this costs anything.
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from cisflow.io.jsonio import json_text
from cisflow.models.predict import device


class World:
    def __init__(self, rank=0, size=1, local_rank=0):
        self.rank, self.size, self.local_rank = rank, size, local_rank

    @classmethod
    def from_env(cls):
        """The process group torchrun set up (WORLD_SIZE, RANK, LOCAL_RANK), or a world of one."""
        size = int(os.environ.get("WORLD_SIZE", "1"))
        if size == 1:
            return cls()
        world = cls(int(os.environ["RANK"]), size, int(os.environ["LOCAL_RANK"]))
        if torch.cuda.is_available():
            torch.cuda.set_device(world.local_rank)
        if not dist.is_initialized():
            dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        return world

    @property
    def main(self):
        """Whether this process writes files and logs progress (rank 0)."""
        return self.rank == 0

    @property
    def device(self):
        return torch.device("cuda", self.local_rank) if torch.cuda.is_available() else device()

    def shard(self, indices, seed):
        """This process's share of ``indices``, drawn at random (seeded, the same draw in every
        process): a split stored in order, say positives then negatives, must not give one class
        to each process, whose batch norm would then see one class only. All shares are equally
        long (DDP needs the same number of batches everywhere), so up to size - 1 rows sit out."""
        if self.size == 1:
            return indices
        shuffled = np.random.default_rng(seed).permutation(indices)
        return np.sort(shuffled[self.rank :: self.size][: len(indices) // self.size])

    def wrap(self, model):
        if self.size == 1:
            return model
        return DistributedDataParallel(model, device_ids=[self.local_rank] if torch.cuda.is_available() else None)

    def sync_buffers(self, model):
        """Batch-norm running statistics from rank 0, so every process validates the same model."""
        if self.size > 1:
            for buffer in model.buffers():
                dist.broadcast(buffer, 0)

    def mean(self, value):
        """The mean of a float over all processes."""
        if self.size == 1:
            return value
        tensor = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.all_reduce(tensor)
        return float(tensor) / self.size

    def from_main(self, value):
        """Rank 0's value of a float, on every process (one early-stopping decision for all)."""
        if self.size == 1:
            return value
        tensor = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.broadcast(tensor, 0)
        return float(tensor)


def launch(train_kwargs, processes):
    """Run ``cisflow.training.train.train(**train_kwargs)`` in ``processes`` DDP processes via torchrun,
    holding the member's lock (``member_lock``) throughout, so a second training of the member
    waits before any process starts (waiting in rank 0, the others would meet their collectives'
    timeout); should the workflow that started this process die, torchrun is stopped and this
    process ends (each training process in turn stops once torchrun is gone)."""
    from cisflow.training.train import member_lock, stop_with_workflow

    started = []
    with stop_with_workflow(before_exit=lambda: [_stop(torchrun) for torchrun in started]), \
            member_lock(train_kwargs["resume_path"]) as waited:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            handle.write(json_text({**train_kwargs, "waited_for_lock": waited}))  # paths as their text
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}",
                   "-m", "cisflow.training.distributed", handle.name]
        try:
            with subprocess.Popen(command) as torchrun:
                started.append(torchrun)
                if torchrun.wait() != 0:
                    raise subprocess.CalledProcessError(torchrun.returncode, command)
        finally:
            os.unlink(handle.name)


def _stop(process, grace_s=60):
    """SIGTERM (torchrun passes it on to the training processes), then SIGKILL after ``grace_s``."""
    process.terminate()
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        process.kill()


def main(kwargs_path):
    from cisflow.io.logs import log_to
    from cisflow.training.train import stop_with_workflow, train

    with open(kwargs_path) as handle:
        kwargs = json.load(handle)
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
