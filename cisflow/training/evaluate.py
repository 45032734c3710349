"""Held-out evaluation: test-split predictions, metrics per target, and the plots that show them.

Each member of an experiment (``cisflow.training.replicates``) is evaluated on its own test split
(``evaluate_member``, rule evaluate_member); the experiment's evaluation (``evaluate_experiment``, rule
evaluate) is its answer beside its members' spread: one model's own figures; for seed replicates the
ensemble's on the common test split; for folds the pooled out-of-fold figures (every region
predicted by the member that held it out). Per metric and per target it adds the members' mean
and sd. The test split's codes are read from the memory-mapped dataset a chunk at a time
(``cisflow.training.chunks``), with progress lines for a long pass; its targets are kept as stored
(uint8 for classification).
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve, roc_curve

from cisflow.data.dataset import Dataset, load_dataset
from cisflow.io.figures import save_figure
from cisflow.io.jsonio import is_number, read_json, shown, write_json
from cisflow.io.logs import Progress
from cisflow.io.textio import write_tsv
from cisflow.models.checkpoint import load_model, strand_symmetric
from cisflow.models.predict import check_finite, device
from cisflow.training import metrics
from cisflow.training.chunks import predict_rows
from cisflow.training.replicates import member_view
from cisflow.types import PathLike

LEGEND_TARGETS = 12  # more targets than this are drawn thin, without a legend (Basset has 164)
CURVE_POINTS = 1000  # points a curve is drawn with at most
MEMBER_PRECISION = "%.9g"  # a member's predictions as written: float32 read back exactly (pooled out-of-fold)
HEADLINE = {"classification": ("auroc", "auprc"), "regression": ("pearson", "spearman", "r2")}


def predict_test(model_path: PathLike, data: Dataset) -> tuple[dict[str, Any], np.ndarray, np.ndarray, np.ndarray]:
    """The model in ``model_path`` on the test split of ``data`` (a ``Dataset``, with a member's
    split where it has one): its metrics and the test rows' (N, T) targets and predictions. A
    prediction that is NaN or infinite refuses the model (``predict.check_finite``)."""
    model, meta = load_model(model_path, device())
    task, names = data.attrs["task"], data.attrs["targets"]
    test = data.indices("test")
    targets = np.asarray(data.targets[test])
    outputs = predict_rows(model, data, test, task, both_strands=strand_symmetric(meta),
                           what=f"test predictions of {len(test):,} sequences")
    check_finite(outputs, model, [data.ids[i] for i in test], "test sequences")
    result = metrics.compute(task, targets, outputs, names)
    result.update(task=task, n_test=int(len(test)), model=meta["model_name"], both_strands=strand_symmetric(meta),
                  n_parameters=sum(p.numel() for p in model.parameters() if p.requires_grad))
    return result, test, targets, outputs


def predictions_table(ids: Iterable[str], targets: np.ndarray, outputs: np.ndarray,
                      names: Sequence[str]) -> pd.DataFrame:
    """id, then the target and the prediction of each output (``true_<t>``, ``pred_<t>``)."""
    columns: dict[str, list[str] | np.ndarray] = {"id": list(ids)}
    for j, name in enumerate(names):
        columns[f"true_{name}"], columns[f"pred_{name}"] = targets[:, j], outputs[:, j]
    return pd.DataFrame(columns)


def read_predictions(path: PathLike) -> pd.DataFrame:
    """A test predictions table (``predictions_table``) as written."""
    return pd.read_csv(path, sep="\t", dtype={"id": str})


def split_predictions(table: pd.DataFrame, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(N, T) targets and predictions of a test predictions table (``predictions_table``)."""
    return (table[[f"true_{name}" for name in names]].to_numpy(np.float32),
            table[[f"pred_{name}" for name in names]].to_numpy(np.float32))


def evaluate_member(model_path: PathLike, dataset_path: PathLike, member: Mapping[str, Any] | None,
                    metrics_out: PathLike, predictions_out: PathLike) -> dict[str, Any]:
    """The evaluate_member rule: a member's model on its own test split.

    Parameters
    ----------
    model_path, dataset_path : str or Path
        The member's model file and the experiment's dataset.
    member : dict or None
        The member (``cisflow.training.replicates.members``): its split is a fold's or the
        dataset's. None: the dataset's split.
    metrics_out, predictions_out : str or Path
        Its metrics (JSON, as ``evaluate_experiment`` writes them for one model) and test predictions
        (TSV, gzipped: id, then the target and the prediction of each output, written to float32's
        precision).

    Returns
    -------
    dict
        The metrics.
    """
    data = load_dataset(dataset_path)
    data = member_view(data, member) if member else data
    result, test, targets, outputs = predict_test(model_path, data)
    result["member"] = member["name"] if member else None
    write_json(metrics_out, result)
    with Progress(f"write the test predictions of {len(data.attrs['targets'])} targets"):
        write_tsv(predictions_table([data.ids[i] for i in test], targets, outputs, data.attrs["targets"]),
                  predictions_out, float_format=MEMBER_PRECISION)
    return result


def member_spread(task: str, members: Mapping[str, Mapping[str, Any]], names: Sequence[str]) -> dict[str, Any]:
    """Per headline metric and per target, the members' mean and sd (sample sd; 0 for one member).

    Parameters
    ----------
    task : {'classification', 'regression'}
    members : dict
        {member: its metrics (``metrics.compute``'s, with ``per_target``)}.
    names : list
        The targets.

    Returns
    -------
    dict
        ``{metric: {mean, sd}}`` over the headline metrics, and ``per_target: {target: {metric:
        {mean, sd}}}``; undefined metrics (null in a member's metrics.json: a target with one class in
        its test split) left out, and NaN where no member has one.
    """
    def spread(values: Iterable[Any]) -> dict[str, float]:
        values = np.asarray([v for v in values if is_number(v)], np.float64)
        if not len(values):
            return {"mean": float("nan"), "sd": float("nan")}
        return {"mean": float(values.mean()), "sd": float(values.std(ddof=1)) if len(values) > 1 else 0.0}

    keys = HEADLINE[task]
    out: dict[str, Any] = {key: spread([m[key] for m in members.values()]) for key in keys}
    out["per_target"] = {name: {key: spread([m["per_target"][name][key] for m in members.values()]) for key in keys}
                         for name in names}
    return out


def evaluate_experiment(model_path: PathLike, dataset_path: PathLike, members: Sequence[Mapping[str, Any]],
                        member_metrics: Sequence[PathLike], member_predictions: Sequence[PathLike],
                        metrics_out: PathLike, predictions_out: PathLike, plot_out: PathLike,
                        members_out: PathLike) -> dict[str, Any]:
    """The evaluate rule: the experiment's held-out figures, its members' beside them.

    Parameters
    ----------
    model_path, dataset_path : str or Path
        The experiment's model file (its members' ensemble) and its dataset.
    members : list of dict
        The members (``cisflow.training.replicates.members``), in the order of the next two.
    member_metrics, member_predictions : list of str or Path
        Each member's ``evaluate_member`` outputs.
    metrics_out, predictions_out, plot_out, members_out : str or Path
        The experiment's metrics (JSON: AUROC/AUPRC per target for classification,
        Pearson/Spearman/R² for regression, their means, the parameter count; ``evaluated``: what
        they are of; ``members``: each member's; ``member_spread``: their mean and sd), its test
        predictions (TSV, gzipped), the figure (ROC/PR or scatter) and the members' metrics per
        target (TSV: member, target, metrics).

    Returns
    -------
    dict
        The metrics. One member: its own. Seed replicates: the ensemble's on the dataset's test
        split. Folds: pooled out of fold, every member's test split (its held-out chromosomes or
        rows) predicted by it.
    """
    data = load_dataset(dataset_path)
    task, names = data.attrs["task"], data.attrs["targets"]
    by_member = {member["name"]: read_json(path) for member, path in zip(members, member_metrics)}
    if len(members) == 1:
        result = dict(by_member[members[0]["name"]])
        table = read_predictions(member_predictions[0])
        targets, outputs = split_predictions(table, names)
        result["evaluated"] = "one model on the test split"
    elif any(member["fold"] for member in members):
        table = pd.concat([read_predictions(path) for path in member_predictions], ignore_index=True)
        targets, outputs = split_predictions(table, names)
        first = by_member[members[0]["name"]]
        result = metrics.compute(task, targets, outputs, names)
        result.update(task=task, n_test=len(table), model=first["model"], both_strands=first["both_strands"],
                      n_parameters=first["n_parameters"],
                      evaluated=f"out of fold: each of {len(members)} folds' test regions predicted by the member that "
                                "held them out, pooled")
    else:
        result, test, targets, outputs = predict_test(model_path, data)
        result["n_parameters"] = by_member[members[0]["name"]]["n_parameters"]
        result["evaluated"] = f"the ensemble of {len(members)} seed replicates on the test split"
        table = predictions_table([data.ids[i] for i in test], targets, outputs, names)
    result.update(n_members=len(members), members={name: {key: m[key] for key in (*HEADLINE[task], "n_test")}
                                                    for name, m in by_member.items()},
                  member_spread=member_spread(task, by_member, names))
    result.pop("member", None)
    write_json(metrics_out, result)
    with Progress(f"write the test predictions of {len(names)} targets"):
        write_tsv(table, predictions_out)
    write_tsv(pd.DataFrame([{"member": name, "target": target, **{key: m["per_target"][target][key]
                                                                   for key in HEADLINE[task]}}
                            for name, m in by_member.items() for target in names]), members_out)
    plot = plot_classification if task == "classification" else plot_regression
    with Progress(f"plot {len(names)} targets"):
        save_figure(plot(targets, outputs, names, result), plot_out)
    return result


def plot_classification(targets: np.ndarray, probs: np.ndarray, names: Sequence[str],
                        result: Mapping[str, Any]) -> Figure:
    """ROC and precision-recall curves, one line per target, AUC in the legend (up to
    ``LEGEND_TARGETS`` targets; more are drawn as thin lines, the means in the titles)."""
    figure, (roc_ax, pr_ax) = plt.subplots(1, 2, figsize=(12, 5.5))
    legend = len(names) <= LEGEND_TARGETS
    style: dict[str, Any] = {"lw": 2} if legend else {"lw": 0.6, "alpha": 0.4, "color": "#1f77b4"}
    for j, name in enumerate(names):
        y = targets[:, j] > 0.5
        if not 0 < y.sum() < len(y):
            continue
        fpr, tpr, _ = roc_curve(y, probs[:, j])
        precision, recall, _ = precision_recall_curve(y, probs[:, j])
        scores = result["per_target"][name]
        roc_ax.plot(*_thinned(fpr, tpr), label=f"{name} ({shown(scores['auroc'])})" if legend else None, **style)
        pr_ax.plot(*_thinned(recall, precision), label=f"{name} ({shown(scores['auprc'])})" if legend else None,
                   **style)
    roc_ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1)
    _style(roc_ax, "False positive rate", "True positive rate", f"ROC, mean AUROC {shown(result['auroc'])}")
    _style(pr_ax, "Recall", "Precision", f"Precision-recall, mean AUPRC {shown(result['auprc'])}")
    figure.tight_layout()
    return figure


def plot_regression(targets: np.ndarray, preds: np.ndarray, names: Sequence[str], result: Mapping[str, Any]) -> Figure:
    """Measured against predicted, one panel per target, with r, ρ and R²."""
    figure, axes = plt.subplots(1, len(names), figsize=(6 * len(names), 5.5), squeeze=False)
    for j, (name, ax) in enumerate(zip(names, axes[0])):
        scores = result["per_target"][name]
        ax.scatter(targets[:, j], preds[:, j], s=8, alpha=0.5, color="#1f77b4", edgecolors="none")
        low, high = np.percentile(np.r_[targets[:, j], preds[:, j]], [0.5, 99.5])
        ax.plot([low, high], [low, high], color="grey", ls="--", lw=1)
        _style(ax, f"measured {name}", f"predicted {name}",
               f"r {shown(scores['pearson'])}   ρ {shown(scores['spearman'])}   R² {shown(scores['r2'])}")
    figure.tight_layout()
    return figure


def _thinned(x: np.ndarray, y: np.ndarray, points: int = CURVE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """A curve's points, at most ``points`` of them, evenly spaced along it, both ends kept: a
    test split of 60,000 sequences gives curves of as many points, which no figure can show."""
    keep = np.unique(np.linspace(0, len(x) - 1, min(points, len(x))).round().astype(int))
    return x[keep], y[keep]


def _style(ax: Axes, xlabel: str, ylabel: str, title: str) -> None:
    ax.set_xlabel(xlabel, fontsize=14)
    ax.set_ylabel(ylabel, fontsize=14)
    ax.set_title(title, fontsize=15)
    ax.tick_params(labelsize=12)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=12, loc="lower right" if "ROC" in title else "best")
