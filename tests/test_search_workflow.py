"""The search rules on the demo's activity table: two workers, one study file, the best trial trains the model."""

import json
import re

import optuna
import pytest
import torch

from tests.workflow_helpers import demo_config, snakemake, write_config

pytestmark = pytest.mark.workflow

MODEL = "results/models/activity_cnn/model.pt"


def search_config():
    """Only the activity experiment, a tiny model, 4 one-epoch trials in 2 workers."""
    config = demo_config()
    experiment = config["experiments"]["activity_cnn"]
    config["experiments"] = {"activity_cnn": experiment}
    experiment["model"]["params"].update(conv=[{"filters": 8, "width": 9}], dense=[8])
    experiment["training"].update(epochs=1, patience=1, batch_size=256)
    experiment["search"] = {"trials": 4, "workers": 2, "epochs": 1, "seed": 5, "space": {
        "training.lr": {"type": "float", "low": 1e-3, "high": 1e-2, "log": True},
        "model.params.conv.0.filters": {"type": "int", "low": 4, "high": 12, "step": 4},
        "training.optimizer": {"type": "categorical", "choices": ["adam", "adamw"]}}}
    return config


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("search")
    config_path = write_config(workdir, search_config())
    # One thread a worker, so that the two workers run at once on two cores and share the study file.
    result = snakemake(workdir, config_path, MODEL, "--set-threads", "search_trials=1")
    assert result.returncode == 0, result.stderr[-5000:]
    return workdir, config_path


def test_best_trial_of_the_shared_study_trains_the_model(searched):
    workdir, _ = searched
    best = json.loads((workdir / "results/search/activity_cnn/best.json").read_text())
    workers = [json.loads((workdir / f"results/search/activity_cnn/worker{w}.json").read_text()) for w in (0, 1)]
    assert workers[0]["storage"] == workers[1]["storage"] == best["storage"]
    assert [len(w["trials"]) for w in workers] == [2, 2]
    study = optuna.load_study(study_name="activity_cnn",
                              storage=optuna.storages.JournalStorage(
                                  optuna.storages.journal.JournalFileBackend(str(workdir / best["storage"]))))
    assert sorted(t.state.name for t in study.trials) == ["COMPLETE"] * 4
    assert best["trial"] == study.best_trial.number and best["trials"]["complete"] == 4
    meta = torch.load(workdir / MODEL, map_location="cpu", weights_only=True)
    assert meta["model_params"] == best["model"]["params"]
    assert meta["model_params"]["conv"][0]["filters"] == study.best_trial.params["model.params.conv.0.filters"]
    assert meta["training"]["lr"] == study.best_trial.params["training.lr"]
    assert meta["training"]["optimizer"] == study.best_trial.params["training.optimizer"]


def test_second_run_has_nothing_to_do(searched):
    workdir, config_path = searched
    result = snakemake(workdir, config_path, MODEL, "-n")
    assert result.returncode == 0 and "Nothing to be done" in result.stdout + result.stderr


def test_changed_search_reruns_the_search_and_training(searched):
    workdir, _ = searched
    config = search_config()
    config["experiments"]["activity_cnn"]["search"]["space"]["training.lr"]["high"] = 2e-2
    result = snakemake(workdir, write_config(workdir, config), MODEL, "-n", "--quiet", "rules")
    planned = result.stdout + result.stderr
    assert result.returncode == 0, planned
    for rule, jobs in (("search_trials", 2), ("search_best", 1), ("train", 1)):
        assert re.search(rf"^{rule}\s+{jobs}$", planned, re.M), planned
    assert not re.search(r"^dataset\s", planned, re.M), planned


def test_bad_search_key_stops_the_run_naming_it(tmp_path):
    config = search_config()
    config["experiments"]["activity_cnn"]["search"]["space"]["model.params.conv.3.filters"] = {
        "type": "int", "low": 4, "high": 8}
    result = snakemake(tmp_path, write_config(tmp_path, config), MODEL, "-n")
    assert result.returncode != 0
    assert ("experiments.activity_cnn.search.space.model.params.conv.3.filters: model.params.conv is a list of 1 "
            "items; '3' is not one of its indices") in result.stdout + result.stderr
