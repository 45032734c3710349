import dataclasses
import gzip
import json

import numpy as np
import pandas as pd
import pytest

from cisflow.config.settings import Training
from cisflow.data.dataset import load_dataset
from cisflow.models.ensemble import save_ensemble
from cisflow.training.evaluate import evaluate_experiment, evaluate_member
from cisflow.training.replicates import member_view, members
from cisflow.training.train import train
from tests.test_jsonio import strict_json

MODEL = {"conv": [{"filters": 8, "width": 7}], "global_pool": "max", "dense": [8]}
TRAINING = Training.from_mapping({"epochs": 3, "batch_size": 32, "optimizer": "adam", "lr": 0.01, "weight_decay": 0.0,
                                  "patience": 10, "lr_patience": 3, "reverse_complement": True, "seed": 3,
                                  "resident_limit_gb": 16, "shift": 0, "selection": "auto"})


def trained_members(tmp_path, dataset, replicates, training=TRAINING):
    """Each member of ``replicates`` trained and evaluated as the workflow's rules do; returns the
    members, their metrics and predictions files, and the ensemble's file."""
    team = members(replicates, training.seed)
    metrics, predictions = [], []
    for member in team:
        folder = tmp_path / member["name"]
        train(dataset, "basset", MODEL, dataclasses.replace(training, seed=member["seed"]), folder / "model.pt",
              folder / "h.tsv", folder / "resume.pt", member=member)
        evaluate_member(folder / "model.pt", dataset, member, folder / "metrics.json", folder / "pred.tsv.gz")
        metrics.append(folder / "metrics.json")
        predictions.append(folder / "pred.tsv.gz")
    save_ensemble(tmp_path / "model.pt", [tmp_path / m["name"] / "model.pt" for m in team], [m["name"] for m in team])
    return team, metrics, predictions


def outputs(tmp_path):
    return [tmp_path / name for name in ("metrics.json", "pred.tsv.gz", "plot.png", "members.tsv")]


@pytest.mark.parametrize("reverse_complement", [True, False])
def test_evaluate_writes_metrics_predictions_and_plot(tmp_path, planted, reverse_complement):
    team, metrics, predictions = trained_members(tmp_path, planted, None,
                                                 dataclasses.replace(TRAINING, reverse_complement=reverse_complement))
    result = evaluate_experiment(tmp_path / "model.pt", planted, team, metrics, predictions, *outputs(tmp_path))
    written = json.loads((tmp_path / "metrics.json").read_text())
    assert written["n_test"] == 60 and written["task"] == "classification"
    from cisflow.models.checkpoint import load_model

    model, _ = load_model(tmp_path / "model.pt")
    assert written["n_parameters"] == sum(p.numel() for p in model.parameters()) > 0
    assert written["both_strands"] is reverse_complement  # strands averaged only for models trained on both
    assert 0 <= result["auroc"] <= 1 and set(written["per_target"]) == {"bound"}
    assert written["members"] == {"seed3": {"auroc": result["auroc"], "auprc": result["auprc"], "n_test": 60}}
    assert written["member_spread"]["auroc"] == {"mean": result["auroc"], "sd": 0.0}
    with gzip.open(tmp_path / "pred.tsv.gz", "rt") as handle:
        lines = handle.read().splitlines()
    assert lines[0].split("\t") == ["id", "true_bound", "pred_bound"] and len(lines) == 61
    assert (tmp_path / "plot.png").read_bytes()[:4] == b"\x89PNG"


def test_seed_replicates_report_the_ensembles_test_figures_beside_the_members_spread(tmp_path, planted):
    """One strand (no reverse complements), so that the ensemble's predictions can be checked from
    its members' by hand: the sigmoid of their mean log-odds."""
    team, metrics, predictions = trained_members(tmp_path, planted, {"seeds": 3},
                                                 dataclasses.replace(TRAINING, reverse_complement=False))
    result = evaluate_experiment(tmp_path / "model.pt", planted, team, metrics, predictions, *outputs(tmp_path))
    each = [json.loads(path.read_text())["auroc"] for path in metrics]
    assert len(set(each)) > 1  # the seeds made different models
    assert result["n_members"] == 3 and result["evaluated"].startswith("the ensemble of 3 seed replicates")
    assert result["member_spread"]["auroc"]["mean"] == pytest.approx(np.mean(each))
    assert result["member_spread"]["auroc"]["sd"] == pytest.approx(np.std(each, ddof=1))
    ensemble = pd.read_csv(tmp_path / "pred.tsv.gz", sep="\t")  # the ensemble's own, on the common test split
    assert result["n_test"] == len(ensemble) == 60
    member_predictions = [pd.read_csv(path, sep="\t") for path in predictions]
    assert all(list(own["id"]) == list(ensemble["id"]) for own in member_predictions)
    logits = np.log(np.stack([own["pred_bound"] for own in member_predictions]) /
                    (1 - np.stack([own["pred_bound"] for own in member_predictions])))
    np.testing.assert_allclose(ensemble["pred_bound"], 1 / (1 + np.exp(-logits.mean(axis=0))), rtol=1e-3, atol=1e-4)
    table = pd.read_csv(tmp_path / "members.tsv", sep="\t")
    assert list(table["member"]) == ["seed3", "seed4", "seed5"]
    assert list(table["auroc"]) == pytest.approx(each, abs=1e-4)


def test_folds_pool_every_members_held_out_predictions(tmp_path, planted):
    team, metrics, predictions = trained_members(tmp_path, planted, {"folds": 4})
    result = evaluate_experiment(tmp_path / "model.pt", planted, team, metrics, predictions, *outputs(tmp_path))
    data = load_dataset(planted)
    assert result["n_test"] == len(data.ids) == 400 and result["evaluated"].startswith("out of fold")
    pooled = pd.read_csv(tmp_path / "pred.tsv.gz", sep="\t")
    assert sorted(pooled["id"]) == sorted(data.ids)  # every sequence once, predicted by the member that held it out
    for member, path in zip(team, predictions):
        held = member_view(data, member)
        mine = pd.read_csv(path, sep="\t")
        assert list(mine["id"]) == [data.ids[i] for i in held.indices("test")]
        assert json.loads((tmp_path / member["name"] / "metrics.json").read_text())["n_test"] == len(mine)
    assert result["members"].keys() == {"fold1", "fold2", "fold3", "fold4"}


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


def one_class_in_test(path):
    """Two targets of 40-mers: t0 of both classes everywhere, t1 of both in train and valid but none
    positive in the test split (its AUROC undefined there)."""
    from cisflow.data.dataset import write_dataset

    rng = np.random.default_rng(7)
    targets = rng.integers(0, 2, (400, 2)).astype(np.float32)
    targets[340:, 1] = 0
    write_dataset(path, rng.integers(0, 4, (400, 40)).astype(np.uint8), targets, np.repeat([0, 1, 2], [280, 60, 60]),
                  [f"s{i}" for i in range(400)], {"task": "classification", "targets": ["t0", "t1"]})
    return path


def test_a_target_with_one_class_in_the_test_split_is_null_in_valid_json_with_its_reason(tmp_path):
    dataset = one_class_in_test(tmp_path / "ds")
    team, metrics, predictions = trained_members(tmp_path, dataset, {"seeds": 2},
                                                 dataclasses.replace(TRAINING, epochs=1))
    evaluate_experiment(tmp_path / "model.pt", dataset, team, metrics, predictions, *outputs(tmp_path))
    note = "one class only (0 of 60 positive): no AUROC or AUPRC"
    for path in [*metrics, tmp_path / "metrics.json"]:
        written = strict_json(path)
        assert written["per_target"]["t1"]["auroc"] is None and written["per_target"]["t1"]["auprc"] is None
        assert written["per_target"]["t1"]["note"] == note and 0 <= written["per_target"]["t0"]["auroc"] <= 1
        assert written["auroc"] == written["per_target"]["t0"]["auroc"]  # the mean over the targets that have one
    spread = strict_json(tmp_path / "metrics.json")["member_spread"]["per_target"]
    assert spread["t1"]["auroc"] == {"mean": None, "sd": None} and spread["t0"]["auroc"]["sd"] >= 0
    table = pd.read_csv(tmp_path / "members.tsv", sep="\t")
    assert table.loc[table["target"] == "t1", "auroc"].isna().all()
    assert (tmp_path / "plot.png").read_bytes()[:4] == b"\x89PNG"


def test_a_model_whose_test_predictions_are_not_finite_is_refused_naming_the_sequences(tmp_path):
    from cisflow.io.errors import InputError
    from tests.test_checkpoint import crafted, overflowing

    dataset = one_class_in_test(tmp_path / "ds")
    model = crafted(tmp_path, overflowing)
    with pytest.raises(InputError) as caught:
        evaluate_member(model, dataset, None, tmp_path / "m.json", tmp_path / "pred.tsv.gz")
    assert str(caught.value).startswith(f"{model}: the model's outputs are NaN or infinite for 60 of 60 test "
                                        "sequences (s340, s341, s342, s343, s344, ...): its arithmetic overflows")
    assert not (tmp_path / "m.json").exists() and not (tmp_path / "pred.tsv.gz").exists()
