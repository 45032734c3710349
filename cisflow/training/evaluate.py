"""Held-out evaluation: test-split predictions, metrics per target, and the plots that show them.

The test split's codes are read from the memory-mapped dataset a chunk at a time
(``cisflow.training.chunks``), with progress lines for a long pass; its targets are kept as stored
(uint8 for classification)."""

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_curve, roc_curve

from cisflow.data.dataset import load_dataset
from cisflow.io.atomic import atomic_open
from cisflow.io.figures import save_figure
from cisflow.io.logs import Progress
from cisflow.io.textio import write_tsv
from cisflow.models.checkpoint import load_model, strand_symmetric
from cisflow.models.predict import device
from cisflow.training import metrics
from cisflow.training.chunks import predict_rows

LEGEND_TARGETS = 12  # more targets than this are drawn thin, without a legend (Basset has 164)
CURVE_POINTS = 1000  # points a curve is drawn with at most


def run(model_path: str, dataset_path: str, metrics_out: str, predictions_out: str, plot_out: str) -> dict:
    """The evaluate rule: the model scored on its dataset's test split.

    Parameters
    ----------
    model_path, dataset_path : str
        The model file and the dataset it was trained on.
    metrics_out, predictions_out, plot_out : str
        The metrics (JSON: AUROC/AUPRC per target for classification, Pearson/Spearman/R² for
        regression, their means, the parameter count), the test predictions (TSV, gzipped: id,
        then the target and the prediction of each output) and the figure (ROC/PR or scatter).

    Returns
    -------
    dict
        The metrics. Predictions average both strands when the model was trained on both
        (``strand_symmetric``).
    """
    model, meta = load_model(model_path, device())
    data = load_dataset(dataset_path)
    task, names = data.attrs["task"], data.attrs["targets"]
    test = data.indices("test")
    targets = np.asarray(data.targets[test])
    outputs = predict_rows(model, data, test, task, both_strands=strand_symmetric(meta),
                           what=f"test predictions of {len(test):,} sequences")
    result = metrics.compute(task, targets, outputs, names)
    result.update(task=task, n_test=int(len(test)), model=meta["model_name"], both_strands=strand_symmetric(meta),
                  n_parameters=sum(p.numel() for p in model.parameters() if p.requires_grad))
    with atomic_open(metrics_out) as out:
        json.dump(result, out, indent=2)
    columns = {"id": [data.ids[i] for i in test]}
    for j, name in enumerate(names):
        columns[f"true_{name}"], columns[f"pred_{name}"] = targets[:, j], outputs[:, j]
    table = pd.DataFrame(columns)
    with Progress(f"write the test predictions of {len(names)} targets"):
        write_tsv(table, predictions_out)
    plot = plot_classification if task == "classification" else plot_regression
    with Progress(f"plot {len(names)} targets"):
        save_figure(plot(targets, outputs, names, result), plot_out)
    return result


def plot_classification(targets, probs, names, result):
    """ROC and precision-recall curves, one line per target, AUC in the legend (up to
    ``LEGEND_TARGETS`` targets; more are drawn as thin lines, the means in the titles)."""
    figure, (roc_ax, pr_ax) = plt.subplots(1, 2, figsize=(12, 5.5))
    legend = len(names) <= LEGEND_TARGETS
    style = {"lw": 2} if legend else {"lw": 0.6, "alpha": 0.4, "color": "#1f77b4"}
    for j, name in enumerate(names):
        y = targets[:, j] > 0.5
        if not 0 < y.sum() < len(y):
            continue
        fpr, tpr, _ = roc_curve(y, probs[:, j])
        precision, recall, _ = precision_recall_curve(y, probs[:, j])
        scores = result["per_target"][name]
        roc_ax.plot(*_thinned(fpr, tpr), label=f"{name} ({scores['auroc']:.3f})" if legend else None, **style)
        pr_ax.plot(*_thinned(recall, precision), label=f"{name} ({scores['auprc']:.3f})" if legend else None, **style)
    roc_ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1)
    _style(roc_ax, "False positive rate", "True positive rate", f"ROC, mean AUROC {result['auroc']:.3f}")
    _style(pr_ax, "Recall", "Precision", f"Precision-recall, mean AUPRC {result['auprc']:.3f}")
    figure.tight_layout()
    return figure


def plot_regression(targets, preds, names, result):
    """Measured against predicted, one panel per target, with r, ρ and R²."""
    figure, axes = plt.subplots(1, len(names), figsize=(6 * len(names), 5.5), squeeze=False)
    for j, (name, ax) in enumerate(zip(names, axes[0])):
        scores = result["per_target"][name]
        ax.scatter(targets[:, j], preds[:, j], s=8, alpha=0.5, color="#1f77b4", edgecolors="none")
        low, high = np.percentile(np.r_[targets[:, j], preds[:, j]], [0.5, 99.5])
        ax.plot([low, high], [low, high], color="grey", ls="--", lw=1)
        _style(ax, f"measured {name}", f"predicted {name}",
               f"r {scores['pearson']:.3f}   ρ {scores['spearman']:.3f}   R² {scores['r2']:.3f}")
    figure.tight_layout()
    return figure


def _thinned(x, y, points=CURVE_POINTS):
    """A curve's points, at most ``points`` of them, evenly spaced along it, both ends kept: a
    test split of 60,000 sequences gives curves of as many points, which no figure can show."""
    keep = np.unique(np.linspace(0, len(x) - 1, min(points, len(x))).round().astype(int))
    return x[keep], y[keep]


def _style(ax, xlabel, ylabel, title):
    ax.set_xlabel(xlabel, fontsize=14)
    ax.set_ylabel(ylabel, fontsize=14)
    ax.set_title(title, fontsize=15)
    ax.tick_params(labelsize=12)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=12, loc="lower right" if "ROC" in title else "best")
