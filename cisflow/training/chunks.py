"""A split read a chunk of rows at a time from the memory-mapped dataset: column statistics and a
model's predictions whose memory is set by the chunk, not by the split.

A genome-scale split does not fit in memory as float32 (1.3M x 600 bases are 0.8 GB as codes and
12.8 GB as one-hot); its codes, targets (uint8 for classification, float32 for regression) and
features are read here in chunks of ``CHUNK_ROWS`` rows, each cast as it is used.
"""

import contextlib

import numpy as np
from torch import nn

from cisflow.data.dataset import Dataset
from cisflow.io.logs import Progress
from cisflow.models.predict import predict_strands, strand_mean

CHUNK_ROWS = 4096  # rows read at once: 2.4 MB of 600-base codes; a progress step of a long prediction


def column_moments(array: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each column of ``array`` over ``rows``, read in chunks.

    Parameters
    ----------
    array : (n, C) array
        Any dtype (uint8 or float32 targets, float32 features); memory-mapped or not.
    rows : (N,) int array
        The rows to count, N > 0.

    Returns
    -------
    mean, std : (C,) float64 arrays
        Accumulated in float64, chunk by chunk (Chan et al.'s pairwise update), so the result does
        not depend on the chunk size beyond rounding.
    """
    count = 0
    mean: np.ndarray | float = 0.0
    squares: np.ndarray | float = 0.0
    for start in range(0, len(rows), CHUNK_ROWS):
        values = np.asarray(array[rows[start : start + CHUNK_ROWS]], dtype=np.float64)
        size, chunk_mean = len(values), values.mean(axis=0)
        delta = chunk_mean - mean
        total = count + size
        mean = mean + delta * size / total
        squares = squares + ((values - chunk_mean) ** 2).sum(axis=0) + delta**2 * count * size / total
        count = total
    return np.asarray(mean, np.float64), np.sqrt(np.asarray(squares, np.float64) / count)


def predict_rows(model: nn.Module, data: Dataset, rows: np.ndarray, task: str, batch_size: int = 512,
                 both_strands: bool = False, what: str | None = None) -> np.ndarray:
    """The model's predictions for ``rows`` of a dataset, their codes read a chunk at a time.

    Parameters
    ----------
    model : torch.nn.Module
        A model from ``cisflow.models``, on the device it runs on.
    data : cisflow.data.dataset.Dataset
        The dataset (codes (n, L) uint8, optional features (n, F) float32), memory-mapped.
    rows : (N,) int array
        The rows to predict (a split's indices).
    task : {'classification', 'regression'}
        Probabilities for classification, values for regression.
    batch_size : int
        Sequences a forward pass.
    both_strands : bool
        Each output the mean of the forward and reverse-complement predictions.
    what : str, optional
        The pass's name in progress lines (``cisflow.io.logs.Progress``); None logs none.

    Returns
    -------
    (N, T) float32 numpy array
        As the model gives them, NaN or infinite ones included: a diverging epoch of training scores
        none (``cisflow.training.metrics``); evaluation refuses them (``predict.check_finite``).
    """
    outputs = np.empty((len(rows), len(data.attrs["targets"])), np.float32)
    size = max(CHUNK_ROWS, batch_size)
    with Progress(what, total=len(rows), unit="sequences") if what else contextlib.nullcontext() as progress:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            outputs[start : start + len(chunk)] = strand_mean(predict_strands(
                model, np.asarray(data.codes[chunk]), batch_size, both_strands, data.features_of(chunk)), task)
            if progress is not None:
                progress.advance(len(chunk))
    return outputs
