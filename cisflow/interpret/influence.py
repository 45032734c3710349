"""Filter influence (Basset): each first-layer filter silenced in turn, the change of every output.

Vectorised over filters: each batch of sequences goes through the first layer once, and its
output is copied once per filter, each copy with that filter silenced, so that one forward pass
of the rest of the network scores many silenced filters at once.
"""

import numpy as np
import torch
from torch import nn

from cisflow.interpret.filters import first_conv
from cisflow.io.logs import Progress
from cisflow.models.predict import ACTIVATIONS, forward, model_device, one_hot


def filter_influence(model: nn.Module, codes: np.ndarray, task: str, batch_size: int = 512,
                     features: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Basset's influence: what each first-layer filter does to the predictions.

    Each filter in turn is silenced (its output replaced by its mean over these sequences and
    positions, so it carries no information) and the predictions are made again.

    Parameters
    ----------
    model : torch.nn.Module
        A model from ``cisflow.models`` (it exposes ``first_conv``).
    codes : (N, L) uint8 array
        The sequences, A C G T N = 0..4.
    task : {'classification', 'regression'}
        Changes are in probability for classification, in value for regression.
    batch_size : int
        Rows of one forward pass: sequences times the filters silenced in it.
    features : (N, F) array, optional
        Per-sequence numbers beside the sequences, for a model that takes them.

    Returns
    -------
    changes : (filters, targets) float32
        The mean change, silenced minus intact (negative: the filter raised the output).
    overall : (filters,) float32
        The mean squared change over targets, which ranks filters by what they do rather than by
        what their motif looks like.
    """
    sequences = torch.as_tensor(np.asarray(codes, dtype=np.uint8))
    numbers = None if features is None else torch.as_tensor(np.asarray(features, dtype=np.float32))
    model.eval()
    intact, means = _intact(model, sequences, task, batch_size, numbers)
    n_filters = first_conv(model).out_channels
    per_pass = min(n_filters, batch_size)  # filters silenced in one forward pass
    per_batch = max(1, batch_size // per_pass)  # sequences of one forward pass
    sums = torch.zeros(n_filters, intact.shape[1], dtype=torch.float64)
    with Progress(f"influence of {n_filters} filters", total=len(codes), unit="sequences") as progress:
        for start in range(0, len(sequences), per_batch):
            batch = slice(start, start + per_batch)
            for first in range(0, n_filters, per_pass):
                silenced = torch.arange(first, min(first + per_pass, n_filters))
                out = _silenced_predictions(model, sequences[batch], numbers, batch, silenced, means, task)
                sums[silenced] += (out - intact[batch]).sum(dim=1).double()
            progress.advance(len(sequences[batch]))
    changes = (sums / len(sequences)).float().numpy()
    return changes, (changes**2).mean(axis=1)


@torch.no_grad()
def _intact(model: nn.Module, codes: torch.Tensor, task: str, batch_size: int,
            features: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, targets) predictions and (filters,) the first conv's mean output, in one pass."""
    dev = model_device(model)
    sums: list[torch.Tensor] = []
    positions: list[int] = []
    predictions: list[torch.Tensor] = []

    def record(module: nn.Module, inputs: object, output: torch.Tensor) -> None:
        sums.append(output.double().sum(dim=(0, 2)))
        positions.append(output.shape[0] * output.shape[2])

    hook = first_conv(model).register_forward_hook(record)
    try:
        for start in range(0, len(codes), batch_size):
            extra = None if features is None else features[start : start + batch_size].to(dev)
            out = forward(model, one_hot(codes[start : start + batch_size].to(dev)), extra)
            predictions.append(ACTIVATIONS[task](out.float()).cpu())
    finally:
        hook.remove()
    return torch.cat(predictions), (torch.stack(sums).sum(dim=0) / sum(positions)).float()


@torch.no_grad()
def _silenced_predictions(model: nn.Module, codes: torch.Tensor, features: torch.Tensor | None, rows: slice,
                          silenced: torch.Tensor, means: torch.Tensor, task: str) -> torch.Tensor:
    """(len(silenced), B, targets): the predictions of a batch with each of ``silenced`` in turn
    replaced by its mean, from one forward pass of len(silenced) x B rows."""
    dev = model_device(model)
    copies, silenced = len(silenced), silenced.to(dev)

    def silence(module: nn.Module, inputs: object, output: torch.Tensor) -> torch.Tensor:
        output = output.unsqueeze(0).repeat(copies, 1, 1, 1)  # (copies, B, filters, L)
        output[torch.arange(copies, device=dev), :, silenced] = means.to(dev, output.dtype)[silenced, None, None]
        return output.flatten(0, 1)  # copy-major: copy j is rows j*B .. (j+1)*B

    extra = None if features is None else features[rows].to(dev).repeat(copies, 1)
    hook = first_conv(model).register_forward_hook(silence)
    try:
        out = forward(model, one_hot(codes.to(dev)), extra)
    finally:
        hook.remove()
    return ACTIVATIONS[task](out.float()).cpu().reshape(copies, len(codes), -1)
