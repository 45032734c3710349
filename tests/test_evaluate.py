import gzip
import json

import pytest

from cisflow.training.evaluate import run as evaluate
from cisflow.training.train import train

MODEL = {"conv": [{"filters": 8, "width": 7}], "global_pool": "max", "dense": [8]}
TRAINING = {"epochs": 3, "batch_size": 32, "optimizer": "adam", "lr": 0.01, "weight_decay": 0.0, "patience": 10,
            "lr_patience": 3, "reverse_complement": True, "seed": 3, "resident_limit_gb": 16,
            "shift": 0, "selection": "auto"}


@pytest.mark.parametrize("reverse_complement", [True, False])
def test_evaluate_writes_metrics_predictions_and_plot(tmp_path, planted, reverse_complement):
    train(planted, "basset", MODEL, {**TRAINING, "reverse_complement": reverse_complement}, tmp_path / "m.pt",
          tmp_path / "h.tsv", tmp_path / "r.pt")
    result = evaluate(tmp_path / "m.pt", planted, tmp_path / "metrics.json", tmp_path / "pred.tsv.gz",
                      tmp_path / "plot.png")
    written = json.loads((tmp_path / "metrics.json").read_text())
    assert written["n_test"] == 60 and written["task"] == "classification"
    from cisflow.models.checkpoint import load_model

    model, _ = load_model(tmp_path / "m.pt")
    assert written["n_parameters"] == sum(p.numel() for p in model.parameters()) > 0
    assert written["both_strands"] is reverse_complement  # strands averaged only for models trained on both
    assert 0 <= result["auroc"] <= 1 and set(written["per_target"]) == {"bound"}
    with gzip.open(tmp_path / "pred.tsv.gz", "rt") as handle:
        lines = handle.read().splitlines()
    assert lines[0].split("\t") == ["id", "true_bound", "pred_bound"] and len(lines) == 61
    assert (tmp_path / "plot.png").read_bytes()[:4] == b"\x89PNG"
