"""Attribution of a prediction to the bases of a sequence: gradient x input (saliency) and in-silico
saturation mutagenesis (ISM), and the choice of which sequences and which window to show.

Their figures are drawn by ``cisflow.interpret.logos``.
"""

from collections.abc import Iterator

import numpy as np
import torch
from torch import nn

from cisflow.models.ensemble import member_mean
from cisflow.models.predict import forward, model_device, one_hot, predict


def input_gradients(model: nn.Module, codes: np.ndarray, target: int, batch_size: int = 256,
                    features: np.ndarray | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Per batch of ``codes``, its one-hot input x (n, 4, L) and the gradient of raw output
    ``target`` (the logit for classification models) with respect to it; ``features`` (N, F) go
    beside the sequences to a model that takes them."""
    model.eval()
    dev = model_device(model)
    sequences = torch.as_tensor(np.asarray(codes, dtype=np.uint8))
    numbers = None if features is None else torch.as_tensor(np.asarray(features, dtype=np.float32))
    for start in range(0, len(sequences), batch_size):
        x = one_hot(sequences[start : start + batch_size].to(dev)).requires_grad_(True)
        extra = None if numbers is None else numbers[start : start + batch_size].to(dev)
        (grad,) = torch.autograd.grad(forward(model, x, extra)[:, target].sum(), x)
        yield x.detach(), grad


def saliency(model: nn.Module, codes: np.ndarray, target: int, batch_size: int = 256,
             features: np.ndarray | None = None) -> np.ndarray:
    """Gradient x input: (N, L) contribution of the observed base at each position (0 at N).

    The gradient is of the raw output ``target`` (the logit for classification models), which
    does not saturate the way the probability does for confidently predicted sequences; an
    ensemble's is the mean of its members'.
    ``features`` (N, F) go beside the sequences to a model that takes them.
    """
    return np.concatenate([(grad * x).sum(dim=1).cpu().numpy()
                           for x, grad in input_gradients(model, codes, target, batch_size, features)])


def ism(model: nn.Module, codes: np.ndarray, target: int, task: str, batch_size: int = 512,
        features: np.ndarray | None = None, span: tuple[int, int] | None = None) -> np.ndarray:
    """In-silico saturation mutagenesis: (N, L, 4) change of output ``target`` per substitution.

    The change is in probability for classification and in value for regression; the reference
    base's entry is 0 (a position holding N has no reference, so all four entries are changes).
    ``features`` (N, F) go beside each sequence's variants to a model that takes them. ``span``
    (start, stop) mutates only those positions: (N, stop - start, 4). For an ensemble, the mean of
    its members' changes.
    """
    return member_mean(_ism, model, codes, target, task, batch_size, features, span)


def _ism(model: nn.Module, codes: np.ndarray, target: int, task: str, batch_size: int, features: np.ndarray | None,
         span: tuple[int, int] | None) -> np.ndarray:
    codes = np.asarray(codes, dtype=np.uint8)
    start, stop = span or (0, codes.shape[1])
    effects = np.zeros((len(codes), stop - start, 4), dtype=np.float32)
    for i, seq in enumerate(codes):
        variants = np.vstack([seq[None], _substitutions(seq, start, stop)])
        extra = None if features is None else np.repeat(np.asarray(features[i : i + 1]), len(variants), axis=0)
        preds = predict(model, variants, task=task, batch_size=batch_size, features=extra)[:, target]
        effects[i] = (preds[1:] - preds[0]).reshape(stop - start, 4)
        effects[i][is_reference(seq[start:stop])] = 0
    return effects


def ism_importance(effects: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """(..., L, 4) letter heights from ISM ``effects``: at each observed base, how much the
    output drops when it is mutated (minus the mean change of its three substitutions); 0 at N."""
    reference = is_reference(codes)
    return reference * (-np.asarray(effects).sum(axis=-1, keepdims=True) / 3)


def strongest_window(contributions: np.ndarray, window: int) -> int:
    """Start of a ``window`` around the stretch with the largest total |contribution|.

    The window is centred on the contributions' centre of mass within the best window, so a
    narrow peak ends up in the middle rather than at the edge of the first window holding it.
    """
    weights = np.abs(contributions)
    if len(weights) <= window:
        return 0
    best = int(np.argmax(np.convolve(weights, np.ones(window), mode="valid")))
    inside = weights[best : best + window]
    centre = best + (np.average(np.arange(window), weights=inside) if inside.any() else window / 2)
    return int(np.clip(round(centre - window / 2), 0, len(weights) - window))


def _substitutions(seq: np.ndarray, start: int, stop: int) -> np.ndarray:
    """((stop - start) * 4, L) copies of ``seq``; row 4*i + b has base b at position start + i."""
    width = stop - start
    variants = np.repeat(seq[None], 4 * width, axis=0)
    variants[np.arange(4 * width), start + np.repeat(np.arange(width), 4)] = np.tile(np.arange(4), width)
    return variants


def is_reference(codes: np.ndarray) -> np.ndarray:
    """(..., 4) mask of the observed base of each position (all False at N)."""
    return np.asarray(codes)[..., None] == np.arange(4)


def top_examples(predictions: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest of a 1-D array of predictions, largest first."""
    predictions = np.asarray(predictions)
    if predictions.ndim != 1:
        raise ValueError(f"top_examples takes one target's predictions (1-D), got shape {predictions.shape}")
    return np.argsort(-predictions, kind="stable")[:k]
