"""Several GPUs of one node: the process group each DDP training process is one of.

``cisflow.training.launch.train_ddp`` starts copies of ``cisflow.training.train.train`` through
torchrun; inside each, ``World.from_env`` joins the process group torchrun describes in the
environment (NCCL on GPUs, gloo on CPU, which is how the tests run it). Each process trains on its
own equal share of the training split; gradients are averaged by DDP, so the model is the same everywhere, and only
rank 0 writes checkpoints, the model and the history. A single process is a world of one and
none of this costs anything.
"""

import os
from typing import Self

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from cisflow.models.predict import device


class World:
    """This process's place among the training processes: its ``rank`` of ``size``, and its GPU
    (``local_rank``) on the node."""

    def __init__(self, rank: int = 0, size: int = 1, local_rank: int = 0) -> None:
        self.rank, self.size, self.local_rank = rank, size, local_rank

    @classmethod
    def from_env(cls) -> Self:
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
    def main(self) -> bool:
        """Whether this process writes files and logs progress (rank 0)."""
        return self.rank == 0

    @property
    def device(self) -> torch.device:
        """This process's device: its GPU, or the CPU (``cisflow.models.predict.device``)."""
        return torch.device("cuda", self.local_rank) if torch.cuda.is_available() else device()

    def shard(self, indices: np.ndarray, seed: int) -> np.ndarray:
        """This process's share of ``indices``, drawn at random (seeded, the same draw in every
        process): a split stored in order, say positives then negatives, must not give one class
        to each process, whose batch norm would then see one class only. All shares are equally
        long (DDP needs the same number of batches everywhere), so up to size - 1 rows sit out."""
        if self.size == 1:
            return indices
        shuffled = np.random.default_rng(seed).permutation(indices)
        return np.sort(shuffled[self.rank :: self.size][: len(indices) // self.size])

    def wrap(self, model: nn.Module) -> nn.Module:
        """``model`` as this process trains it: wrapped in DDP where there are several processes."""
        if self.size == 1:
            return model
        return DistributedDataParallel(model, device_ids=[self.local_rank] if torch.cuda.is_available() else None)

    def sync_buffers(self, model: nn.Module) -> None:
        """Batch-norm running statistics from rank 0, so every process validates the same model."""
        if self.size > 1:
            for buffer in model.buffers():
                dist.broadcast(buffer, 0)

    def mean(self, value: float) -> float:
        """The mean of a float over all processes."""
        if self.size == 1:
            return value
        tensor = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.all_reduce(tensor)
        return float(tensor) / self.size

    def from_main(self, value: float) -> float:
        """Rank 0's value of a float, on every process (one early-stopping decision for all)."""
        if self.size == 1:
            return value
        tensor = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.broadcast(tensor, 0)
        return float(tensor)
