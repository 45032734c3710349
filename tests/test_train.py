import contextlib
import dataclasses
import logging
import os
import re
import sys

import numpy as np
import pandas as pd
import pytest
import torch

import cisflow
from cisflow.config.settings import Training
from cisflow.encode import encode
from cisflow.models.checkpoint import load_model
from cisflow.models.predict import predict
from cisflow.training import lock
from cisflow.training import train as train_module
from tests.conftest import MOTIF

MODEL = {"conv": [{"filters": 16, "width": 7, "pool": 4}], "dense": [16]}
TRAINING = Training.from_mapping({"epochs": 10, "batch_size": 32, "optimizer": "adam", "lr": 0.01, "weight_decay": 0.0,
                                  "patience": 10, "lr_patience": 3, "reverse_complement": True, "seed": 3,
                                  "resident_limit_gb": 16, "shift": 0, "selection": "auto", "compile": False})


def run(tmp_path, dataset, name, **overrides):
    out = tmp_path / name
    out.mkdir()
    train_module.train(dataset, "basset", MODEL, dataclasses.replace(TRAINING, **overrides), out / "model.pt",
                       out / "history.tsv", out / "resume.pt")
    return out


def test_training_learns_a_planted_motif(tmp_path, planted):
    out = run(tmp_path, planted, "a")
    history = pd.read_csv(out / "history.tsv", sep="\t")
    assert history["epoch"].tolist() == list(range(1, 11))
    assert history["valid_score"].max() > 0.9
    model, meta = load_model(out / "model.pt")
    assert meta["dataset"]["targets"] == ["bound"]
    assert meta["best_valid_score"] == pytest.approx(history["valid_score"].max(), rel=1e-5)
    background = np.random.default_rng(9).choice(list("ACGT"), (50, 40))
    without = ["".join(row) for row in background]
    with_motif = [seq[:16] + MOTIF + seq[23:] for seq in without]
    gain = predict(model, np.array([encode(s) for s in with_motif]), task="classification") - predict(
        model, np.array([encode(s) for s in without]), task="classification")
    assert np.median(gain) > 0.2
    assert not (out / "resume.pt").exists()


def killed_at(monkeypatch, epoch, training):
    """Run ``training()`` until it has saved the resume.pt of ``epoch``, then kill it."""
    save = train_module.save_resume

    def save_then_die(path, run, model, optimizer, scheduler, generator, state):
        save(path, run, model, optimizer, scheduler, generator, state)
        if state["epoch"] == epoch:
            raise KeyboardInterrupt("killed")

    monkeypatch.setattr(train_module, "save_resume", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        training()
    monkeypatch.setattr(train_module, "save_resume", save)


def test_killed_training_resumes_and_matches_an_uninterrupted_run(tmp_path, planted, monkeypatch):
    reference = pd.read_csv(run(tmp_path, planted, "whole") / "history.tsv", sep="\t")
    killed_at(monkeypatch, 3, lambda: run(tmp_path, planted, "killed"))
    assert (tmp_path / "killed" / "resume.pt").exists()
    assert not (tmp_path / "killed" / "model.pt").exists()
    checkpoint = torch.load(tmp_path / "killed" / "resume.pt", weights_only=True)
    assert checkpoint["state"]["epoch"] == 3 and len(checkpoint["state"]["history"]) == 3
    assert checkpoint["config"]["training"] == TRAINING.to_mapping()
    assert checkpoint["config"]["model"]["name"] == "basset"
    assert checkpoint["dataset"]["targets"] == ["bound"] and checkpoint["version"] == cisflow.__version__
    assert {"optimizer", "scheduler", "generator", "torch_rng", "cuda_rng"} <= set(checkpoint)
    out = tmp_path / "killed"
    train_module.train(planted, "basset", MODEL, TRAINING, out / "model.pt", out / "history.tsv", out / "resume.pt")
    resumed = pd.read_csv(out / "history.tsv", sep="\t")
    pd.testing.assert_series_equal(resumed["valid_score"], reference["valid_score"])


def test_a_killed_member_resumes_on_its_own_and_leaves_the_others_alone(tmp_path, planted, monkeypatch, caplog):
    """Members of an experiment are jobs of their own: fold 2 killed after its third epoch resumes
    from its own resume.pt, and ends as an uninterrupted fold 2; fold 1's files are not touched, and
    fold 1's resume checkpoint would not do for fold 2 (another split, another seed)."""
    from cisflow.training.launch import train_member
    from cisflow.training.replicates import members

    fold1, fold2 = members({"folds": 3}, 3)[:2]
    model = {"name": "basset", "params": MODEL}

    def member_run(member, name):
        out = tmp_path / name
        train_member(planted, model, TRAINING, str(out / "model.pt"), str(out / "history.tsv"), member=member)
        return out

    reference = pd.read_csv(member_run(fold2, "reference") / "history.tsv", sep="\t")
    first = member_run(fold1, "fold1")
    before = {path.name: path.stat().st_mtime_ns for path in first.iterdir()}
    killed_at(monkeypatch, 3, lambda: member_run(fold2, "fold2"))
    assert (tmp_path / "fold2" / "resume.pt").exists() and not (tmp_path / "fold2" / "model.pt").exists()
    with caplog.at_level(logging.INFO):
        member_run(fold2, "fold2")
    assert "resuming after epoch 3" in caplog.text
    resumed = pd.read_csv(tmp_path / "fold2" / "history.tsv", sep="\t")
    pd.testing.assert_series_equal(resumed["valid_score"], reference["valid_score"])
    assert {path.name: path.stat().st_mtime_ns for path in first.iterdir()} == before
    _, meta = load_model(tmp_path / "fold2" / "model.pt")
    assert meta["member"]["name"] == "fold2" and meta["member"]["fold"] == {"index": 1, "of": 3}
    assert meta["training"]["seed"] == 4 and sum(meta["dataset"]["split_sizes"].values()) == 400
    killed_at(monkeypatch, 3, lambda: member_run(fold1, "other"))
    caplog.clear()
    with caplog.at_level(logging.INFO):
        member_run(fold2, "other")  # fold 1's checkpoint in fold 2's place
    assert "was written with other settings; starting from scratch" in caplog.text


def killed_after_its_first_epoch(tmp_path, planted, monkeypatch, **training):
    """Run training 'x' until it has saved its first resume.pt, then kill it; returns its directory."""
    killed_at(monkeypatch, 1, lambda: run(tmp_path, planted, "x", **training))
    return tmp_path / "x"


def test_resume_file_from_other_settings_is_ignored(tmp_path, planted, monkeypatch):
    out = killed_after_its_first_epoch(tmp_path, planted, monkeypatch)
    state = train_module.train(planted, "basset", MODEL, dataclasses.replace(TRAINING, epochs=2), out / "model.pt",
                               out / "history.tsv", out / "resume.pt")
    assert [row["epoch"] for row in state["history"]] == [1, 2]


def test_early_stopping(tmp_path, planted):
    out = run(tmp_path, planted, "stop", epochs=50, patience=2, lr=1e-9)
    assert len(pd.read_csv(out / "history.tsv", sep="\t")) < 50


def test_split_larger_than_the_memory_limit_streams_and_still_learns(tmp_path, planted):
    limit_gb = 50 * 41 / 2**30  # room for 50 rows of 40 bases + 1 uint8 target: blocks of 50 from disk
    out = run(tmp_path, planted, "streamed", resident_limit_gb=limit_gb)
    history = pd.read_csv(out / "history.tsv", sep="\t")
    assert history["valid_score"].max() > 0.85  # blocks of 50 make batches a little less random


def test_streamed_batches_cover_the_split_once_per_epoch(planted):
    import torch

    from cisflow.data.dataset import load_dataset
    from cisflow.training.batches import TrainingBatches
    from cisflow.training.scaling import TargetScale

    data = load_dataset(planted)
    train_idx = data.indices("train")
    row_bytes = 40 + data.targets.dtype.itemsize  # uint8 or float32 targets, as the dataset stores them
    batches = TrainingBatches(data, train_idx, TargetScale.fit(data.targets, "classification", train_idx), 32,
                              torch.device("cpu"), resident_bytes=100 * row_bytes)
    assert not batches.resident and batches.block_rows == 100
    generator = torch.Generator().manual_seed(0)
    epoch = list(batches.epoch(generator))
    assert len(epoch) == batches.steps == 4 + 4 + 3  # blocks of 100, 100 and 80 rows in batches of 32
    seen = torch.cat([codes for codes, _, _ in epoch])
    expected = torch.from_numpy(np.asarray(data.codes[train_idx]))
    assert len(seen) == len(train_idx)
    assert sorted(map(bytes, seen.numpy())) == sorted(map(bytes, expected.numpy()))
    assert all(targets.dtype == torch.float32 for _, targets, _ in epoch)
    labels = dict(zip(map(bytes, np.asarray(data.codes[train_idx])), data.targets[train_idx, 0].tolist()))
    assert all(labels[bytes(row)] == label for codes, targets, _ in epoch
               for row, label in zip(codes.numpy(), targets[:, 0].tolist()))


def test_targets_stored_as_uint8_or_float32_train_alike(tmp_path, planted):
    import shutil

    from cisflow.training.evaluate import evaluate_member

    as_float = tmp_path / "float32"
    shutil.copytree(planted, as_float)
    np.save(as_float / "targets.npy", np.load(planted / "targets.npy").astype(np.float32))
    np.save(planted / "targets.npy", np.load(planted / "targets.npy").astype(np.uint8))
    histories, results = [], []
    for dataset, name in ((planted, "uint8"), (as_float, "float")):
        out = run(tmp_path, dataset, name, epochs=2)
        histories.append(pd.read_csv(out / "history.tsv", sep="\t"))
        results.append(evaluate_member(out / "model.pt", dataset, None, out / "m.json", out / "p.tsv.gz"))
    for column in ("train_loss", "valid_loss", "valid_score"):
        pd.testing.assert_series_equal(histories[0][column], histories[1][column])
    assert results[0]["auroc"] == results[1]["auroc"]


def test_steps_cap_and_subsample_cut_the_epoch_and_log_its_progress(tmp_path, planted, monkeypatch, caplog):
    progresses = []

    class Recorded(train_module.EpochProgress):
        def __init__(self, what, steps, **kwargs):
            super().__init__(what, steps, **kwargs)
            progresses.append(self)

    monkeypatch.setattr(train_module, "EpochProgress", Recorded)
    caplog.set_level(logging.INFO, logger="cisflow")
    out = run(tmp_path, planted, "capped", epochs=2, subsample=100, max_steps_per_epoch=3)
    assert "training on a subsample of 100 of the 280 training sequences (training.subsample, seed 3)" in caplog.text
    assert "; 3 of 4 steps an epoch" in caplog.text  # 100 sequences: 3 batches of 32 and one of 4
    assert [(p.what, p.total, p.done, p.sequences) for p in progresses] == [("epoch 1", 3, 3, 96),
                                                                             ("epoch 2", 3, 3, 96)]
    assert pd.read_csv(out / "history.tsv", sep="\t")["epoch"].tolist() == [1, 2]


def test_epoch_progress_line_gives_steps_time_left_and_rate():
    now = [100.0]
    progress = train_module.EpochProgress("epoch 2", 120, clock=lambda: now[0])
    for _ in range(30):
        progress.step(64)
    now[0] = 160.0
    assert progress.line() == "epoch 2: 30 of 120 steps (25%) in 60 s, about 3.0 min left, 32 sequences/s"


def test_subsample_is_seeded_sorted_and_all_rows_when_not_smaller():
    rows = np.arange(1000, 1280)
    drawn = train_module.subsample(rows, 100, 3)
    assert len(drawn) == len(set(drawn)) == 100 and set(drawn) <= set(rows) and (np.diff(drawn) > 0).all()
    np.testing.assert_array_equal(drawn, train_module.subsample(rows, 100, 3))
    assert not np.array_equal(drawn, train_module.subsample(rows, 100, 4))
    assert train_module.subsample(rows, None, 3) is rows and train_module.subsample(rows, 280, 3) is rows


@pytest.mark.parametrize("key, first, second", [("max_steps_per_epoch", 3, 4), ("subsample", 100, 120)])
def test_steps_cap_and_subsample_are_part_of_the_resume_digest(tmp_path, planted, monkeypatch, caplog, key, first,
                                                                second):
    out = killed_after_its_first_epoch(tmp_path, planted, monkeypatch, **{key: first})
    state = train_module.train(planted, "basset", MODEL, dataclasses.replace(TRAINING, epochs=2, **{key: second}),
                               out / "model.pt", out / "history.tsv", out / "resume.pt")
    assert "was written with other settings; starting from scratch" in caplog.text
    assert [row["epoch"] for row in state["history"]] == [1, 2]


def test_random_shift_moves_sequences_and_fills_with_n():
    import torch

    from cisflow.training.augment import random_shift

    codes = torch.arange(4, dtype=torch.uint8).repeat(50, 3)  # rows of ACGTACGTACGT
    shifted = random_shift(codes, 2, torch.Generator().manual_seed(1))
    assert shifted.shape == codes.shape and shifted.dtype == torch.uint8
    for row in shifted.tolist():
        body = [c for c in row if c != 4]
        assert 10 <= len(body) <= 12 and all(b == (a + 1) % 4 for a, b in zip(body, body[1:]))
    assert len({tuple(row) for row in shifted.tolist()}) > 1


def test_training_with_shifts_and_pearson_spearman_selection_runs(tmp_path, planted):
    out = run(tmp_path, planted, "shifted", shift=3, epochs=2, selection="auroc+auprc")
    assert pd.read_csv(out / "history.tsv", sep="\t")["valid_score"].max() > 1.0  # a sum of two scores


def test_fine_tuning_starts_from_another_models_parameters(tmp_path, planted):
    import torch

    first = run(tmp_path, planted, "first", epochs=2)
    out = tmp_path / "tuned"
    out.mkdir()
    train_module.train(planted, "basset", {**MODEL, "dense": [16]}, dataclasses.replace(TRAINING, epochs=1, lr=1e-12),
                       out / "model.pt", out / "history.tsv", out / "resume.pt", init_path=first / "model.pt")
    before = torch.load(first / "model.pt", weights_only=True)["state_dict"]
    after = torch.load(out / "model.pt", weights_only=True)["state_dict"]
    torch.testing.assert_close(after["blocks.0.0.weight"], before["blocks.0.0.weight"])


def test_per_sequence_features_are_learned_beside_the_sequence(tmp_path):
    """Target = motif presence + a feature in its own (large) units: the model needs both."""
    from cisflow.data.dataset import write_dataset
    from cisflow.training.evaluate import evaluate_member

    rng = np.random.default_rng(4)
    n = 600
    has_motif = rng.integers(0, 2, n)
    half_life = rng.normal(50.0, 20.0, n)  # hours: far from unit scale on purpose
    codes = rng.integers(0, 4, (n, 40)).astype(np.uint8)
    codes[has_motif == 1, 10:17] = encode(MOTIF)
    target = has_motif + (half_life - 50.0) / 20.0
    split = np.repeat([0, 1, 2], [400, 100, 100])
    write_dataset(tmp_path / "ds", codes, target[:, None], split, [f"g{i}" for i in range(n)],
                  {"task": "regression", "targets": ["expression"], "features": ["half_life"]},
                  features=half_life[:, None])
    params = {"conv": [{"filters": 8, "width": 7, "pool": 4}], "dense": [16], "dense_dropout": 0.0}
    training = dataclasses.replace(TRAINING, epochs=25, lr=0.005, reverse_complement=False)
    train_module.train(tmp_path / "ds", "xpresso", params, training, tmp_path / "model.pt", tmp_path / "h.tsv",
                       tmp_path / "resume.pt")
    model, meta = load_model(tmp_path / "model.pt")
    assert model.feature_mean.item() == pytest.approx(half_life[:400].mean(), rel=1e-4)
    evaluate_member(tmp_path / "model.pt", tmp_path / "ds", None, tmp_path / "m.json", tmp_path / "p.tsv.gz")
    import json

    pearson = json.loads((tmp_path / "m.json").read_text())["pearson"]
    assert pearson > 0.9
    test = np.flatnonzero(split == 2)
    shifted = predict(model, codes[test], features=half_life[test, None] + 20.0)
    plain = predict(model, codes[test], features=half_life[test, None])
    assert np.median(shifted - plain) == pytest.approx(1.0, abs=0.35)  # 20 h is one unit of target


def test_two_ddp_processes_train_one_model(tmp_path, planted):
    """torchrun with two gloo processes on CPU: the same code path as two GPUs of a node."""
    from cisflow.training.launch import train_ddp

    out = tmp_path / "ddp"
    out.mkdir()
    train_ddp(dict(dataset_path=planted, model_name="basset", model_params=MODEL,
                   training=dataclasses.replace(TRAINING, epochs=4), model_out=out / "model.pt",
                   history_out=out / "history.tsv", resume_path=out / "resume.pt", log_path=out / "train.log"),
              processes=2)
    history = pd.read_csv(out / "history.tsv", sep="\t")
    assert history["epoch"].tolist() == [1, 2, 3, 4] and history["valid_score"].max() > 0.8
    assert "x 2 processes" in (out / "train.log").read_text()
    assert not (out / "resume.pt").exists()
    model, _ = load_model(out / "model.pt")
    assert model.output_layer.out_features == 1


def test_compiled_training_gives_the_eager_runs_results(tmp_path, planted, monkeypatch):
    """training.compile goes through torch.compile (TorchDynamo traces the model; the 'eager'
    backend keeps the test free of a minute of C++ code generation on CPU)."""
    compiled = []
    real_compile = torch.compile

    def compile_eagerly(model, **kwargs):
        compiled.append(model)
        return real_compile(model, backend="eager")

    monkeypatch.setattr(torch, "compile", compile_eagerly)
    eager = pd.read_csv(run(tmp_path, planted, "eager", epochs=2) / "history.tsv", sep="\t")
    out = run(tmp_path, planted, "compiled", epochs=2, compile=True)
    assert len(compiled) == 1
    pd.testing.assert_series_equal(pd.read_csv(out / "history.tsv", sep="\t")["valid_score"], eager["valid_score"])
    model, meta = load_model(out / "model.pt")
    assert meta["training"]["compile"] is True
    assert not any(key.startswith("_orig_mod") for key in model.state_dict())


def one_split_dataset(path, task, valid_targets, n_targets=1):
    """The planted-size dataset with the valid split's targets given (one class, or a constant)."""
    from cisflow.data.dataset import write_dataset

    rng = np.random.default_rng(2)
    targets = rng.integers(0, 2, (400, n_targets)).astype(np.float32)
    targets[280:340] = valid_targets
    write_dataset(path, rng.integers(0, 4, (400, 40)).astype(np.uint8), targets, np.repeat([0, 1, 2], [280, 60, 60]),
                  [f"s{i}" for i in range(400)],
                  {"task": task, "targets": [f"t{j}" for j in range(n_targets)]})
    return path


@pytest.mark.parametrize("task, valid, message", [
    ("classification", 1, r"no validation auroc to choose the best epoch by: every target holds one class only in "
                          r"the valid split \(t0: 60 of 60 positive\)"),
    ("regression", 2.5, r"no validation pearson to choose the best epoch by: every target is constant in the valid "
                        r"split \(t0: 60 equal values\)"),
])
def test_a_valid_split_without_a_score_stops_before_the_first_epoch(tmp_path, task, valid, message):
    from cisflow.io.errors import InputError

    dataset = one_split_dataset(tmp_path / "onesided", task, valid)
    expected = (rf"^{re.escape(str(dataset))}: {message}, so training would run every epoch and keep no model\. "
                r"Give the valid split .*another held-out chromosome or a larger fraction "
                r"\(datasets\.onesided\.split\.valid\), and rebuild")
    with pytest.raises(InputError, match=expected):
        run(tmp_path, dataset, "out")
    assert list((tmp_path / "out").iterdir()) == [tmp_path / "out" / ".train.lock"]  # no epoch, no resume.pt


def test_an_empty_valid_split_is_an_input_error_naming_the_dataset_and_its_split_key(tmp_path):
    from cisflow.data.dataset import write_dataset
    from cisflow.io.errors import InputError

    codes = np.random.default_rng(0).integers(0, 4, (20, 40)).astype(np.uint8)
    dataset = tmp_path / "novalid"
    write_dataset(dataset, codes, (codes[:, :1] == 0).astype(np.float32), np.zeros(20, np.uint8),
                  [f"s{i}" for i in range(20)], {"task": "classification", "targets": ["t0"]})
    with pytest.raises(InputError, match=rf"^{re.escape(str(dataset))}: the train and valid splits must both be "
                                         r"non-empty \(sizes .*\): give each rows \(datasets\.novalid\.split\)"):
        run(tmp_path, dataset, "out")


def test_targets_without_a_score_beside_others_are_named_and_training_goes_on(tmp_path, caplog):
    valid = np.stack([np.zeros(60), np.arange(60) % 2], axis=1)  # t0 one class only, t1 both
    dataset = one_split_dataset(tmp_path / "ds", "classification", valid, n_targets=2)
    run(tmp_path, dataset, "out", epochs=1)
    assert "1 of 2 targets have no validation auroc, as each holds one class only in the valid split " \
           "(t0: 0 of 60 positive); the score is the mean over the others" in caplog.text


def test_no_epoch_with_a_validation_score_is_reported_not_a_state_dict_error(tmp_path, planted, monkeypatch):
    from cisflow.data.dataset import write_dataset

    rng = np.random.default_rng(3)
    write_dataset(tmp_path / "reg", rng.integers(0, 4, (400, 40)).astype(np.uint8), rng.normal(size=(400, 1)),
                  np.repeat([0, 1, 2], [280, 60, 60]), [f"s{i}" for i in range(400)],
                  {"task": "regression", "targets": ["y"]})
    monkeypatch.setattr(train_module, "predict_rows",
                        lambda model, data, rows, task, **kwargs: np.zeros((len(rows), 1), np.float32))
    with pytest.raises(RuntimeError, match=r"reg: none of the 2 epochs gave a validation pearson \(the model's "
                                           r"predictions on the valid split were constant or not finite"):
        run(tmp_path, tmp_path / "reg", "out", epochs=5, patience=2)


@pytest.mark.parametrize("content", ["empty", "text", "truncated"])
def test_an_unreadable_resume_file_is_set_aside_and_training_starts_afresh(tmp_path, planted, caplog, content):
    out = tmp_path / "out"
    out.mkdir()
    resume = out / "resume.pt"
    if content == "truncated":
        torch.save({"digest": "x", "model": {"w": torch.zeros(1000)}}, resume)
        resume.write_bytes(resume.read_bytes()[:-10])
    else:
        resume.write_bytes(b"" if content == "empty" else b"not a checkpoint\n")
    before = resume.read_bytes()
    state = train_module.train(planted, "basset", MODEL, dataclasses.replace(TRAINING, epochs=2), out / "model.pt",
                               out / "history.tsv", resume)
    assert [row["epoch"] for row in state["history"]] == [1, 2]
    [aside] = out.glob("resume.pt.corrupt-*")
    assert aside.read_bytes() == before and not resume.exists()
    assert f"{resume} cannot be read (" in caplog.text
    assert f"); set aside as {aside}, training starts afresh" in caplog.text


TRAINER = """
import json, sys
from cisflow.io.logs import log_to
from cisflow.training.train import train
from cisflow.config.settings import Training
from cisflow.training.workflow_watch import stop_with_workflow
kwargs = json.loads(sys.argv[1])
kwargs["training"] = Training.from_mapping(kwargs["training"])
log_to(kwargs.pop("log_path"))
with stop_with_workflow():
    train(**kwargs)
"""


def trainer_command(tmp_path, planted, out, **training):
    """A training process as the train rule starts it (scripts/train.py), that trains for long."""
    import json

    (tmp_path / "trainer.py").write_text(TRAINER)
    kwargs = dict(dataset_path=str(planted), model_name="basset", model_params=MODEL,
                  training={**TRAINING.to_mapping(), "epochs": 100_000, "patience": 100_000, **training},
                  model_out=str(out / "model.pt"), history_out=str(out / "history.tsv"),
                  resume_path=str(out / "resume.pt"), log_path=str(out / "train.log"))
    return [sys.executable, str(tmp_path / "trainer.py"), json.dumps(kwargs)]


def wait_for(condition, seconds, what):
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} after {seconds} s")
        time.sleep(0.1)


HOLDER = """
import logging, pathlib, sys, time
from cisflow.io.logs import log_to
from cisflow.training.lock import exclusive_lock
lock, log, locked, release = map(pathlib.Path, sys.argv[1:])
log_to(log)
with exclusive_lock(lock):
    logging.getLogger("cisflow.test").info("holder at work")
    locked.touch()
    while not release.exists():
        time.sleep(0.05)
    logging.getLogger("cisflow.test").info("holder done")
"""


def test_a_second_training_waits_for_the_lock_then_trains_and_the_holders_log_stays_whole(tmp_path, planted):
    """A job of a second workflow run: Snakemake removed the log the holder writes as it started
    the job; the job waits, saying for whom, and trains once the holder is done; the holder's log
    lines are all still there, and the log's record is the second job's."""
    import socket
    import subprocess

    from cisflow.io.logs import job_record

    out, locked, release = tmp_path / "out", tmp_path / "locked", tmp_path / "release"
    out.mkdir()
    log = out / "train.log"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(out / ".train.lock"), str(log), str(locked),
                               str(release)])
    waiter = None
    try:
        wait_for(lambda: locked.exists() or holder.poll() is not None, 120, "lock taken by the holder")
        assert holder.poll() is None
        held = log.read_text()
        log.unlink()  # as Snakemake does, starting the second run's job
        waiter = subprocess.Popen(trainer_command(tmp_path, planted, out, epochs=2, patience=2))
        wait_for(lambda: log.exists() and "waiting for the training" in log.read_text(), 120, "waiting line")
        assert waiter.poll() is None and sorted(path.name for path in out.iterdir()) == [".train.lock", "train.log"]
        release.touch()
        assert holder.wait(120) == 0 and waiter.wait(600) == 0
    finally:
        for process in (holder, waiter):
            if process is not None and process.poll() is None:
                process.kill()
    text = log.read_text()
    assert text.count(held) == 1 and "INFO cisflow.test: holder done" in text
    assert re.search(rf"waiting for the training of {re.escape(tmp_path.name)}/out held by PID {holder.pid} on host "
                     rf"{re.escape(socket.gethostname())} \(since [0-9-]+ [0-9:]+\) to end \(lock "
                     rf"{re.escape(str(out / '.train.lock'))}\)", text)
    assert pd.read_csv(out / "history.tsv", sep="\t")["epoch"].tolist() == [1, 2] and not (out / "resume.pt").exists()
    assert f"cisflow job (PID {waiter.pid}) finished in " in text and f"PID {holder.pid}) finished in " in text
    record = job_record(log)
    seconds = float(re.search(rf"cisflow job \(PID {waiter.pid}\) finished in ([0-9.]+) s", text).group(1))
    assert record["seconds"] == seconds  # the second attempt's, though the holder's lines come after its own


def test_a_waiting_training_says_again_for_whom_it_waits_and_then_holds_the_lock(tmp_path, monkeypatch, caplog):
    import socket
    import subprocess
    import threading

    out, locked, release = tmp_path / "out", tmp_path / "locked", tmp_path / "release"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(out / ".train.lock"), str(tmp_path / "holder.log"),
                               str(locked), str(release)])
    monkeypatch.setattr(lock, "LOCK_REMINDER_S", 0.01)
    caplog.set_level(logging.INFO, logger="cisflow.training")
    waited = []

    def second():
        with lock.exclusive_lock(out / ".train.lock") as was_held:
            waited.append((was_held, (out / ".train.lock").read_text()))

    waiter = threading.Thread(target=second)
    try:
        wait_for(lambda: locked.exists() or holder.poll() is not None, 120, "lock taken by the holder")
        waiter.start()
        wait_for(lambda: caplog.text.count(f"held by PID {holder.pid} on host") >= 3, 120, "repeated waiting line")
        assert not waited
        release.touch()
        assert holder.wait(120) == 0
        waiter.join(120)
    finally:
        if holder.poll() is None:
            holder.kill()
    [(was_held, line)] = waited
    assert was_held and line.startswith(f"PID {os.getpid()} on host {socket.gethostname()} (since ")


HOLDING_TRAINER = """
import json, pathlib, sys, time
from cisflow.config.settings import Training
from cisflow.training.lock import member_lock
from cisflow.training.train import train
kwargs, locked, go = json.loads(sys.argv[1]), pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
kwargs["training"] = Training.from_mapping(kwargs["training"])
with member_lock(kwargs["resume_path"]) as waited:
    locked.touch()
    while not go.exists():
        time.sleep(0.05)
    train(**kwargs, waited_for_lock=waited)
"""


@pytest.mark.parametrize("same_settings", [True, False])
def test_a_training_finished_while_a_second_waited_is_kept_without_an_epoch(tmp_path, planted, monkeypatch, caplog,
                                                                            same_settings):
    """The holder trains the member while a second training waits for the lock: with the same
    settings the second keeps the holder's model and history (no epoch, nothing written) and
    returns their state; with other settings it trains its own."""
    import json
    import subprocess
    import threading

    out, locked, go = tmp_path / "out", tmp_path / "locked", tmp_path / "go"
    out.mkdir()
    mine = dict(dataset_path=str(planted), model_name="basset", model_params=MODEL,
                training={**TRAINING.to_mapping(), "epochs": 2, "patience": 2}, model_out=str(out / "model.pt"),
                history_out=str(out / "history.tsv"), resume_path=str(out / "resume.pt"))
    theirs = mine if same_settings else {**mine, "training": {**mine["training"], "seed": 4}}
    holder = subprocess.Popen([sys.executable, "-c", HOLDING_TRAINER, json.dumps(theirs), str(locked), str(go)])
    caplog.set_level(logging.INFO, logger="cisflow.training")
    if same_settings:
        for name in ("run_epoch", "save_model"):
            monkeypatch.setattr(train_module, name, lambda *args, **kwargs: pytest.fail("trained or wrote"))
    result = {}

    def second():
        try:
            result["state"] = train_module.train(**{**mine, "training": Training.from_mapping(mine["training"])})
        except BaseException as error:
            result["error"] = error

    waiter = threading.Thread(target=second)
    try:
        wait_for(lambda: locked.exists() or holder.poll() is not None, 120, "lock taken by the holder")
        waiter.start()
        wait_for(lambda: "waiting for the training" in caplog.text, 120, "waiting line")
        go.touch()
        assert holder.wait(600) == 0
        waiter.join(600)
        assert not waiter.is_alive() and "error" not in result, result
    finally:
        if holder.poll() is None:
            holder.kill()
    history = pd.read_csv(out / "history.tsv", sep="\t")
    saved = torch.load(out / "model.pt", weights_only=True)
    state = result["state"]
    assert history["epoch"].tolist() == [row["epoch"] for row in state["history"]] == [1, 2]
    kept = "were written by the training of these settings"
    if same_settings:
        assert kept in caplog.text and "resuming" not in caplog.text
        assert state["best_score"] == saved["best_valid_score"] and state["epoch"] == saved["epochs_run"] == 2
        pd.testing.assert_frame_equal(history, pd.DataFrame(state["history"]), check_dtype=False)
    else:
        assert kept not in caplog.text
        assert saved["training"]["seed"] == 3 and state["best_score"] == pytest.approx(saved["best_valid_score"])


def test_a_finished_trainings_resume_file_writes_the_outputs_without_an_epoch(tmp_path, planted, monkeypatch):
    """Killed after its last epoch was saved, before the model was written: a rerun writes the
    best epoch's model and the history from resume.pt, training nothing."""
    killed_at(monkeypatch, 2, lambda: run(tmp_path, planted, "out", epochs=2, patience=2))
    out = tmp_path / "out"
    checkpoint = torch.load(out / "resume.pt", weights_only=True)
    monkeypatch.setattr(train_module, "run_epoch", lambda *args, **kwargs: pytest.fail("an epoch was run"))
    state = train_module.train(planted, "basset", MODEL, dataclasses.replace(TRAINING, epochs=2, patience=2),
                               out / "model.pt", out / "history.tsv", out / "resume.pt")
    assert state["history"] == checkpoint["state"]["history"] and not (out / "resume.pt").exists()
    history = pd.read_csv(out / "history.tsv", sep="\t")
    assert history["epoch"].tolist() == [1, 2]
    assert history["valid_score"].tolist() == pytest.approx([row["valid_score"] for row in state["history"]], rel=1e-5)
    saved = torch.load(out / "model.pt", weights_only=True)
    best = checkpoint["state"]["best_state"]  # a classifier's targets are not rescaled: its weights as they were
    assert saved["state_dict"].keys() == best.keys()
    assert all(torch.equal(saved["state_dict"][key], best[key]) for key in best)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc and prctl")
@pytest.mark.parametrize("through_shell", [False, True])
def test_a_training_whose_workflow_was_killed_stops_and_keeps_its_last_epoch(tmp_path, planted, through_shell):
    """The workflow (here a stand-in for Snakemake) is killed with SIGKILL: its training job, run
    directly or under a shell that outlives the workflow, must stop. This test process takes the
    orphans as a subreaper, to read their exit status."""
    import ctypes
    import shlex
    import signal
    import subprocess

    out = tmp_path / "out"
    out.mkdir()
    command = trainer_command(tmp_path, planted, out)
    if through_shell:  # a second command keeps bash from exec-ing python: it stays between them
        command = ["bash", "-c", shlex.join(command) + "; exit $?"]
    workflow_code = ("import subprocess, sys, time; print(subprocess.Popen(sys.argv[1:]).pid, flush=True); "
                     "time.sleep(900)")
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    workflow = subprocess.Popen([sys.executable, "-c", workflow_code, *command], stdout=subprocess.PIPE, text=True,
                                start_new_session=True)
    try:
        job = int(workflow.stdout.readline())
        wait_for(lambda: (out / "resume.pt").exists(), 120, "first epoch")
        workflow.kill()
        workflow.wait(60)
        status = []
        wait_for(lambda: status.append(os.waitpid(job, os.WNOHANG)) or status[-1][0] == job, 60, "stop of the job")
        assert os.waitstatus_to_exitcode(status[-1][1]) == 1
    finally:
        libc.prctl(36, 0, 0, 0, 0)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(workflow.pid, signal.SIGKILL)
    log = (out / "train.log").read_text()
    assert (f"ERROR cisflow.training.workflow_watch: the workflow that started this training (PID {workflow.pid}) "
            "is gone: stopping; a rerun resumes after the last finished epoch") in log
    checkpoint = torch.load(out / "resume.pt", weights_only=True)
    assert checkpoint["state"]["epoch"] >= 1 and not (out / "model.pt").exists()
    assert sorted(path.name for path in out.iterdir()) == [".train.lock", "resume.pt", "train.log"]


LIMITED_TRAINER = """
import json, logging, resource, sys
from cisflow.config.settings import Training
from cisflow.training.train import train

def private_bytes():  # what RLIMIT_DATA counts: private writable memory (not read-only file maps)
    return 1024 * int(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmData")))

warm, big, budget = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
for kwargs in (warm, big):
    kwargs["training"] = Training.from_mapping(kwargs["training"])
train(**warm)  # imports, lazily loaded modules and allocator pools in place before the limit
limit = private_bytes() + budget
resource.setrlimit(resource.RLIMIT_DATA, (limit, resource.RLIM_INFINITY))
print(limit, flush=True)
logging.basicConfig(level=logging.INFO)
train(**big)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs RLIMIT_DATA and /proc")
def test_a_split_larger_than_the_memory_given_trains_streamed_and_fails_held_whole(tmp_path, planted):
    """200,000 x 1,000 bases: 0.2 GB of codes, 3.2 GB as float32 one-hot. The job may use 96 MB of
    private memory beyond what a warmed-up training process holds (RLIMIT_DATA; the memory-mapped
    dataset is a read-only file map, which it does not count): streamed, it trains; the same job
    told to hold the split in memory fails under the same limit, so the limit bites."""
    import json
    import subprocess

    from cisflow.data.dataset import write_dataset

    n, length, budget = 200_000, 1000, 96 * 2**20
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 4, (n, length), dtype=np.uint8)
    split = np.repeat([0, 1, 2], [n - 600, 300, 300])
    write_dataset(tmp_path / "big", codes, codes[:, 500:501] == 0, split, [f"r{i}" for i in range(n)],
                  {"task": "classification", "targets": ["t"]})
    del codes
    tiny = {"conv": [{"filters": 4, "width": 7, "pool": 4}], "dense": [4]}
    quick = {**TRAINING.to_mapping(), "epochs": 1, "max_steps_per_epoch": 5}

    def job(name, dataset, **training):
        out = tmp_path / name
        out.mkdir()
        return dict(dataset_path=str(dataset), model_name="basset", model_params=tiny,
                    training={**quick, **training}, model_out=str(out / "model.pt"),
                    history_out=str(out / "history.tsv"), resume_path=str(out / "resume.pt"))

    def run_limited(name, **training):
        (tmp_path / "trainer.py").write_text(LIMITED_TRAINER)
        command = [sys.executable, str(tmp_path / "trainer.py"), json.dumps(job(f"warm_{name}", planted)),
                   json.dumps(job(name, tmp_path / "big", **training)), str(budget)]
        return subprocess.run(command, capture_output=True, text=True, timeout=600,
                              env={**os.environ, "OMP_NUM_THREADS": "1"})

    streamed = run_limited("streamed", resident_limit_gb=0.01)
    assert streamed.returncode == 0, streamed.stderr[-3000:]
    limit = int(streamed.stdout.split()[0])
    assert limit < n * length * 4 * 4  # the train split as float32 one-hot is 3.2 GB
    assert "streamed from disk in blocks of" in streamed.stderr and (tmp_path / "streamed" / "model.pt").exists()
    whole = run_limited("whole", resident_limit_gb=16)
    assert whole.returncode != 0 and "MemoryError" in whole.stderr, whole.stderr[-3000:]
    assert not (tmp_path / "whole" / "model.pt").exists()


def test_a_training_that_diverges_keeps_its_best_epoch_before_and_saves_finite_weights(tmp_path, planted,
                                                                                      monkeypatch):
    """Weights gone NaN after epoch 2: its validation predictions score nothing (no "Input contains NaN"
    from sklearn), patience runs out, and the model file holds epoch 1's finite weights."""
    epochs = []

    def diverging(model, *args, **kwargs):
        result = real_epoch(model, *args, **kwargs)
        epochs.append(len(epochs) + 1)
        if len(epochs) >= 2:
            with torch.no_grad():
                for parameter in model.parameters():
                    parameter.fill_(float("nan"))
        return result

    real_epoch = train_module.run_epoch
    monkeypatch.setattr(train_module, "run_epoch", diverging)
    out = run(tmp_path, planted, "diverged", epochs=6, patience=2)
    history = pd.read_csv(out / "history.tsv", sep="\t")
    assert history["epoch"].tolist() == [1, 2, 3] and history["valid_score"].tolist()[1:] == [-np.inf, -np.inf]
    model, meta = load_model(out / "model.pt")  # refused were a weight not finite
    assert meta["best_valid_score"] == pytest.approx(history["valid_score"][0], rel=1e-5)
