"""Shuffled training batches on the device, from a split that may or may not fit in memory.

A split that fits in ``resident_bytes`` is moved to the device once, codes and targets as they are
stored (uint8 codes, uint8 or float32 targets), and every batch is gathered there: no data loader,
no per-batch host copy. A larger one streams from the memory-mapped dataset: each epoch cuts the
split into runs of ``RUN_ROWS`` consecutive rows, deals the runs in shuffled order into blocks of
at most ``block_bytes`` (and ``resident_bytes``), and reads each block once (its rows in file
order), shuffles it and moves it to the device whole. A block so mixes rows from the whole split,
while its reads stay sequential, and memory is set by the block, not by the split. Either way a
batch's targets become float32 (standardised for regression) only as the batch is taken.
"""

from collections.abc import Iterator

import numpy as np
import torch

from cisflow.data.dataset import Dataset
from cisflow.training.scaling import TargetScale

Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]
"""Codes (B, L) uint8, targets (B, T) and features (B, F) or None, on the device."""

RUN_ROWS = 256  # consecutive rows that stay together in a streamed epoch's blocks
BLOCK_BYTES = 256 * 2**20  # a streamed block at most (codes, targets and features as stored)


class TrainingBatches:
    """The training split's batches, epoch after epoch.

    Parameters
    ----------
    data : cisflow.data.dataset.Dataset
        The dataset: codes (n, L) uint8, targets (n, T) uint8 or float32, features (n, F) or None.
    indices : (N,) int array
        The rows to train on.
    scale : cisflow.training.scaling.TargetScale
        Turns a batch's stored targets into the float32 ones the loss takes.
    batch_size : int
        Sequences a batch; a last batch of one is left out (batch norm needs two).
    dev : torch.device
        Where the batches are made.
    resident_bytes : int
        A split up to this size (as stored) is held on ``dev``; a larger one streams.
    block_bytes : int
        A streamed block's size at most.
    """

    def __init__(self, data: Dataset, indices: np.ndarray, scale: TargetScale, batch_size: int, dev: torch.device,
                 resident_bytes: int, block_bytes: int = BLOCK_BYTES) -> None:
        self.data, self.indices, self.scale = data, np.sort(indices), scale
        self.batch_size, self.dev = batch_size, dev
        row_bytes = data.codes.shape[1] + data.targets.dtype.itemsize * data.targets.shape[1]
        if data.features is not None:
            row_bytes += data.features.dtype.itemsize * data.features.shape[1]
        self.resident = len(indices) * row_bytes <= resident_bytes
        fitting = max(batch_size, min(block_bytes, resident_bytes) // row_bytes)
        self.block_rows = len(indices) if self.resident else fitting
        self._cache = self._load(self.indices) if self.resident else None

    def __len__(self) -> int:
        return len(self.indices)

    @property
    def steps(self) -> int:
        """Batches an epoch (optimizer steps), the same every epoch."""
        full, rest = divmod(len(self.indices), self.block_rows)
        sizes = [self.block_rows] * full + ([rest] if rest else [])
        return sum(size // self.batch_size + (size % self.batch_size >= 2) for size in sizes)

    def _load(self, rows: np.ndarray) -> Batch:
        codes = torch.from_numpy(np.asarray(self.data.codes[rows])).to(self.dev)
        targets = torch.from_numpy(np.asarray(self.data.targets[rows])).to(self.dev)
        features = self.data.features_of(rows)
        return codes, targets, None if features is None else torch.from_numpy(features).to(self.dev)

    def _blocks(self, generator: torch.Generator) -> list[np.ndarray]:
        """This epoch's blocks of rows: runs of consecutive rows in shuffled order, cut into blocks."""
        if self.resident:
            return [self.indices]
        run = min(RUN_ROWS, self.block_rows)
        starts = torch.randperm(-(-len(self.indices) // run), generator=generator).numpy() * run
        positions = (starts[:, None] + np.arange(run)).ravel()
        rows = self.indices[positions[positions < len(self.indices)]]
        return [np.sort(rows[i : i + self.block_rows]) for i in range(0, len(rows), self.block_rows)]

    def epoch(self, generator: torch.Generator) -> Iterator[Batch]:
        """(codes, targets, features) batches covering the split once, in an order drawn from
        ``generator``: codes (B, L) uint8, targets (B, T) float32, features (B, F) float32 or None
        for a dataset without per-sequence features, all on the device."""
        for rows in self._blocks(generator):
            codes, targets, features = self._cache or self._load(rows)
            order = torch.randperm(len(codes), generator=generator).to(self.dev)
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                if len(batch) < 2:  # batch norm needs two examples
                    continue
                yield codes[batch], self.scale.apply(targets[batch]), None if features is None else features[batch]
