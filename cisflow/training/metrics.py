"""Held-out metrics: AUROC/AUPRC per task for classification, Pearson/Spearman/R² for regression."""

import numpy as np
from scipy import stats
from sklearn.metrics import average_precision_score, r2_score, roc_auc_score


def classification_metrics(targets, probs, names):
    """Per-target AUROC, AUPRC (NaN where the test set holds one class only) and accuracy at 0.5,
    and their means."""
    per_target = {}
    for j, name in enumerate(names):
        y = targets[:, j] > 0.5
        both = 0 < y.sum() < len(y)
        per_target[name] = {
            "auroc": float(roc_auc_score(y, probs[:, j])) if both else float("nan"),
            "auprc": float(average_precision_score(y, probs[:, j])) if both else float("nan"),
            "accuracy": float(((probs[:, j] > 0.5) == y).mean()) if len(y) else float("nan"),
            "positives": int(y.sum()),
        }
    return {key: _mean(per_target, key) for key in ("auroc", "auprc", "accuracy")} | {"per_target": per_target}


def regression_metrics(targets, preds, names):
    """Per-target Pearson r, Spearman ρ and R², and their means."""
    per_target = {}
    for j, name in enumerate(names):
        y, p = targets[:, j], preds[:, j]
        constant = np.ptp(y) == 0 or np.ptp(p) == 0
        per_target[name] = {
            "pearson": float("nan") if constant else float(stats.pearsonr(y, p)[0]),
            "spearman": float("nan") if constant else float(stats.spearmanr(y, p)[0]),
            "r2": float(r2_score(y, p)),
        }
    return {key: _mean(per_target, key) for key in ("pearson", "spearman", "r2")} | {"per_target": per_target}


def compute(task, targets, outputs, names):
    return (classification_metrics if task == "classification" else regression_metrics)(targets, outputs, names)


DEFAULT_SELECTION = {"classification": "auroc", "regression": "pearson"}


def selection_score(task, metrics, selection="auto"):
    """The single number training maximises: a metric's mean over targets, or the sum of
    several joined by '+' (Camformers stopped early on Pearson + Spearman); 'auto' is mean
    AUROC for classification and mean Pearson for regression."""
    names = DEFAULT_SELECTION[task] if selection == "auto" else selection
    value = sum(metrics[name] for name in names.split("+"))
    return -np.inf if np.isnan(value) else float(value)


def _mean(per_target, key):
    values = [m[key] for m in per_target.values() if not np.isnan(m[key])]
    return float(np.mean(values)) if values else float("nan")
