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


@pytest.mark.parametrize("n_targets, legend", [(3, True), (13, False)])
def test_curves_of_a_large_test_split_are_thinned_and_many_targets_drawn_without_a_legend(n_targets, legend):
    import matplotlib.pyplot as plt
    import numpy as np

    from cisflow.training import metrics
    from cisflow.training.evaluate import CURVE_POINTS, plot_classification

    rng = np.random.default_rng(0)
    targets = rng.integers(0, 2, (20_000, n_targets)).astype(np.uint8)
    probs = np.clip(targets * 0.3 + rng.random(targets.shape) * 0.7, 0, 1)
    names = [f"t{j}" for j in range(n_targets)]
    figure = plot_classification(targets, probs, names, metrics.compute("classification", targets, probs, names))
    roc_ax, pr_ax = figure.axes
    assert len(roc_ax.lines) == n_targets + 1 and len(pr_ax.lines) == n_targets  # ROC's diagonal
    assert all(len(line.get_xdata()) <= CURVE_POINTS for line in [*roc_ax.lines, *pr_ax.lines])
    assert [tuple(line.get_xdata()[[0, -1]]) for line in roc_ax.lines[:-1]] == [(0.0, 1.0)] * n_targets
    assert (roc_ax.get_legend() is not None) is legend
    plt.close(figure)
