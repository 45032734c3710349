"""Held-out metrics: AUROC/AUPRC per task for classification, Pearson/Spearman/R² for regression."""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats
from sklearn.metrics import average_precision_score, r2_score, roc_auc_score


def classification_metrics(targets: np.ndarray, probs: np.ndarray, names: Sequence[str]) -> dict[str, Any]:
    """Per-target AUROC, AUPRC (NaN where the test set holds one class only or a prediction is not
    finite, a ``note`` beside saying which) and accuracy at 0.5, and their means."""
    per_target: dict[str, dict[str, Any]] = {}
    for j, name in enumerate(names):
        y, p = targets[:, j] > 0.5, probs[:, j]
        why = [f"one class only ({int(y.sum())} of {len(y)} positive)"] if not 0 < y.sum() < len(y) else []
        why += _not_finite(p)
        per_target[name] = {
            "auroc": float("nan") if why else float(roc_auc_score(y, p)),
            "auprc": float("nan") if why else float(average_precision_score(y, p)),
            "accuracy": float(((p > 0.5) == y).mean()) if len(y) else float("nan"),
            "positives": int(y.sum()),
        }
        if why:
            per_target[name]["note"] = f"{'; '.join(why)}: no AUROC or AUPRC"
    return _with_means(per_target, ("auroc", "auprc", "accuracy"))


def regression_metrics(targets: np.ndarray, preds: np.ndarray, names: Sequence[str]) -> dict[str, Any]:
    """Per-target Pearson r, Spearman ρ and R² (correlations NaN where the targets or the
    predictions are constant, all three where a prediction is not finite, a ``note`` beside saying
    which), and their means."""
    per_target: dict[str, dict[str, Any]] = {}
    for j, name in enumerate(names):
        y, p = targets[:, j], preds[:, j]
        unusable = _not_finite(p)
        why = unusable or [f"constant {what}" for what, values in (("targets", y), ("predictions", p))
                           if np.ptp(values) == 0]
        per_target[name] = {
            "pearson": float("nan") if why else float(stats.pearsonr(y, p)[0]),
            "spearman": float("nan") if why else float(stats.spearmanr(y, p)[0]),
            "r2": float("nan") if unusable else float(r2_score(y, p)),
        }
        if why:
            per_target[name]["note"] = f"{'; '.join(why)}: no correlation" + (" or R²" if unusable else "")
    return _with_means(per_target, ("pearson", "spearman", "r2"))


def _not_finite(predictions: np.ndarray) -> list[str]:
    """[what is wrong] where any of ``predictions`` is NaN or infinite (a diverging training's
    epoch), else []."""
    bad = int((~np.isfinite(predictions)).sum())
    return [f"{bad} of {len(predictions)} predictions NaN or infinite"] if bad else []


def compute(task: str, targets: np.ndarray, outputs: np.ndarray, names: Sequence[str]) -> dict[str, Any]:
    """The metrics of ``outputs`` against ``targets`` (both (N, T)) for the task: ``classification_metrics``
    or ``regression_metrics``."""
    return (classification_metrics if task == "classification" else regression_metrics)(targets, outputs, names)


DEFAULT_SELECTION = {"classification": "auroc", "regression": "pearson"}


def selection_score(task: str, metrics: Mapping[str, Any], selection: str) -> float:
    """The single number training maximises (``selection``, the experiment's ``training.selection``):
    a metric's mean over targets, or the sum of several joined by '+' (Camformers stopped early on
    Pearson + Spearman); 'auto' is mean AUROC for classification and mean Pearson for regression."""
    names = DEFAULT_SELECTION[task] if selection == "auto" else selection
    value = sum(metrics[name] for name in names.split("+"))
    return -np.inf if np.isnan(value) else float(value)


def _with_means(per_target: dict[str, dict[str, Any]], keys: Sequence[str]) -> dict[str, Any]:
    """``per_target`` under its key, beside each metric's mean over the targets; a ``note`` where a
    mean is undefined for every target."""
    means: dict[str, Any] = {key: _mean(per_target, key) for key in keys}
    undefined = [key for key, value in means.items() if np.isnan(value)]
    if undefined and per_target:
        means["note"] = f"{', '.join(undefined)} undefined for every target (see per_target's notes)"
    return means | {"per_target": per_target}


def _mean(per_target: dict[str, dict[str, Any]], key: str) -> float:
    values = [m[key] for m in per_target.values() if not np.isnan(m[key])]
    return float(np.mean(values)) if values else float("nan")
