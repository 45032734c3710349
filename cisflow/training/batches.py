"""Shuffled training batches on the device, from a split that may or may not fit in memory.

A split that fits in ``resident_bytes`` is moved to the device once as uint8 codes and every
batch is gathered there: no data loader, no per-batch host copy. A larger one streams from the
memory-mapped dataset: each epoch visits it in blocks (in shuffled order), each block read once,
shuffled, and moved to the device whole, so a dataset larger than memory still trains.
"""

import numpy as np
import torch


class TrainingBatches:
    def __init__(self, data, indices, scale, batch_size, dev, resident_bytes, block_rows=1 << 20):
        self.data, self.indices, self.scale = data, np.sort(indices), scale
        self.batch_size, self.dev = batch_size, dev
        row_bytes = data.codes.shape[1] + 4 * data.targets.shape[1]
        if data.features is not None:
            row_bytes += 4 * data.features.shape[1]
        self.resident = len(indices) * row_bytes <= resident_bytes
        fitting = max(batch_size, min(block_rows, resident_bytes // row_bytes))
        self.block_rows = len(indices) if self.resident else fitting
        self._cache = self._load(self.indices) if self.resident else None

    def __len__(self):
        return len(self.indices)

    def _load(self, rows):
        codes = torch.from_numpy(np.asarray(self.data.codes[rows])).to(self.dev)
        targets = torch.from_numpy(self.scale.apply(np.asarray(self.data.targets[rows]))).to(self.dev)
        features = self.data.features_of(rows)
        return codes, targets, None if features is None else torch.from_numpy(features).to(self.dev)

    def epoch(self, generator):
        """(codes, targets, features) batches covering the split once, in an order drawn from
        ``generator``; features is None for a dataset without per-sequence features."""
        blocks = [self.indices[i : i + self.block_rows] for i in range(0, len(self.indices), self.block_rows)]
        for block in torch.randperm(len(blocks), generator=generator).tolist():
            codes, targets, features = self._cache or self._load(blocks[block])
            order = torch.randperm(len(codes), generator=generator).to(self.dev)
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                yield codes[batch], targets[batch], None if features is None else features[batch]
