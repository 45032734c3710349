import dataclasses
import json
import multiprocessing
import os

import optuna
import pytest

from cisflow.config.schema import filled, validate
from cisflow.config.settings import Training
from cisflow.io.errors import ConfigError
from cisflow.models.checkpoint import load_model
from cisflow.training import search, search_space
from tests.workflow_helpers import ROOT


def with_schema_defaults(model, training):
    """An experiment's model and training as the train rule's script has them: the schema's defaults filled in."""
    config = {"datasets": {"d": {"kind": "table", "table": "t", "sequence_column": "s", "target_columns": ["y"],
                                 "length": 40, "split": {"valid": 0.1, "test": 0.1}}},
              "experiments": {"x": {"dataset": "d", "model": model, "training": training}}}
    experiment = validate(config, ROOT / "cisflow" / "schemas" / "config.schema.yaml", "config")["experiments"]["x"]
    return experiment["model"], Training.from_validated(experiment["training"])


def filled_space(space):
    """A search space as the validated config holds it (``log`` and an int's ``step`` filled in)."""
    return filled("experiments.*.search.space", space, "search.space")


MODEL, TRAINING = with_schema_defaults(
    {"name": "basset", "params": {"conv": [{"filters": 8, "width": 7, "pool": 4}], "dense": [8]}},
    {"epochs": 7, "batch_size": 64, "lr": 0.01, "seed": 3})
SPACE = filled_space({"training.lr": {"type": "float", "low": 1e-3, "high": 3e-2, "log": True},
                      "model.params.conv.0.filters": {"type": "int", "low": 4, "high": 12, "step": 4},
                      "training.optimizer": {"type": "categorical", "choices": ["adam", "adamw"]}})


def settings(**overrides):
    """A search as the validated config holds it."""
    return filled("experiments.*.search", {"trials": 2, "workers": 1, "epochs": 1, "storage": "journal", "seed": 1,
                                           "pruning": {"startup_trials": 5, "warmup_epochs": 1}, "space": SPACE,
                                           **overrides}, "search")


def finished(study):
    return [t for t in study.get_trials() if t.state.name in ("COMPLETE", "PRUNED")]


def test_set_path_reaches_dict_keys_and_list_items_in_copies():
    params = {"conv": [{"filters": 8, "width": 7}, {"filters": 16}], "dense": [32]}
    model_params, training = search_space.apply_params(params, TRAINING, {
        "model.params.conv.1.filters": 64, "model.params.dense.0": 12, "training.lr": 0.5,
        "model.params.dense_dropout": 0.3, "model.params.conv.0.dropout": 0.1})
    assert model_params == {"conv": [{"filters": 8, "width": 7, "dropout": 0.1}, {"filters": 64}], "dense": [12],
                            "dense_dropout": 0.3}
    assert training.lr == 0.5 and TRAINING.lr == 0.01
    assert params["conv"][1]["filters"] == 16 and "dense_dropout" not in params


@pytest.mark.parametrize("key, message", [
    ("training.learning_rate", "training.learning_rate: training has no key 'learning_rate'"),
    ("model.params.conv.2.filters", "model.params.conv is a list of 1 items; '2' is not one of its indices"),
    ("model.params.conv.x", "model.params.conv is a list of 1 items; 'x' is not one of its indices"),
    ("model.params.dense.0.units", "model.params.dense.0 is a value (8), not a mapping or list"),
    ("model.params.stem.width", "model.params has no key 'stem' (write it out in the experiment's config"),
    ("model.name", "model.name: a search key starts with model.params. or training."),
])
def test_bad_path_names_the_config_key(key, message):
    with pytest.raises(ConfigError, match="^" + key) as caught:
        search_space.apply_params(MODEL["params"], TRAINING, {key: 1})
    assert message in str(caught.value)
    problems = search_space.space_problems("experiments.x.search.space", MODEL["params"], TRAINING,
                                           {key: {"type": "int", "low": 1, "high": 2, "step": 1, "log": False}})
    assert problems and problems[0].startswith(f"experiments.x.search.space.{key}: ")


def test_space_problems_check_bounds_and_log():
    space = filled_space({"training.lr": {"type": "float", "low": 0.0, "high": 1.0, "log": True},
                          "training.batch_size": {"type": "int", "low": 64, "high": 32, "step": 16, "log": True},
                          "training.weight_decay": {"type": "float", "low": 0.0, "high": 0.1, "step": 0.01}})
    problems = search_space.space_problems("s", MODEL["params"], TRAINING, space)
    assert problems == ["s.training.lr: log: true needs low > 0", "s.training.batch_size: low (64) must be below "
                        "high (32)", "s.training.batch_size: log and step cannot be combined"]
    assert search_space.space_problems("s", MODEL["params"], TRAINING, SPACE) == []


def test_sampled_values_follow_their_specs():
    space = filled_space({**SPACE, "training.batch_size": {"type": "int", "low": 16, "high": 128, "step": 16},
                          "model.params.dense_dropout": {"type": "float", "low": 0.0, "high": 0.5, "step": 0.1}})
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    values = []
    for _ in range(30):
        trial = study.ask()
        values.append({key: search.suggest(trial, key, spec) for key, spec in space.items()})
        study.tell(trial, 0.0)
    assert all(1e-3 <= v["training.lr"] <= 3e-2 for v in values)
    assert {v["model.params.conv.0.filters"] for v in values} <= {4, 8, 12}
    assert {v["training.batch_size"] for v in values} <= set(range(16, 129, 16))
    assert all(isinstance(v["training.batch_size"], int) for v in values)
    assert {v["training.optimizer"] for v in values} == {"adam", "adamw"}
    assert all(round(v["model.params.dense_dropout"] * 10, 6).is_integer() for v in values)
    distribution = study.trials[0].distributions["training.lr"]
    assert distribution.log and distribution.low == 1e-3


def test_worker_trains_trials_and_best_json_feeds_the_final_training(tmp_path, planted):
    storage = search.study_path(tmp_path, MODEL, TRAINING, settings(), planted)
    summary = search.run_worker(storage, "x", planted, MODEL, TRAINING, settings(trials=3), worker=0)
    assert [t["state"] for t in summary["trials"]] == ["COMPLETE"] * 3
    best = search.write_best(tmp_path / "best.json", storage, "journal", "x", MODEL, TRAINING)
    written = json.loads((tmp_path / "best.json").read_text())
    assert written == json.loads(json.dumps(best))
    assert written["trials"]["complete"] == 3 and written["trials"]["pruned"] == 0
    top = max(summary["trials"], key=lambda t: t["value"])
    assert (written["trial"], written["score"], written["params"]) == (top["number"], top["value"], top["params"])
    assert written["model"]["params"]["conv"][0]["filters"] == top["params"]["model.params.conv.0.filters"]
    assert written["training"]["lr"] == top["params"]["training.lr"]
    assert written["training"]["epochs"] == TRAINING.epochs  # the full run keeps its own epochs
    model_params, training = search_space.merge_best(MODEL["params"], dataclasses.replace(TRAINING, patience=4),
                                                     tmp_path / "best.json")
    assert model_params == written["model"]["params"]
    assert training.to_mapping() == {**written["training"], "patience": 4}
    again = search.run_worker(storage, "x", planted, MODEL, TRAINING, settings(trials=3), worker=0)
    assert again["trials"] == summary["trials"]  # a finished worker started again runs nothing


def test_two_worker_processes_share_one_journal_study(tmp_path, planted, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # a thread each: the two processes run side by side
    spec = settings(trials=4, workers=2)
    storage = search.study_path(tmp_path, MODEL, TRAINING, spec, planted)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=search.run_worker, args=(storage, "x", planted, MODEL, TRAINING, spec, w))
               for w in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0, 0]
    trials = finished(optuna.load_study(study_name="x", storage=search.open_storage(storage, "journal")))
    assert len(trials) == 4 and sorted(t.number for t in trials) == [0, 1, 2, 3]
    assert sorted(t.user_attrs["worker"] for t in trials) == [0, 0, 1, 1]


def test_restarted_worker_fails_its_stale_trial_and_runs_the_rest(tmp_path, planted):
    storage = tmp_path / "study.db"
    study = search.open_study(storage, "sqlite", "x", settings()["pruning"], settings()["seed"])
    left = study.ask()
    left.set_user_attr("worker", 0)
    other = study.ask()
    other.set_user_attr("worker", 1)  # another worker's running trial is left alone
    summary = search.run_worker(storage, "x", planted, MODEL, TRAINING, settings(storage="sqlite"), worker=0)
    assert [t["state"] for t in summary["trials"]] == ["FAIL", "COMPLETE", "COMPLETE"]
    assert study.trials[1].state.name == "RUNNING"


def test_median_pruner_stops_a_lagging_trial_through_on_epoch(tmp_path, planted):
    storage = tmp_path / "study.journal"
    study = search.open_study(storage, "journal", "x", settings()["pruning"], settings()["seed"])
    distribution = optuna.distributions.FloatDistribution(1e-3, 3e-2, log=True)
    for _ in range(5):  # earlier trials that scored 2 (above any AUROC) at every epoch
        study.add_trial(optuna.trial.create_trial(params={"training.lr": 0.01}, value=2.0,
                                                  distributions={"training.lr": distribution},
                                                  intermediate_values={1: 2.0, 2: 2.0, 3: 2.0}))
    spec = settings(trials=1, epochs=3, space={"training.lr": SPACE["training.lr"]})
    summary = search.run_worker(storage, "x", planted, MODEL, TRAINING, spec, worker=0)
    assert [t["state"] for t in summary["trials"]] == ["PRUNED"]
    pruned = study.trials[-1]
    assert list(pruned.intermediate_values) == [1] and 0 < pruned.intermediate_values[1] <= 1


def test_pruning_callback_reports_each_epoch_and_raises_when_told():
    class Trial:
        def __init__(self):
            self.reports = []

        def report(self, value, step):
            self.reports.append((step, value))

        def should_prune(self):
            return len(self.reports) == 2

    trial = Trial()
    on_epoch = search.pruning_callback(trial, epochs=3)
    on_epoch({"epoch": 1, "valid_score": 0.6})
    with pytest.raises(optuna.TrialPruned, match="epoch 2"):
        on_epoch({"epoch": 2, "valid_score": 0.5})
    assert trial.reports == [(1, 0.6), (2, 0.5)]
    last = Trial()
    last.reports = [(1, 0.6)]
    search.pruning_callback(last, epochs=2)({"epoch": 2, "valid_score": 0.5})  # the last epoch: no pruning
    assert last.reports == [(1, 0.6), (2, 0.5)]


def test_study_file_is_new_for_new_settings_or_data_but_not_for_more_trials(tmp_path, planted):
    path = search.study_path(tmp_path, MODEL, TRAINING, settings(), planted)
    assert path.parent == tmp_path and path.suffix == ".journal"
    assert search.study_path(tmp_path, MODEL, TRAINING, settings(trials=40), planted) == path
    assert search.study_path(tmp_path, MODEL, TRAINING, settings(epochs=2), planted) != path
    assert search.study_path(tmp_path, MODEL, dataclasses.replace(TRAINING, patience=3), settings(), planted) != path
    assert search.study_path(tmp_path, MODEL, TRAINING, settings(storage="sqlite"), planted).suffix == ".db"
    attrs = planted / "attrs.json"
    os.utime(attrs, ns=(attrs.stat().st_atime_ns, attrs.stat().st_mtime_ns + 10**9))  # the dataset was rebuilt
    assert search.study_path(tmp_path, MODEL, TRAINING, settings(), planted) != path


def test_worker_share_adds_up():
    assert [search.worker_share(10, 3, w) for w in range(3)] == [4, 3, 3]
    assert sum(search.worker_share(4, 8, w) for w in range(8)) == 4


def test_best_needs_a_complete_trial(tmp_path):
    storage = tmp_path / "study.journal"
    study = search.open_study(storage, "journal", "x", settings()["pruning"], settings()["seed"])
    study.tell(study.ask(), state=optuna.trial.TrialState.PRUNED)
    with pytest.raises(ValueError, match="no trial of the study 'x' completed"):
        search.best_trial(storage, "journal", "x", MODEL, TRAINING)


def test_best_model_file_holds_the_merged_params(tmp_path, planted):
    """What the train rule's script does with best.json, end to end on the tiny dataset."""
    from cisflow.training.train import train

    storage = tmp_path / "study.journal"
    search.run_worker(storage, "x", planted, MODEL, TRAINING, settings(trials=2), worker=0)
    best = search.write_best(tmp_path / "best.json", storage, "journal", "x", MODEL, TRAINING)
    model_params, training = search_space.merge_best(MODEL["params"], dataclasses.replace(TRAINING, epochs=1),
                                                     tmp_path / "best.json")
    train(planted, MODEL["name"], model_params, training, tmp_path / "model.pt", tmp_path / "history.tsv",
          tmp_path / "resume.pt")
    _, meta = load_model(tmp_path / "model.pt")
    assert meta["model_params"] == best["model"]["params"] and meta["training"]["lr"] == best["params"]["training.lr"]
