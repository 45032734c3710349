"""Hyperparameter search with Optuna: one study in a file, any number of trial jobs sharing it.

A search is a set of worker jobs (on a cluster, on different nodes) that each run their share of
the trials against one Optuna study kept in a file on the shared file system. The default storage
is Optuna's journal file (an append-only log of operations, locked by creating a symbolic link), which
works on NFS; SQLite (``storage: sqlite``) relies on ``fcntl`` locks that many NFS set-ups break,
so it is for one machine or a local disk. A trial samples values from the config's search space
into a copy of the experiment's model parameters and training settings
(``cisflow.training.search_space``), trains with ``cisflow.training.train.train`` for a few epochs in
a temporary directory, and scores the best validation score of the run; a median pruner stops
trials that fall behind the others, epoch by epoch. The best trial's values then feed the
experiment's full training (``cisflow.training.search_space.merge_best``).

The study file is named by a digest of everything that defines the search (the experiment's model
and training, the search settings but the number of trials, and the dataset's and starting
model's files), so that a run with other settings starts a fresh study instead of resuming a
stale one, while a killed worker started again, or a larger ``trials``, continues the same study.
Optuna is imported only where a study is opened.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cisflow.config.settings import Training
from cisflow.io.errors import ConfigError
from cisflow.io.jsonio import finite_or_none, read_json, write_json
from cisflow.training.search_space import apply_params, space_problems
from cisflow.training.train import train
from cisflow.types import PathLike

if TYPE_CHECKING:  # imported where a study is opened
    import optuna

log = logging.getLogger(__name__)

STORAGE_SUFFIX = {"journal": ".journal", "sqlite": ".db"}
FINISHED = ("COMPLETE", "PRUNED")


def suggest(trial: optuna.Trial, key: str, spec: Mapping[str, Any]) -> None | bool | int | float | str:
    """Sample the value of ``key`` from its space entry (as the validated config holds it: ``log`` and
    an int's ``step`` filled in; a float's ``step`` may be absent) with the Optuna trial."""
    if spec["type"] == "categorical":
        return trial.suggest_categorical(key, spec["choices"])
    if spec["type"] == "int":
        return trial.suggest_int(key, spec["low"], spec["high"], step=spec["step"], log=spec["log"])
    return trial.suggest_float(key, spec["low"], spec["high"], step=spec.get("step"), log=spec["log"])


# --- the study file --------------------------------------------------------------------------


def _fingerprint(path: PathLike | None) -> list[tuple[str, int, int]] | None:
    """Names, sizes and modification times of a file or a directory's files: a rebuilt dataset or
    retrained starting model gives another fingerprint, without reading the (large) contents."""
    if path is None:
        return None
    root = Path(path)
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
    return [(str(p.relative_to(root)) if root.is_dir() else p.name, p.stat().st_size, p.stat().st_mtime_ns)
            for p in files]


def study_path(directory: PathLike, model: Mapping[str, Any], training: Training, search: Mapping[str, Any],
               dataset_path: PathLike, init_path: PathLike | None = None) -> Path:
    """The study file in ``directory`` for these settings: ``study-<digest>.journal`` (or ``.db``).

    ``trials`` is left out of the digest so that raising it continues the study.
    """
    settings = {k: v for k, v in search.items() if k != "trials"}
    parts = [model, training.to_mapping(), settings, _fingerprint(dataset_path), _fingerprint(init_path)]
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return Path(directory) / f"study-{digest}{STORAGE_SUFFIX[search['storage']]}"


def open_storage(path: PathLike, kind: str) -> optuna.storages.BaseStorage:
    """The Optuna storage in the file ``path``: a journal file (safe on NFS), or SQLite (local disks)."""
    import optuna
    from optuna.storages.journal import JournalFileBackend

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if kind == "journal":
        return optuna.storages.JournalStorage(JournalFileBackend(str(path)))
    if kind == "sqlite":
        # Writers wait for SQLite's lock (up to 10 minutes) rather than fail at once. Workers that
        # start together race to create the database's tables: the loser finds them made and retries.
        import sqlalchemy

        for attempt in range(5):
            try:
                return optuna.storages.RDBStorage(f"sqlite:///{Path(path).resolve()}",
                                                  engine_kwargs={"connect_args": {"timeout": 600}})
            except sqlalchemy.exc.SQLAlchemyError:
                if attempt == 4:
                    raise
                time.sleep(0.5 * (attempt + 1))
    raise ValueError(f"storage {kind!r}: one of {', '.join(STORAGE_SUFFIX)}")


def open_study(path: PathLike, kind: str, name: str, pruning: Mapping[str, int], seed: int) -> optuna.Study:
    """The study ``name`` in the file ``path``, created by whichever worker comes first; its median
    pruner as ``pruning`` says (a search's ``pruning``: ``startup_trials``, ``warmup_epochs``).

    Each worker seeds its TPE sampler differently (``seed``: the search's seed plus the worker's
    number): with one seed, workers starting together would draw the same random start-up trials;
    and the sampler treats trials still running elsewhere as bad ones (constant liar), so workers
    do not all try the same region.
    """
    import optuna

    _optuna_logs_to_ours()
    pruner = optuna.pruners.MedianPruner(n_startup_trials=pruning["startup_trials"],
                                         n_warmup_steps=pruning["warmup_epochs"])
    sampler = optuna.samplers.TPESampler(seed=seed, constant_liar=True)
    return optuna.create_study(storage=open_storage(path, kind), study_name=name, direction="maximize",
                               sampler=sampler, pruner=pruner, load_if_exists=True)


def _optuna_logs_to_ours() -> None:
    """Optuna's messages (trial finished, pruned...) go to the job's log like the library's."""
    import optuna

    optuna.logging.disable_default_handler()
    optuna.logging.enable_propagation()


# --- workers and the best trial --------------------------------------------------------------


def worker_share(trials: int, workers: int, worker: int) -> int:
    """How many of the ``trials`` worker number ``worker`` (0-based) of ``workers`` runs."""
    return trials // workers + (worker < trials % workers)


def pruning_callback(trial: optuna.Trial, epochs: int | None = None) -> Callable[[dict[str, float]], None]:
    """The ``on_epoch`` callback of ``cisflow.training.train.train``: reports each epoch's validation score
    to the study and stops the trial (``optuna.TrialPruned``) when the pruner says so; a trial that
    reached its last epoch (``epochs``) has cost all it will, and completes."""
    import optuna

    def on_epoch(row: dict[str, float]) -> None:
        trial.report(row["valid_score"], int(row["epoch"]))
        if row["epoch"] != epochs and trial.should_prune():
            raise optuna.TrialPruned(f"epoch {row['epoch']}: valid score {row['valid_score']:.4g} "
                                     "below the median of earlier trials")

    return on_epoch


def objective(dataset_path: PathLike, model: Mapping[str, Any], training: Training,
              search: Mapping[str, Any], worker: int, init_path: PathLike | None = None,
              scratch: PathLike | None = None) -> Callable[[optuna.Trial], float]:
    """The function of an Optuna trial: sample, train ``search['epochs']`` epochs in a temporary
    directory (under ``scratch``, default the system's: node-local on most clusters), return the
    run's best validation score (higher is better)."""

    def run_trial(trial: optuna.Trial) -> float:
        trial.set_user_attr("worker", worker)
        params = {key: suggest(trial, key, spec) for key, spec in search["space"].items()}
        few_epochs = dataclasses.replace(training, epochs=search["epochs"])
        model_params, trial_training = apply_params(model["params"], few_epochs, params)
        log.info("trial %d: %s", trial.number, json.dumps(params))
        with tempfile.TemporaryDirectory(prefix=f"cisflow-trial{trial.number}-", dir=scratch) as tmp_name:
            tmp = Path(tmp_name)
            state = train(dataset_path, model["name"], model_params, trial_training, tmp / "model.pt",
                          tmp / "history.tsv", tmp / "resume.pt", init_path=init_path,
                          on_epoch=pruning_callback(trial, search["epochs"]))
        trial.set_user_attr("epochs_run", state.get("epoch"))
        return float(state["best_score"])

    return run_trial


def run_worker(storage_path: PathLike, name: str, dataset_path: PathLike, model: Mapping[str, Any],
               training: Training, search: Mapping[str, Any], worker: int, init_path: PathLike | None = None,
               scratch: PathLike | None = None) -> dict[str, Any]:
    """Run worker ``worker``'s share of the trials against the shared study; returns a summary.

    A worker started again (after a kill) counts the trials it already finished (its number is in
    each trial's ``worker`` attribute), marks the one it left running as failed, and runs the rest.
    A trial that raises (not a pruned one) fails the worker, as any job failure would.
    """
    import optuna

    problems = space_problems("search.space", model["params"], training, search["space"])
    if problems:
        raise ConfigError("search.space", "\n  " + "\n  ".join(problems))
    study = open_study(storage_path, search["storage"], name, search["pruning"], seed=search["seed"] + worker)
    own = [t for t in study.get_trials(deepcopy=False) if t.user_attrs.get("worker") == worker]
    for stale in (t for t in own if t.state == optuna.trial.TrialState.RUNNING):
        log.warning("trial %d was left running by an earlier run of worker %d: marked failed", stale.number, worker)
        study.tell(stale.number, state=optuna.trial.TrialState.FAIL)
    done = sum(t.state.name in FINISHED for t in own)
    todo = max(worker_share(search["trials"], search["workers"], worker) - done, 0)
    log.info("worker %d of %d: %d trials to run (%d done before) on study %r in %s", worker, search["workers"],
             todo, done, name, storage_path)
    if todo:
        study.optimize(objective(dataset_path, model, training, search, worker, init_path, scratch),
                       n_trials=todo, gc_after_trial=True)
    mine = [t for t in study.get_trials(deepcopy=False) if t.user_attrs.get("worker") == worker]
    return {"study": name, "storage": str(storage_path), "worker": worker,
            "trials": [{"number": t.number, "state": t.state.name, "value": finite_or_none(t.value), "params": t.params}
                       for t in mine]}


def best_trial(storage_path: PathLike, kind: str, name: str, model: Mapping[str, Any],
               training: Training) -> dict[str, Any]:
    """The best finished trial of the study as the settings of the full training run:
    ``params`` (the searched values by key), ``model`` and ``training`` (the experiment's with
    them set), the trial's ``number`` and ``score``, and the count of trials by state."""
    import optuna

    _optuna_logs_to_ours()
    study = optuna.load_study(study_name=name, storage=open_storage(storage_path, kind))
    trials = study.get_trials(deepcopy=False)
    counts = {state.name.lower(): sum(t.state == state for t in trials) for state in optuna.trial.TrialState}
    if not counts["complete"]:
        raise ValueError(f"{storage_path}: no trial of the study {name!r} completed ({counts})")
    best = study.best_trial
    model_params, final_training = apply_params(model["params"], training, best.params)
    return {"study": name, "storage": str(storage_path), "trial": best.number, "score": finite_or_none(best.value),
            "params": best.params, "model": {"name": model["name"], "params": model_params},
            "training": final_training.to_mapping(), "trials": counts}


def write_best(out_path: PathLike, storage_path: PathLike, kind: str, name: str, model: Mapping[str, Any],
               training: Training) -> dict[str, Any]:
    """Write ``best_trial`` as JSON to ``out_path`` (atomically); returns it."""
    best = best_trial(storage_path, kind, name, model, training)
    log.info("best of %d complete and %d pruned trials: trial %d, score %s, %s", best["trials"]["complete"],
             best["trials"]["pruned"], best["trial"], best["score"], json.dumps(best["params"]))
    write_json(out_path, best)
    return best


def run_trials(dataset: PathLike, experiment: str, model: Mapping[str, Any], training: Training,
               search: Mapping[str, Any], worker: int, summary_out: PathLike,
               init: PathLike | None = None) -> dict[str, Any]:
    """The search_trials rule: worker ``worker``'s share of the experiment's trials, against the
    study file every worker of the experiment shares (``study_path``, beside ``summary_out``);
    its summary (the study's path among it) written to ``summary_out``."""
    storage = study_path(Path(summary_out).parent, model, training, search, dataset, init)
    summary = run_worker(storage, experiment, dataset, model, training, search, worker, init_path=init)
    write_json(summary_out, summary)
    return summary


def run_best(worker_summaries: Sequence[PathLike], experiment: str, model: Mapping[str, Any],
             training: Training, search: Mapping[str, Any], best_out: PathLike) -> None:
    """The search_best rule: the best trial of the study the workers shared, as ``best_out``
    (best.json: the values the experiment's full training takes)."""
    storages = {read_json(path)["storage"] for path in worker_summaries}
    if len(storages) != 1:
        raise ValueError(f"the workers of {experiment} used different studies: {sorted(storages)}")
    write_best(best_out, storages.pop(), search["storage"], experiment, model, training)
