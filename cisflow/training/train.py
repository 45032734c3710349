"""One training loop for every model: data on the device once, one-hot there, resumable by epoch.

The training split is read from the memory-mapped dataset as uint8 codes (one byte a base) and
expanded to one-hot per batch on the device, so no data loader stands between the GPU and its work:
a split up to ``training.resident_limit_gb`` is held on the device, a larger one streams in shuffled
blocks (``cisflow.training.batches``), and target statistics and the valid split's predictions are
read a chunk at a time (``cisflow.training.chunks``), so memory is set by the block and the batch,
not by the dataset. An epoch logs its steps, sequences a second and time left at least twice a
minute; ``training.max_steps_per_epoch`` and ``training.subsample`` cut epochs short and the split
down, to smoke-test a genome-scale config on CPU. Each epoch ends
with a resume checkpoint (model, optimiser, scheduler, RNG states, history, best state, resolved
config, dataset attributes, package version); a killed run started again with the same settings
continues after the last finished epoch (a checkpoint that cannot be read is set aside and training
starts afresh). A job started by the workflow stops when the workflow's process is gone
(``stop_with_workflow``) instead of training on as an orphan. On CUDA the forward pass runs under
bf16 autocast; the model may be compiled (``training.compile``), and several GPUs train it as DDP
processes (``cisflow.training.distributed``).

Two trainings of one member (two workflow runs on one experiment, the second started after
``snakemake --unlock`` while the first trains) must not write, or delete, each other's files: a
lock beside resume.pt (``exclusive_lock``) makes the second wait, saying once and then every few
minutes whose training it waits for, rather than fail (a failed job's outputs are deleted by
Snakemake, and by then they may be the first run's finished model). Holding the lock, it goes on
as any rerun does: from resume.pt where the first stopped early, and where the first finished
its training with the same settings (the model file records their digest) it keeps that model
and history as they are, without an epoch. Job logs are appended to, so the waiting job's lines
do not wipe the first's (``cisflow.io.logs``).

What this cannot prevent, since Snakemake does it before any of this code runs: a job's start
removes its existing outputs and its log (``Job.prepare``). Where the first run finishes between
the second planning its job and starting it, the second's start deletes the first's fresh
model.pt and history.tsv, and the first run then fails (MissingOutputException) or its later jobs
miss their input; the second trains the member again. A second run that fails or is interrupted
in the moments between the first finishing and the second keeping its model deletes them too
(Snakemake removes a failed job's outputs). The first's log survives its removal: its process
copies its lines back into the file at the path (``cisflow.io.logs.JobLog``).
"""

import contextlib
import csv
import fcntl
import hashlib
import json
import logging
import os
import socket
import threading
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

import cisflow
from cisflow.data.dataset import load_dataset
from cisflow.data.dataset import subsample as draw_subsample
from cisflow.encode import N_CODE, reverse_complement
from cisflow.io.atomic import atomic_open, atomic_path
from cisflow.io.errors import InputError
from cisflow.io.logs import Progress
from cisflow.models.checkpoint import save_model
from cisflow.models.predict import forward, one_hot
from cisflow.models.registry import build_for_dataset
from cisflow.training import metrics
from cisflow.training.batches import TrainingBatches
from cisflow.training.chunks import column_moments, predict_rows
from cisflow.training.distributed import World, launch
from cisflow.training.replicates import describe, held_out, member_view
from cisflow.training.search import merge_best

log = logging.getLogger(__name__)

LOSSES = {"bce": nn.BCEWithLogitsLoss, "mse": nn.MSELoss, "l1": nn.L1Loss}
DEFAULT_LOSS = {"classification": "bce", "regression": "mse"}
HISTORY_COLUMNS = ["epoch", "train_loss", "valid_loss", "valid_score", "lr", "seconds", "seqs_per_s"]
SHELLS = {"sh", "bash", "dash", "zsh", "ksh"}
WORKFLOW_POLL_S = 2.0
LOCK_REMINDER_S = 300.0  # seconds between two lines of a training that waits for another's lock
_writing = threading.Lock()  # held while files are written: a stopped orphan never leaves half of one


class TargetScale:
    """Regression targets are trained standardised (mean 0, sd 1 on the training split); the
    scaling is folded into the output layer before saving, so a saved model predicts in the
    targets' own units. Classification targets are left as they are (0/1, as float32)."""

    def __init__(self, mean, std):
        self.mean, self.std = mean, std
        self._on_device = {}

    @classmethod
    def fit(cls, targets, task, rows):
        """The scaling of ``targets[rows]`` ((n, T), memory-mapped or not), read in chunks."""
        if task != "regression":
            return cls(np.zeros(targets.shape[1], np.float32), np.ones(targets.shape[1], np.float32))
        mean, std = column_moments(targets, rows)
        return cls(mean.astype(np.float32), np.where(std > 0, std, 1).astype(np.float32))

    def apply(self, targets):
        """(n, T) targets as stored (uint8 or float32), a numpy array or a tensor on any device ->
        (n, T) float32 of the same kind, standardised."""
        if isinstance(targets, torch.Tensor):
            if targets.device not in self._on_device:
                self._on_device[targets.device] = [torch.from_numpy(v).to(targets.device)
                                                   for v in (self.mean, self.std)]
            mean, std = self._on_device[targets.device]
            return (targets.float() - mean) / std
        return (np.asarray(targets, np.float32) - self.mean) / self.std

    @torch.no_grad()
    def fold_into(self, linear):
        std = torch.from_numpy(self.std).to(linear.weight)
        linear.weight.mul_(std[:, None])
        linear.bias.mul_(std).add_(torch.from_numpy(self.mean).to(linear.bias))


def make_optimizer(name, params, lr, weight_decay):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    return {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[name](params, lr=lr, weight_decay=weight_decay)


def settings_digest(*parts):
    """Digest of everything that defines a run: a resume checkpoint is used only if it matches."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def train(dataset_path: str, model_name: str, model_params: dict, training: dict, model_out: str, history_out: str,
          resume_path: str, init_path: str | None = None, on_epoch=None, member: dict | None = None,
          waited_for_lock: bool | None = None) -> dict:
    """Train ``model_name`` on the dataset; write the best model and the per-epoch history.

    Parameters
    ----------
    dataset_path : str
        The dataset directory: codes (n, L) uint8, targets (n, T), the split.
    model_name, model_params : str, dict
        A registered architecture and its parameters (``cisflow.models.registry.build``).
    training : dict
        The config schema's training keys, defaults filled in.
    model_out, history_out, resume_path : str
        The best model's file, the per-epoch history (TSV) and the resume checkpoint, written
        each epoch and removed at the end.
    init_path : str, optional
        Another experiment's model file to start from (fine-tuning).
    on_epoch : callable, optional
        Called after each epoch with its history row (a hyperparameter search reports to its
        pruner there).
    member : dict, optional
        The experiment's member this is (``cisflow.training.replicates.members``): trained on its
        split (a fold's, or the dataset's) and recorded in the model file. None: the dataset's split.
    waited_for_lock : bool, optional
        Given where the caller holds the member's lock already (``member_lock``; the DDP launcher
        does, for its processes): whether it had to wait for another training. None: this
        process takes the lock itself, waiting for as long as another holds it.

    Returns
    -------
    dict
        The final training state (``best_score``, ``history``, ``epoch``...). Where another
        process finished this training (same settings) while this one waited for the lock, its
        model file and history are kept as they are, without an epoch, and the state is read back
        from them.

    Started by torchrun (``cisflow.training.distributed``), each process trains on its share of
    the split and rank 0 writes the files, while the launcher holds the lock.
    """
    world = World.from_env()
    if waited_for_lock is not None:
        return _train(world, dataset_path, model_name, model_params, training, model_out, history_out, resume_path,
                      init_path, on_epoch, member, waited_for_lock)
    with member_lock(resume_path) as waited:
        return _train(world, dataset_path, model_name, model_params, training, model_out, history_out, resume_path,
                      init_path, on_epoch, member, waited)


def _train(world, dataset_path, model_name, model_params, training, model_out, history_out, resume_path, init_path,
           on_epoch, member, waited):
    torch.manual_seed(training["seed"] + world.rank)  # the model itself comes from rank 0 (DDP)
    np.random.seed(training["seed"])
    data = load_dataset(dataset_path)
    if member is not None:
        member = {**member, "held_out": held_out(data, member)}
        data = member_view(data, member)
        if world.main:
            log.info("member %s: %s", member["name"], describe(member, member["held_out"]))
    task, attrs = data.attrs["task"], data.attrs
    run = {"digest": settings_digest(model_name, model_params, training, attrs, str(init_path), member),
           "config": {"model": {"name": model_name, "params": model_params}, "training": training,
                      "init_from": str(init_path) if init_path else None},
           "dataset": attrs, "version": cisflow.__version__}
    finished = _finished_meanwhile(model_out, history_out, run["digest"], world.main) if waited else None
    if finished is not None:
        return finished
    dev = world.device
    train_idx, valid_idx = data.indices("train"), data.indices("valid")
    if len(train_idx) == 0 or len(valid_idx) == 0:
        raise ValueError(f"{dataset_path}: the train and valid splits must both be non-empty "
                         f"(sizes {attrs['split_sizes']})")
    train_idx = subsample(train_idx, training.get("subsample"), training["seed"], world.main)
    scale = TargetScale.fit(data.targets, task, train_idx)
    batches = TrainingBatches(data, world.shard(train_idx, training["seed"]), scale,
                              max(training["batch_size"] // world.size, 2), dev,
                              int(training["resident_limit_gb"] * 2**30))
    steps = min(batches.steps, training.get("max_steps_per_epoch") or batches.steps)
    y_valid = scale.apply(data.targets[valid_idx])
    selection = metrics.DEFAULT_SELECTION[task] if training["selection"] == "auto" else training["selection"]
    check_validation_score(dataset_path, task, y_valid, attrs["targets"], selection)

    model = build_for_dataset(model_name, attrs, model_params).to(dev)
    if init_path:
        start_from(model, init_path)
    if data.features is not None:
        fit_feature_scale(model, data.features, train_idx)
    optimizer = make_optimizer(training["optimizer"], model.parameters(), training["lr"], training["weight_decay"])
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", factor=0.5,
                                                           patience=training["lr_patience"])
    loss_fn = LOSSES[training.get("loss") or DEFAULT_LOSS[task]]()
    generator = torch.Generator(device="cpu").manual_seed(training["seed"])
    state = {"epoch": 0, "history": [], "best_score": -np.inf, "best_state": None, "stale": 0}
    if os.path.exists(resume_path):
        state = _resume(resume_path, run["digest"], model, optimizer, scheduler, generator, world.main) or state
    stepper = world.wrap(model)
    if training.get("compile"):
        stepper = torch.compile(stepper)
    log.info("training %s on %s (%d train, %d valid sequences%s) on %s%s, %d parameters; %d of %d steps an epoch",
             model_name, dataset_path, len(train_idx), len(valid_idx),
             "" if batches.resident else f", streamed from disk in blocks of {batches.block_rows:,}", dev,
             f" x {world.size} processes" if world.size > 1 else "", sum(p.numel() for p in model.parameters()),
             steps, batches.steps)

    while state["epoch"] < training["epochs"] and state["stale"] < training["patience"]:
        started = time.perf_counter()
        epoch = state["epoch"] + 1
        train_loss, trained = run_epoch(stepper, batches, loss_fn, optimizer, training, generator, dev, steps,
                                        f"epoch {epoch}" if world.main else None)
        train_loss = world.mean(train_loss)
        world.sync_buffers(model)
        outputs = predict_rows(model, data, valid_idx, task, batch_size=max(training["batch_size"], 512),
                               what=f"epoch {epoch}: valid predictions" if world.main else None)
        valid_loss = _loss_on(outputs, y_valid, task, loss_fn)
        score = world.from_main(metrics.selection_score(
            task, metrics.compute(task, y_valid, outputs, attrs["targets"]), selection))
        scheduler.step(score)
        seconds = time.perf_counter() - started
        state["epoch"] = epoch
        row = dict(zip(HISTORY_COLUMNS, [epoch, train_loss, valid_loss, score, optimizer.param_groups[0]["lr"],
                                         seconds, trained * world.size / seconds]))
        state["history"].append(row)
        if score > state["best_score"]:
            state.update(best_score=score, stale=0,
                         best_state={k: v.detach().cpu().clone() for k, v in model.state_dict().items()})
        else:
            state["stale"] += 1
        if not world.main:
            continue
        log.info("epoch %3d  train loss %.4f  valid loss %.4f  valid %s %.4f  lr %.2e  %.1f s  %.0f seq/s",
                 row["epoch"], train_loss, valid_loss, selection, score, row["lr"], seconds, row["seqs_per_s"])
        _save_resume(resume_path, run, model, optimizer, scheduler, generator, state)
        if on_epoch is not None:
            on_epoch(row)

    if state["stale"] >= training["patience"]:
        log.info("early stop: no improvement in %d epochs", training["patience"])
    if state["best_state"] is None:  # the valid targets have a score (checked above); the predictions had none
        raise RuntimeError(f"{dataset_path}: none of the {state['epoch']} epochs gave a validation {selection} "
                           "(the model's predictions on the valid split were constant or not finite each time), so "
                           "there is no best model to save; try a lower training.lr")
    if not world.main:
        return state
    model.load_state_dict(state["best_state"])
    scale.fold_into(model.output_layer)
    with _writing:
        save_model(model_out, model, model_name, model_params, attrs, training=training, member=member,
                   best_valid_score=state["best_score"], epochs_run=state["epoch"], settings_digest=run["digest"])
        with atomic_open(history_out) as out:
            out.write("\t".join(HISTORY_COLUMNS) + "\n")
            for row in state["history"]:
                out.write("\t".join(f"{row[c]:.6g}" if isinstance(row[c], float) else str(row[c])
                                    for c in HISTORY_COLUMNS) + "\n")
        os.unlink(resume_path)
    return state


def check_validation_score(dataset_path, task, targets, names, selection):
    """Stop before the first epoch when the valid split's targets leave the selection metric
    undefined for every target (one class only, or a constant value): no epoch could then be
    chosen as the best, and training would run them all for nothing. The targets are scored as
    their own predictions, so "undefined" is exactly what ``cisflow.training.metrics`` makes of them."""
    per_target = metrics.compute(task, targets, targets, names)["per_target"]
    undefined = [name for name in names if metrics.selection_score(task, per_target[name], selection) == -np.inf]
    if not undefined:
        return
    if task == "classification":
        why = "holds one class only"
        shown = [f"{name}: {per_target[name]['positives']} of {len(targets)} positive" for name in undefined[:5]]
        fix = "both classes"
    else:
        why = "is constant"
        shown = [f"{name}: {len(targets)} equal values" for name in undefined[:5]]
        fix = "varying targets"
    shown += [f"{len(undefined) - 5} more"] if len(undefined) > 5 else []
    where = f"datasets.{Path(dataset_path).name}.split.valid"
    if len(undefined) < len(names):
        log.warning("%s: %d of %d targets have no validation %s, as each %s in the valid split (%s); the score "
                    "is the mean over the others", dataset_path, len(undefined), len(names), selection,
                    why, ", ".join(shown))
        return
    raise InputError(dataset_path, f"no validation {selection} to choose the best epoch by: every target {why} in "
                     f"the valid split ({', '.join(shown)}), so training would run every epoch and keep no model. "
                     f"Give the valid split {fix}, e.g. another held-out chromosome or a larger fraction ({where}), "
                     "and rebuild the dataset")


def _finished_meanwhile(model_out, history_out, digest, main):
    """The final state of this training where another process finished it while this one waited
    for the lock: ``model_out`` and ``history_out`` are there and the model file records the
    settings' ``digest``; None otherwise (the other stopped early, failed, or trained other
    settings: this one trains, resuming where resume.pt allows). The files are left as they are."""
    if not (os.path.exists(model_out) and os.path.exists(history_out)):
        return None
    try:
        saved = torch.load(model_out, map_location="cpu", weights_only=True, mmap=True)
    except Exception as error:  # torch raises several kinds for a file it cannot read; training writes it anew
        log.warning("%s cannot be read (%s: %s); training", model_out, type(error).__name__, error)
        return None
    if not isinstance(saved, dict) or saved.get("settings_digest") != digest:
        return None
    with open(history_out) as handle:
        history = [{column: int(value) if column == "epoch" else float(value) for column, value in row.items()}
                   for row in csv.DictReader(handle, delimiter="\t")]
    if main:
        log.info("%s and %s were written by the training of these settings (%s) that this one waited for: kept as "
                 "they are, no epoch run", model_out, history_out, digest)
    return {"epoch": saved["epochs_run"], "best_score": saved["best_valid_score"], "history": history}


def member_lock(resume_path):
    """The lock of the training that writes ``resume_path``.

    Parameters
    ----------
    resume_path : str or Path
        The member's resume checkpoint (results/models/<experiment>/<member>/resume.pt).

    Returns
    -------
    contextlib.AbstractContextManager
        ``exclusive_lock`` on the ``.train.lock`` beside it, yielding whether it waited.
    """
    return exclusive_lock(Path(resume_path).with_name(".train.lock"))


@contextlib.contextmanager
def exclusive_lock(path):
    """Hold the lock file ``path`` (flock) for the whole training, this process's PID, host and
    start time written in it: two trainings of one experiment would write, and delete, the same
    resume.pt. While another process holds it, wait, logging whose training this waits for once
    and then every ``LOCK_REMINDER_S`` seconds.

    Parameters
    ----------
    path : str or Path
        The lock file, ``.train.lock`` in the member's directory (results/models/<experiment>/<member>).

    Yields
    ------
    bool
        Whether this process had to wait for another: that one may have finished the training
        meanwhile (``_finished_meanwhile``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:  # a+: the holder's line stays readable until this process has the lock
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            waited = False
        except BlockingIOError:
            _wait_for_lock(handle, path)
            waited = True
        handle.seek(0)
        handle.truncate()
        handle.write(f"PID {os.getpid()} on host {socket.gethostname()} (since {time.strftime('%Y-%m-%d %H:%M:%S')})\n")
        handle.flush()
        yield waited


def _wait_for_lock(handle, path):
    """Block until this process holds the flock on ``handle`` (the lock file ``path``), saying
    whose training it waits for now and every ``LOCK_REMINDER_S`` seconds."""
    what = "/".join(path.parent.parts[-2:])

    def say(holder):
        log.info("waiting for the training of %s held by %s to end (lock %s): two trainings must not write the same "
                 "files at once; this one then goes on from where that one got to", what, holder, path)

    say(_holder(path))
    done = threading.Event()

    def remind():
        while not done.wait(LOCK_REMINDER_S):
            say(_holder(path))

    reminder = threading.Thread(target=remind, name="lock-wait", daemon=True)
    reminder.start()
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
    finally:
        done.set()
        reminder.join()


def _holder(path):
    """Who holds the lock file ``path``, as its holder wrote it ("PID p on host h (since t)")."""
    return Path(path).read_text().strip() or "a process that has not yet written its PID"


@contextlib.contextmanager
def stop_with_workflow(before_exit=None):
    """While in this block, end this process (exit status 1) soon after the workflow that started
    it is gone: a training job whose Snakemake was killed (kill -9) would otherwise train on as an
    orphan and delete resume.pt under a rerun. The workflow is the parent process or, where that
    is a shell (a job's command may run under ``bash -c``), the first ancestor that is not one; it
    is gone once this process has another parent or the workflow has ended. ``before_exit`` runs
    first (the DDP launcher stops torchrun there); no file is left half written (``_writing``)."""
    parent = workflow = os.getppid()
    watched = []  # (pid, start time): a PID reused by a new process is not the workflow
    while (info := _process(workflow)) is not None:
        watched.append((workflow, info["start"]))
        if info["name"] not in SHELLS or info["parent"] <= 1:
            break
        workflow = info["parent"]
    done = threading.Event()

    def gone():
        return os.getppid() != parent or any(
            (info := _process(pid)) is None or info["state"] == "Z" or info["start"] != start for pid, start in watched)

    def watch():
        while not done.wait(WORKFLOW_POLL_S):
            if gone():
                log.error("the workflow that started this training (PID %d) is gone: stopping; a rerun resumes "
                          "after the last finished epoch", workflow)
                if before_exit is not None:
                    before_exit()
                _writing.acquire()
                logging.shutdown()
                os._exit(1)

    threading.Thread(target=watch, name="workflow-watch", daemon=True).start()
    try:
        yield
    finally:
        done.set()


def _process(pid):
    """Name, state, parent and start time of process ``pid`` (Linux /proc), or None where there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
    return {"name": name, "state": fields[0], "parent": int(fields[1]), "start": fields[19]}


def fit_feature_scale(model, features, rows):
    """Standardise the model's per-sequence features by their mean and sd over the training
    split's ``rows`` (read in chunks)."""
    mean, std = column_moments(features, rows)
    with torch.no_grad():
        model.feature_mean.copy_(torch.from_numpy(mean.astype(np.float32)))
        model.feature_std.copy_(torch.from_numpy(np.where(std > 0, std, 1).astype(np.float32)))


def subsample(rows, size, seed, main=True):
    """``size`` of the training split's ``rows`` drawn at random (``dataset.subsample``), or all of
    them where ``size`` is None or not smaller (``training.subsample``: a smoke test of a large config)."""
    if main and size is not None and size < len(rows):
        log.info("training on a subsample of %d of the %d training sequences (training.subsample, seed %d)",
                 size, len(rows), seed)
    return draw_subsample(rows, size, seed)


def start_from(model, init_path):
    """Copy into ``model`` every parameter of the model file ``init_path`` whose name and shape
    match (a new output layer for other targets stays as initialised); log what was left out."""
    state = torch.load(init_path, map_location="cpu", weights_only=True)["state_dict"]
    own = model.state_dict()
    matching = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    model.load_state_dict(matching, strict=False)
    skipped = sorted(set(own) - set(matching))
    log.info("fine-tuning from %s: %d of %d tensors taken%s", init_path, len(matching), len(own),
             f"; kept as initialised: {', '.join(skipped)}" if skipped else "")


class EpochProgress(Progress):
    """Progress lines of a training epoch: optimizer steps done of the epoch's, the time left, and
    sequences a second (``cisflow.io.logs.Progress``, a line at least twice a minute)."""

    def __init__(self, what, steps, **kwargs):
        super().__init__(what, total=steps, unit="steps", **kwargs)
        self.sequences = 0

    def step(self, sequences):
        """Count one optimizer step on ``sequences`` sequences."""
        self.sequences += sequences
        self.advance()

    def line(self):
        seconds = self.clock() - self.started
        rate = f"{self.sequences / seconds:,.0f} sequences/s" if seconds > 0 else "rate not yet known"
        return f"{super().line()}, {rate}"


def run_epoch(model, batches, loss_fn, optimizer, training, generator, dev, steps=None, what=None):
    """One epoch of training: at most ``steps`` optimizer steps (default every batch of ``batches``).

    Parameters
    ----------
    model : torch.nn.Module
        The model to train (the DDP wrapper or compiled model where there is one).
    batches : cisflow.training.batches.TrainingBatches
        The training split's batches.
    loss_fn, optimizer : callable, torch.optim.Optimizer
    training : dict
        The training config (``reverse_complement``, ``shift``).
    generator : torch.Generator
        Draws the batch order and augmentations.
    dev : torch.device
    steps : int, optional
        Steps to stop after (``training.max_steps_per_epoch``).
    what : str, optional
        The epoch's name in progress lines (``EpochProgress``); None logs none (DDP's other ranks).

    Returns
    -------
    loss : float
        The mean training loss over the sequences trained on.
    sequences : int
        Sequences trained on (by this process).
    """
    model.train()
    steps = batches.steps if steps is None else steps
    total, seen = 0.0, 0
    autocast = torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=dev.type == "cuda")
    with EpochProgress(what, steps) if what else contextlib.nullcontext() as progress:
        for step, (codes, targets, features) in enumerate(batches.epoch(generator)):
            if step == steps:
                break
            if training["reverse_complement"]:
                flip = torch.rand(len(codes), generator=generator).to(dev) < 0.5
                codes = torch.where(flip[:, None], reverse_complement(codes), codes)
            if training["shift"]:
                codes = random_shift(codes, training["shift"], generator)
            with autocast:
                loss = loss_fn(forward(model, one_hot(codes), features).float(), targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(codes)
            seen += len(codes)
            if progress is not None:
                progress.step(len(codes))
    return float(total) / max(seen, 1), seen


def random_shift(codes, max_shift, generator):
    """Each sequence moved by a random -max_shift..max_shift positions, the gap filled with N."""
    shifts = torch.randint(-max_shift, max_shift + 1, (len(codes), 1), generator=generator).to(codes.device)
    source = torch.arange(codes.shape[1], device=codes.device)[None, :] - shifts
    inside = (source >= 0) & (source < codes.shape[1])
    moved = torch.gather(codes, 1, source.clamp(0, codes.shape[1] - 1))
    return torch.where(inside, moved, torch.full_like(moved, N_CODE))


def _loss_on(outputs, targets, task, loss_fn):
    """Validation loss from predictions (probabilities are turned back into logits for BCE)."""
    out = torch.from_numpy(outputs)
    if task == "classification":
        out = torch.logit(out.clamp(1e-6, 1 - 1e-6))
    return float(loss_fn(out, torch.from_numpy(targets)))


def _save_resume(path, run, model, optimizer, scheduler, generator, state):
    """The resume checkpoint: everything to continue (model, optimiser, scheduler, every RNG, the
    history and best state) and to know what it was (resolved config, dataset attributes, version)."""
    payload = {**run, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
               "scheduler": scheduler.state_dict(), "generator": generator.get_state(),
               "torch_rng": torch.get_rng_state(),
               "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
               "state": state}
    with _writing, atomic_path(path) as tmp:
        torch.save(payload, tmp)


def _resume(path, digest, model, optimizer, scheduler, generator, main=True):
    """The training state saved in the resume checkpoint ``path``, its model, optimiser, scheduler
    and RNG states restored; None to start afresh (other settings, or a file that cannot be read,
    which the main process sets aside rather than failing every rerun on it)."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(payload, dict) or "digest" not in payload:
            raise ValueError("not a cisflow resume checkpoint")
    except Exception as error:  # empty, truncated, not a torch file: torch raises several kinds
        if main:
            aside = f"{path}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}"
            os.replace(path, aside)
            log.warning("%s cannot be read (%s: %s); set aside as %s, training starts afresh", path,
                        type(error).__name__, error, aside)
        return None
    if payload["digest"] != digest:
        log.warning("%s was written with other settings; starting from scratch", path)
        return None
    model.load_state_dict(payload["model"])
    optimizer.load_state_dict(payload["optimizer"])
    scheduler.load_state_dict(payload["scheduler"])
    generator.set_state(payload["generator"])
    torch.set_rng_state(payload["torch_rng"])
    if payload["cuda_rng"] and torch.cuda.is_available() and len(payload["cuda_rng"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(payload["cuda_rng"])
    log.info("resuming after epoch %d from %s", payload["state"]["epoch"], path)
    return payload["state"]


def run(dataset: str, model: dict, training: dict, model_out: str, history_out: str, init: str | None = None,
        best: str | None = None, gpus: int = 1, log_path: str | None = None, member: dict | None = None) -> None:
    """The train rule: the experiment's model trained on its dataset, resumable from the
    ``resume.pt`` beside ``model_out``.

    Parameters
    ----------
    dataset : str
        The dataset directory (``cisflow.data.dataset``).
    model, training : dict
        The experiment's ``model`` ({name, params}) and ``training`` config.
    model_out, history_out : str
        The model file and the per-epoch history (TSV) to write.
    init : str, optional
        The model file to start from (``training.init_from``).
    best : str, optional
        A search's best.json: its values override the config's (``cisflow.training.search``).
    gpus : int
        GPUs the job was given: several train as one DDP process each (torchrun).
    log_path : str, optional
        The job's log, which the DDP processes append to.
    member : dict, optional
        The member of the experiment to train (``cisflow.training.replicates.members``): its seed
        replaces ``training.seed``, its split the dataset's. None: the experiment as one model.

    The job stops when the workflow that started it is gone (a killed Snakemake) rather than
    train on as an orphan (``stop_with_workflow``).
    """
    model_params = model["params"]
    if best:
        model_params, training = merge_best(model_params, training, best)
    if member is not None:
        training = {**training, "seed": member["seed"]}
    kwargs = dict(dataset_path=dataset, model_name=model["name"], model_params=model_params, training=training,
                  model_out=model_out, history_out=history_out,
                  resume_path=str(Path(model_out).with_name("resume.pt")), init_path=init, member=member)
    if gpus > 1:
        launch({**kwargs, "log_path": log_path}, processes=gpus)
        return
    with stop_with_workflow():
        train(**kwargs)
