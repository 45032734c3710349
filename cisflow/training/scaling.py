"""Scales fitted on the training split: regression targets standardised, per-sequence features too.

Both are read a chunk at a time from the memory-mapped dataset (``cisflow.training.chunks``), and
both end inside the saved model (the target scale folded into its output layer, the feature scale
in its buffers), so a saved model takes and predicts values in their own units.
"""

from typing import Self, overload

import numpy as np
import torch
from torch import nn

from cisflow.training.chunks import column_moments


class TargetScale:
    """Regression targets are trained standardised (mean 0, sd 1 on the training split); the
    scaling is folded into the output layer before saving, so a saved model predicts in the
    targets' own units. Classification targets are left as they are (0/1, as float32)."""

    def __init__(self, mean: np.ndarray, std: np.ndarray) -> None:
        self.mean, self.std = mean, std
        self._on_device: dict[torch.device, list[torch.Tensor]] = {}

    @classmethod
    def fit(cls, targets: np.ndarray, task: str, rows: np.ndarray) -> Self:
        """The scaling of ``targets[rows]`` ((n, T), memory-mapped or not), read in chunks."""
        if task != "regression":
            return cls(np.zeros(targets.shape[1], np.float32), np.ones(targets.shape[1], np.float32))
        mean, std = column_moments(targets, rows)
        return cls(mean.astype(np.float32), np.where(std > 0, std, 1).astype(np.float32))

    @overload
    def apply(self, targets: torch.Tensor) -> torch.Tensor: ...

    @overload
    def apply(self, targets: np.ndarray) -> np.ndarray: ...

    def apply(self, targets: torch.Tensor | np.ndarray) -> torch.Tensor | np.ndarray:
        """(n, T) targets as stored (uint8 or float32), a numpy array or a tensor on any device ->
        (n, T) float32 of the same kind, standardised."""
        if isinstance(targets, torch.Tensor):
            if targets.device not in self._on_device:
                self._on_device[targets.device] = [torch.from_numpy(v).to(targets.device)
                                                   for v in (self.mean, self.std)]
            mean, std = self._on_device[targets.device]
            return (targets.float() - mean) / std
        return (np.asarray(targets, np.float32) - self.mean) / self.std

    @torch.no_grad()
    def fold_into(self, linear: nn.Linear) -> None:
        """Fold the scaling into the output layer ``linear``, so that the model predicts in the targets' own units."""
        std = torch.from_numpy(self.std).to(linear.weight)
        linear.weight.mul_(std[:, None])
        linear.bias.mul_(std).add_(torch.from_numpy(self.mean).to(linear.bias))


def fit_feature_scale(model: nn.Module, features: np.ndarray, rows: np.ndarray) -> None:
    """Standardise the model's per-sequence features by their mean and sd over the training
    split's ``rows`` (read in chunks)."""
    mean, std = column_moments(features, rows)
    with torch.no_grad():
        model.get_buffer("feature_mean").copy_(torch.from_numpy(mean.astype(np.float32)))
        model.get_buffer("feature_std").copy_(torch.from_numpy(np.where(std > 0, std, 1).astype(np.float32)))
