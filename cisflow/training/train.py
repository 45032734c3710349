"""One training loop for every model: data on the device once, one-hot there, resumable by epoch.

The training split is read from the memory-mapped dataset as uint8 codes (one byte a base) and
expanded to one-hot per batch on the device, so no data loader stands between the GPU and its work:
a split up to ``training.resident_limit_gb`` is held on the device, a larger one streams in shuffled
blocks (``cisflow.training.batches``), and target statistics and the valid split's predictions are
read a chunk at a time (``cisflow.training.chunks``), so memory is set by the block and the batch,
not by the dataset. Batches are augmented on the device (``cisflow.training.augment``); regression
targets and per-sequence features are standardised on the training split
(``cisflow.training.scaling``). An epoch logs its steps, sequences a second and time left at least
twice a minute; ``training.max_steps_per_epoch`` and ``training.subsample`` cut epochs short and
the split down, to smoke-test a genome-scale config on CPU. Each epoch ends with a resume
checkpoint, from which a killed run started again with the same settings continues
(``cisflow.training.resume``). On CUDA the forward pass runs under bf16 autocast; the model may be
compiled (``training.compile``), and several GPUs train it as DDP processes
(``cisflow.training.distributed``).

``train`` holds the member's lock while it trains (``cisflow.training.lock``): a second training of
the member waits, then keeps what the first finished with the same settings. The train rule starts
it, in this process or as DDP processes (``cisflow.training.launch.train_member``).
"""

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from torch import nn

import cisflow
from cisflow.config.settings import Training
from cisflow.data.dataset import load_dataset
from cisflow.data.dataset import subsample as draw_subsample
from cisflow.io.errors import InputError
from cisflow.io.logs import Progress
from cisflow.models.checkpoint import save_model
from cisflow.models.predict import forward, one_hot
from cisflow.models.registry import build_for_dataset
from cisflow.training import metrics
from cisflow.training.augment import augment
from cisflow.training.batches import TrainingBatches
from cisflow.training.chunks import predict_rows
from cisflow.training.distributed import World
from cisflow.training.lock import member_lock
from cisflow.training.replicates import describe, held_out, member_view
from cisflow.training.resume import (
    HISTORY_COLUMNS,
    finished_meanwhile,
    load_resume,
    save_resume,
    settings_digest,
    write_history,
)
from cisflow.training.scaling import TargetScale, fit_feature_scale
from cisflow.training.workflow_watch import writing_files
from cisflow.types import PathLike

log = logging.getLogger(__name__)

LOSSES = {"bce": nn.BCEWithLogitsLoss, "mse": nn.MSELoss, "l1": nn.L1Loss}
DEFAULT_LOSS = {"classification": "bce", "regression": "mse"}


def make_optimizer(name: str, params: Iterable[nn.Parameter], lr: float, weight_decay: float) -> torch.optim.Optimizer:
    """The optimizer ``name`` (``training.optimizer``: adam, adamw, or sgd with momentum 0.9) over ``params``."""
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    return {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[name](params, lr=lr, weight_decay=weight_decay)


def train(dataset_path: PathLike, model_name: str, model_params: dict[str, Any], training: Training,
          model_out: PathLike, history_out: PathLike, resume_path: PathLike, init_path: PathLike | None = None,
          on_epoch: Callable[[dict[str, float]], None] | None = None, member: dict[str, Any] | None = None,
          waited_for_lock: bool | None = None) -> dict[str, Any]:
    """Train ``model_name`` on the dataset; write the best model and the per-epoch history.

    Parameters
    ----------
    dataset_path : str or Path
        The dataset directory: codes (n, L) uint8, targets (n, T), the split.
    model_name, model_params : str, dict
        A registered architecture and its parameters (``cisflow.models.registry.build``).
    training : cisflow.config.settings.Training
        The experiment's training settings.
    model_out, history_out, resume_path : str or Path
        The best model's file, the per-epoch history (TSV) and the resume checkpoint, written
        each epoch and removed at the end.
    init_path : str or Path, optional
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

    Started by torchrun (``cisflow.training.launch.train_ddp``), each process trains on its share
    of the split (``cisflow.training.distributed.World``) and rank 0 writes the files, while the
    launcher holds the lock.
    """
    world = World.from_env()
    if waited_for_lock is not None:
        return _train(world, dataset_path, model_name, model_params, training, model_out, history_out, resume_path,
                      init_path, on_epoch, member, waited_for_lock)
    with member_lock(resume_path) as waited:
        return _train(world, dataset_path, model_name, model_params, training, model_out, history_out, resume_path,
                      init_path, on_epoch, member, waited)


def _train(world: World, dataset_path: PathLike, model_name: str, model_params: dict[str, Any],
           training: Training, model_out: PathLike, history_out: PathLike, resume_path: PathLike,
           init_path: PathLike | None, on_epoch: Callable[[dict[str, float]], None] | None,
           member: dict[str, Any] | None, waited: bool) -> dict[str, Any]:
    torch.manual_seed(training.seed + world.rank)  # the model itself comes from rank 0 (DDP)
    np.random.seed(training.seed)
    data = load_dataset(dataset_path)
    if member is not None:
        member = {**member, "held_out": held_out(data, member)}
        data = member_view(data, member)
        if world.main:
            log.info("member %s: %s", member["name"], describe(member, member["held_out"]))
    task, attrs = data.attrs["task"], data.attrs
    settings = training.to_mapping()  # as the config holds it: the digest and the files' record
    run: dict[str, Any] = {"digest": settings_digest(model_name, model_params, settings, attrs, str(init_path), member),
           "config": {"model": {"name": model_name, "params": model_params}, "training": settings,
                      "init_from": str(init_path) if init_path else None},
           "dataset": attrs, "version": cisflow.__version__}
    finished = finished_meanwhile(model_out, history_out, run["digest"], world.main) if waited else None
    if finished is not None:
        return finished
    dev = world.device
    train_idx, valid_idx = data.indices("train"), data.indices("valid")
    if len(train_idx) == 0 or len(valid_idx) == 0:
        raise InputError(dataset_path, f"the train and valid splits must both be non-empty (sizes "
                                       f"{attrs['split_sizes']}): give each rows (datasets.{Path(dataset_path).name}"
                                       ".split) and rebuild the dataset")
    train_idx = subsample(train_idx, training.subsample, training.seed, world.main)
    scale = TargetScale.fit(data.targets, task, train_idx)
    batches = TrainingBatches(data, world.shard(train_idx, training.seed), scale,
                              max(training.batch_size // world.size, 2), dev,
                              int(training.resident_limit_gb * 2**30))
    steps = min(batches.steps, training.max_steps_per_epoch or batches.steps)
    y_valid = scale.apply(data.targets[valid_idx])
    selection = metrics.DEFAULT_SELECTION[task] if training.selection == "auto" else training.selection
    check_validation_score(dataset_path, task, y_valid, attrs["targets"], selection)

    model = build_for_dataset(model_name, attrs, model_params).to(dev)
    if init_path:
        start_from(model, init_path)
    if data.features is not None:
        fit_feature_scale(model, data.features, train_idx)
    optimizer = make_optimizer(training.optimizer, model.parameters(), training.lr, training.weight_decay)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", factor=0.5,
                                                           patience=training.lr_patience)
    loss_fn = LOSSES[training.loss or DEFAULT_LOSS[task]]()
    generator = torch.Generator(device="cpu").manual_seed(training.seed)
    state: dict[str, Any] = {"epoch": 0, "history": [], "best_score": -np.inf, "best_state": None, "stale": 0}
    if os.path.exists(resume_path):
        state = load_resume(resume_path, run["digest"], model, optimizer, scheduler, generator, world.main) or state
    stepper = world.wrap(model)
    if training.compile:
        # a Module compiles to a Module (torch's OptimizedModule); torch.compile's hints say a callable
        stepper = cast(nn.Module, torch.compile(stepper))
    log.info("training %s on %s (%d train, %d valid sequences%s) on %s%s, %d parameters; %d of %d steps an epoch",
             model_name, dataset_path, len(train_idx), len(valid_idx),
             "" if batches.resident else f", streamed from disk in blocks of {batches.block_rows:,}", dev,
             f" x {world.size} processes" if world.size > 1 else "", sum(p.numel() for p in model.parameters()),
             steps, batches.steps)

    while state["epoch"] < training.epochs and state["stale"] < training.patience:
        started = time.perf_counter()
        epoch = state["epoch"] + 1
        train_loss, trained = run_epoch(stepper, batches, loss_fn, optimizer, training, generator, dev, steps,
                                        f"epoch {epoch}" if world.main else None)
        train_loss = world.mean(train_loss)
        world.sync_buffers(model)
        outputs = predict_rows(model, data, valid_idx, task, batch_size=max(training.batch_size, 512),
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
        save_resume(resume_path, run, model, optimizer, scheduler, generator, state)
        if on_epoch is not None:
            on_epoch(row)

    if state["stale"] >= training.patience:
        log.info("early stop: no improvement in %d epochs", training.patience)
    if state["best_state"] is None:  # the valid targets have a score (checked above); the predictions had none
        raise RuntimeError(f"{dataset_path}: none of the {state['epoch']} epochs gave a validation {selection} "
                           "(the model's predictions on the valid split were constant or not finite each time), so "
                           "there is no best model to save; try a lower training.lr")
    if not world.main:
        return state
    model.load_state_dict(state["best_state"])
    scale.fold_into(cast(nn.Linear, model.output_layer))  # every model's output layer (cisflow.models)
    with writing_files:
        save_model(model_out, model, model_name, model_params, attrs, training=settings, member=member,
                   best_valid_score=state["best_score"], epochs_run=state["epoch"], settings_digest=run["digest"])
        write_history(history_out, state["history"])
        os.unlink(resume_path)
    return state


def check_validation_score(dataset_path: PathLike, task: str, targets: np.ndarray, names: list[str],
                           selection: str) -> None:
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


def subsample(rows: np.ndarray, size: int | None, seed: int, main: bool = True) -> np.ndarray:
    """``size`` of the training split's ``rows`` drawn at random (``dataset.subsample``), or all of
    them where ``size`` is None or not smaller (``training.subsample``: a smoke test of a large config)."""
    if main and size is not None and size < len(rows):
        log.info("training on a subsample of %d of the %d training sequences (training.subsample, seed %d)",
                 size, len(rows), seed)
    return draw_subsample(rows, size, seed)


def start_from(model: nn.Module, init_path: PathLike) -> None:
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

    def __init__(self, what: str, steps: int, **kwargs: Any) -> None:
        super().__init__(what, total=steps, unit="steps", **kwargs)
        self.sequences = 0

    def step(self, sequences: int) -> None:
        """Count one optimizer step on ``sequences`` sequences."""
        self.sequences += sequences
        self.advance()

    def line(self) -> str:
        seconds = self.clock() - self.started
        rate = f"{self.sequences / seconds:,.0f} sequences/s" if seconds > 0 else "rate not yet known"
        return f"{super().line()}, {rate}"


def run_epoch(model: nn.Module, batches: TrainingBatches, loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
              optimizer: torch.optim.Optimizer, training: Training, generator: torch.Generator,
              dev: torch.device, steps: int | None = None, what: str | None = None) -> tuple[float, int]:
    """One epoch of training: at most ``steps`` optimizer steps (default every batch of ``batches``).

    Parameters
    ----------
    model : torch.nn.Module
        The model to train (the DDP wrapper or compiled model where there is one).
    batches : cisflow.training.batches.TrainingBatches
        The training split's batches.
    loss_fn, optimizer : callable, torch.optim.Optimizer
    training : cisflow.config.settings.Training
        The training settings (``reverse_complement``, ``shift``).
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
    total: torch.Tensor | float = 0.0
    seen = 0
    autocast = torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=dev.type == "cuda")
    with EpochProgress(what, steps) if what else contextlib.nullcontext() as progress:
        for step, (codes, targets, features) in enumerate(batches.epoch(generator)):
            if step == steps:
                break
            codes = augment(codes, training, generator)
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


def _loss_on(outputs: np.ndarray, targets: np.ndarray, task: str,
             loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> float:
    """Validation loss from predictions (probabilities are turned back into logits for BCE)."""
    out = torch.from_numpy(outputs)
    if task == "classification":
        out = torch.logit(out.clamp(1e-6, 1 - 1e-6))
    return float(loss_fn(out, torch.from_numpy(targets)))
