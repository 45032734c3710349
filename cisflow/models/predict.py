"""Torch helpers shared by training, evaluation, interpretation and variant scoring."""

import numpy as np
import torch

from cisflow.data.encode import reverse_complement


def device():
    """CUDA when torch sees a GPU, else CPU (asked of torch, not of CUDA_VISIBLE_DEVICES)."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def model_device(model):
    """The device a model's parameters are on."""
    return next(model.parameters()).device


def one_hot(codes):
    """(B, L) uint8 codes on any device -> (B, 4, L) float32 one-hot; N (code 4) is all zeros."""
    eye = torch.eye(5, 4, device=codes.device, dtype=torch.float32)
    return eye[codes.long()].transpose(1, 2).contiguous()


ACTIVATIONS = {"classification": torch.sigmoid, "regression": lambda out: out}


def forward(model, x, features=None):
    """``model(x)``, or ``model(x, features)`` for a model that takes per-sequence features."""
    return model(x) if features is None else model(x, features)


@torch.no_grad()
def predict_strands(model, codes, batch_size=512, both_strands=False, features=None):
    """The model's raw outputs (logits for classification) for (N, L) codes, per strand.

    Returns (N, S, T) float32 numpy: S is 2 with ``both_strands`` (forward, then reverse
    complement), else 1. ``features`` (N, F) go beside the sequences to a model that takes them.
    """
    dev = model_device(model)
    model.eval()
    codes = torch.as_tensor(codes)
    features = None if features is None else torch.as_tensor(np.asarray(features, dtype=np.float32))
    outs = []
    for start in range(0, len(codes), batch_size):
        batch = codes[start : start + batch_size].to(dev)
        extra = None if features is None else features[start : start + batch_size].to(dev)
        strands = [forward(model, one_hot(batch), extra)]
        if both_strands:
            strands.append(forward(model, one_hot(reverse_complement(batch)), extra))
        outs.append(torch.stack(strands, dim=1).float().cpu())
    return torch.cat(outs).numpy()


def strand_mean(raw, task):
    """(N, T) predictions from (N, S, T) raw outputs: the mean over strands of the activated
    outputs (probabilities for classification, values for regression)."""
    return ACTIVATIONS[task](torch.from_numpy(raw)).mean(dim=1).numpy()


def predict(model, codes, task: str = "regression", batch_size: int = 512, both_strands: bool = False,
            features=None) -> np.ndarray:
    """Predictions for sequences, in batches, one-hot made on the model's device.

    Parameters
    ----------
    model : torch.nn.Module
        A model from ``cisflow.models`` (``load_model`` or ``build``).
    codes : (N, L) uint8 array or tensor
        Bases as codes, A C G T N = 0..4 (``cisflow.data.encode``).
    task : {'classification', 'regression'}
        Classification outputs are probabilities (sigmoid of the logits), regression outputs values.
    batch_size : int
        Sequences a batch.
    both_strands : bool
        Each output the mean of the forward and reverse-complement predictions.
    features : (N, F) array, optional
        Per-sequence numbers beside the sequences, for a model that takes them.

    Returns
    -------
    (N, T) float32 numpy array
    """
    return strand_mean(predict_strands(model, codes, batch_size, both_strands, features), task)
