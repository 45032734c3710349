"""Torch helpers shared by training, evaluation, interpretation and variant scoring.

A prediction that is NaN or infinite is never written as if it were one: ``predict`` (what
``cisflow predict``, interpretation and attribution use), evaluation (``cisflow.training.evaluate``)
and variant scoring (``cisflow.variants.scoring``) refuse the whole model with ``check_finite``,
naming its file, how many sequences and the first of them. A loaded model's weights are finite
(``checkpoint.load_model`` checks them), so such outputs mean its arithmetic overflows: no
prediction of that model can be trusted, and a table with holes in it would pass for a result. Only
training's validation passes (``cisflow.training.chunks.predict_rows``) take them as they come: a
diverging epoch scores none, and the best epoch before it is kept.
"""

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from cisflow.encode import reverse_complement
from cisflow.io.errors import InputError

SHOWN_IDS = 5  # sequences a message names


def device() -> torch.device:
    """CUDA when torch sees a GPU, else CPU (asked of torch, not of CUDA_VISIBLE_DEVICES)."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def record_source(model: nn.Module, source: str) -> None:
    """Note the file ``model`` was loaded from (``checkpoint.load_model`` does), which ``source_of`` names."""
    setattr(model, "source_file", source)  # an attribute beside the module's own, not a parameter or submodule


def source_of(model: nn.Module) -> str:
    """The file a model was loaded from (``checkpoint.load_model`` records it), for messages; 'the
    model' for one built in memory."""
    return getattr(model, "source_file", "the model")


def check_finite(outputs: np.ndarray, model: nn.Module, ids: Sequence[str] | None = None,
                 what: str = "sequences") -> None:
    """Refuse ``model`` when any of its ``outputs`` is NaN or infinite (module docstring).

    Parameters
    ----------
    outputs : (N, ...) array
        The model's outputs (predictions or raw outputs), a row a sequence.
    model : torch.nn.Module
        The model that made them (its file is named: ``source_of``).
    ids : sequence of str, optional
        The rows' names, for the message (default: their numbers, from 1).
    what : str
        What a row is, for the message.

    Raises
    ------
    InputError
        Naming the model's file, the count of rows with a non-finite output and the first ones.
    """
    outputs = np.asarray(outputs)
    finite = np.isfinite(outputs.reshape(len(outputs), -1)).all(axis=1) if outputs.size else np.ones(0, bool)
    bad = np.flatnonzero(~finite)
    if not len(bad):
        return
    names = [str(ids[i]) if ids is not None else f"#{i + 1}" for i in bad[:SHOWN_IDS]]
    more = ", ..." if len(bad) > SHOWN_IDS else ""
    raise InputError(source_of(model), f"the model's outputs are NaN or infinite for {len(bad):,} of {len(outputs):,} "
                                       f"{what} ({', '.join(names)}{more}): its arithmetic overflows, so none of its "
                                       "predictions can be trusted and none was written (weights of extreme size?)")


def model_device(model: nn.Module) -> torch.device:
    """The device a model's parameters are on."""
    return next(model.parameters()).device


def one_hot(codes: torch.Tensor) -> torch.Tensor:
    """(B, L) uint8 codes on any device -> (B, 4, L) float32 one-hot; N (code 4) is all zeros."""
    eye = torch.eye(5, 4, device=codes.device, dtype=torch.float32)
    return eye[codes.long()].transpose(1, 2).contiguous()


ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {"classification": torch.sigmoid,
                                                                  "regression": lambda out: out}


def forward(model: nn.Module, x: torch.Tensor, features: torch.Tensor | None = None) -> torch.Tensor:
    """``model(x)``, or ``model(x, features)`` for a model that takes per-sequence features."""
    return model(x) if features is None else model(x, features)


@torch.no_grad()
def predict_strands(model: nn.Module, codes: np.ndarray | torch.Tensor, batch_size: int = 512,
                    both_strands: bool = False, features: np.ndarray | None = None) -> np.ndarray:
    """The model's raw outputs (logits for classification) for (N, L) codes, per strand.

    Returns (N, S, T) float32 numpy: S is 2 with ``both_strands`` (forward, then reverse
    complement), else 1. ``features`` (N, F) go beside the sequences to a model that takes them.
    """
    dev = model_device(model)
    model.eval()
    codes = torch.as_tensor(codes)
    feature_rows = None if features is None else torch.as_tensor(np.asarray(features, dtype=np.float32))
    outs = []
    for start in range(0, len(codes), batch_size):
        batch = codes[start : start + batch_size].to(dev)
        extra = None if feature_rows is None else feature_rows[start : start + batch_size].to(dev)
        strands = [forward(model, one_hot(batch), extra)]
        if both_strands:
            strands.append(forward(model, one_hot(reverse_complement(batch)), extra))
        outs.append(torch.stack(strands, dim=1).float().cpu())
    return torch.cat(outs).numpy()


def strand_mean(raw: np.ndarray, task: str) -> np.ndarray:
    """(N, T) predictions from (N, S, T) raw outputs: the mean over strands of the activated
    outputs (probabilities for classification, values for regression)."""
    return ACTIVATIONS[task](torch.from_numpy(raw)).mean(dim=1).numpy()


def predict(model: nn.Module, codes: np.ndarray | torch.Tensor, task: str = "regression", batch_size: int = 512,
            both_strands: bool = False, features: np.ndarray | None = None,
            ids: Sequence[str] | None = None) -> np.ndarray:
    """Predictions for sequences, in batches, one-hot made on the model's device.

    Parameters
    ----------
    model : torch.nn.Module
        A model from ``cisflow.models`` (``load_model`` or ``build``).
    codes : (N, L) uint8 array or tensor
        Bases as codes, A C G T N = 0..4 (``cisflow.encode``).
    task : {'classification', 'regression'}
        Classification outputs are probabilities (sigmoid of the logits), regression outputs values.
    batch_size : int
        Sequences a batch.
    both_strands : bool
        Each output the mean of the forward and reverse-complement predictions.
    features : (N, F) array, optional
        Per-sequence numbers beside the sequences, for a model that takes them.
    ids : sequence of str, optional
        The sequences' names, named by the refusal of non-finite outputs.

    Returns
    -------
    (N, T) float32 numpy array

    Raises
    ------
    InputError
        Where any raw output (a logit for classification) is NaN or infinite (``check_finite``).
    """
    raw = predict_strands(model, codes, batch_size, both_strands, features)
    check_finite(raw, model, ids)  # the logits: an infinite one would pass as a probability of 0 or 1
    return strand_mean(raw, task)
