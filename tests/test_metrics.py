import numpy as np
import pytest

from cisflow.training.metrics import classification_metrics, regression_metrics, selection_score


def test_classification_metrics_per_target_and_mean():
    targets = np.array([[1, 0], [1, 0], [0, 0], [0, 0]], dtype=np.float32)
    probs = np.array([[0.9, 0.1], [0.4, 0.2], [0.3, 0.3], [0.1, 0.4]], dtype=np.float32)
    result = classification_metrics(targets, probs, ["a", "b"])
    assert result["per_target"]["a"]["auroc"] == 1.0 and result["per_target"]["a"]["positives"] == 2
    assert np.isnan(result["per_target"]["b"]["auroc"])  # one class only: undefined, left out of the mean
    assert result["auroc"] == 1.0 and selection_score("classification", result, "auto") == 1.0


def test_regression_metrics():
    y = np.array([[1.0], [2.0], [3.0], [4.0]])
    result = regression_metrics(y, y * 2, ["y"])
    assert result["pearson"] == pytest.approx(1.0) and result["spearman"] == pytest.approx(1.0)
    assert result["r2"] < 0  # perfectly correlated but on the wrong scale
    constant = regression_metrics(y, np.ones_like(y), ["y"])
    assert np.isnan(constant["pearson"]) and selection_score("regression", constant, "auto") == -np.inf


def test_selection_can_sum_metrics_as_camformers_did():
    y = np.array([[1.0], [2.0], [3.0], [5.0]])
    result = regression_metrics(y, y ** 2, ["y"])
    assert selection_score("regression", result, "pearson+spearman") == pytest.approx(
        result["pearson"] + result["spearman"])
    assert selection_score("regression", result, "spearman") == pytest.approx(1.0)


def test_predictions_that_are_not_finite_score_nothing_and_say_so():
    """A diverging epoch of training: its NaN predictions give no score (the best epoch before it is kept),
    where sklearn would stop the training with "Input contains NaN"."""
    targets = np.array([[1.0], [0.0], [1.0], [0.0]], dtype=np.float32)
    outputs = np.array([[np.nan], [0.2], [np.inf], [0.1]], dtype=np.float32)
    result = classification_metrics(targets, outputs, ["a"])
    assert np.isnan(result["auroc"]) and selection_score("classification", result, "auto") == -np.inf
    assert result["per_target"]["a"]["note"] == "2 of 4 predictions NaN or infinite: no AUROC or AUPRC"
    assert result["note"] == "auroc, auprc undefined for every target (see per_target's notes)"
    result = regression_metrics(targets, outputs, ["a"])
    assert np.isnan(result["r2"]) and selection_score("regression", result, "auto") == -np.inf
    assert result["per_target"]["a"]["note"] == "2 of 4 predictions NaN or infinite: no correlation or R²"
    constant = regression_metrics(targets, np.ones_like(targets), ["a"])["per_target"]["a"]
    assert constant["note"] == "constant predictions: no correlation" and constant["r2"] == -1.0
