import numpy as np
import pytest
import torch

from cisflow.data.dataset import load_dataset, write_dataset
from cisflow.models.predict import predict
from cisflow.models.registry import build_for_dataset
from cisflow.training import chunks


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_column_moments_in_chunks_match_the_whole_rows(monkeypatch, dtype):
    monkeypatch.setattr(chunks, "CHUNK_ROWS", 7)
    rng = np.random.default_rng(0)
    values = (rng.integers(0, 2, (100, 3)) if dtype == np.uint8 else rng.normal(1e3, 2.0, (100, 3))).astype(dtype)
    rows = np.sort(rng.choice(100, 61, replace=False))
    mean, std = chunks.column_moments(values, rows)
    np.testing.assert_allclose(mean, values[rows].astype(np.float64).mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(std, values[rows].astype(np.float64).std(axis=0), rtol=1e-9)


@pytest.mark.parametrize("features", [False, True])
def test_predictions_in_chunks_are_those_of_the_whole_rows(tmp_path, monkeypatch, features):
    monkeypatch.setattr(chunks, "CHUNK_ROWS", 7)
    rng = np.random.default_rng(1)
    n = 50
    extra = rng.normal(size=(n, 2)) if features else None
    attrs = {"task": "regression", "targets": ["a", "b"], "features": ["f", "g"] if features else []}
    write_dataset(tmp_path / "ds", rng.integers(0, 5, (n, 30), dtype=np.uint8), rng.normal(size=(n, 2)),
                  np.zeros(n, np.uint8), [f"s{i}" for i in range(n)], attrs, features=extra)
    data = load_dataset(tmp_path / "ds")
    torch.manual_seed(0)
    params = {"conv": [{"filters": 4, "width": 5, "pool": 2}], "dense": [4], "dense_dropout": 0.0}
    model = build_for_dataset("xpresso" if features else "basset", data.attrs, params).eval()
    rows = np.arange(3, 47, 2)
    whole = predict(model, np.asarray(data.codes[rows]), task="regression", features=data.features_of(rows))
    chunked = chunks.predict_rows(model, data, rows, "regression", batch_size=5, what="valid predictions")
    assert chunked.shape == (len(rows), 2) and chunked.dtype == np.float32
    np.testing.assert_allclose(chunked, whole, rtol=1e-5, atol=1e-6)
    assert chunks.predict_rows(model, data, rows[:0], "regression").shape == (0, 2)
