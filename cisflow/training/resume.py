"""A training's state on disk: the resume checkpoint each epoch ends with, and the history.

Each epoch ends with a resume checkpoint (model, optimiser, scheduler, RNG states, history, best
state, resolved config, dataset attributes, package version) beside the member's model file; a
killed run started again with the same settings (``settings_digest``) continues after the last
finished epoch, and a checkpoint that cannot be read is set aside and training starts afresh. A
training that waited for another's lock (``cisflow.training.lock``) keeps what that one finished
with the same settings (``finished_meanwhile``). The per-epoch history is a TSV of
``HISTORY_COLUMNS``.
"""

import csv
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterable, Mapping
from typing import Any

import torch
from torch import nn
from torch.optim.lr_scheduler import ReduceLROnPlateau

from cisflow.io.atomic import atomic_open, atomic_path
from cisflow.training.workflow_watch import writing_files
from cisflow.types import PathLike

log = logging.getLogger(__name__)

HISTORY_COLUMNS = ["epoch", "train_loss", "valid_loss", "valid_score", "lr", "seconds", "seqs_per_s"]


def settings_digest(*parts: object) -> str:
    """Digest of everything that defines a run: a resume checkpoint is used only if it matches."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def save_resume(path: PathLike, run: Mapping[str, Any], model: nn.Module, optimizer: torch.optim.Optimizer,
                scheduler: ReduceLROnPlateau, generator: torch.Generator, state: Mapping[str, Any]) -> None:
    """The resume checkpoint: everything to continue (model, optimiser, scheduler, every RNG, the
    history and best state) and to know what it was (resolved config, dataset attributes, version)."""
    payload = {**run, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
               "scheduler": scheduler.state_dict(), "generator": generator.get_state(),
               "torch_rng": torch.get_rng_state(),
               "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
               "state": state}
    with writing_files, atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_resume(path: PathLike, digest: str, model: nn.Module, optimizer: torch.optim.Optimizer,
                scheduler: ReduceLROnPlateau, generator: torch.Generator, main: bool = True) -> dict[str, Any] | None:
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


def write_history(path: PathLike, history: Iterable[Mapping[str, float]]) -> None:
    """The per-epoch ``history`` (rows of ``HISTORY_COLUMNS``) as a TSV at ``path``, floats to 6 digits."""
    with atomic_open(path) as out:
        out.write("\t".join(HISTORY_COLUMNS) + "\n")
        for row in history:
            out.write("\t".join(f"{row[c]:.6g}" if isinstance(row[c], float) else str(row[c])
                                for c in HISTORY_COLUMNS) + "\n")


def read_history(path: PathLike) -> list[dict[str, float]]:
    """The rows of the history TSV at ``path`` (``write_history``'s), epochs as int, the rest as float."""
    with open(path) as handle:
        return [{column: int(value) if column == "epoch" else float(value) for column, value in row.items()}
                for row in csv.DictReader(handle, delimiter="\t")]


def finished_meanwhile(model_out: PathLike, history_out: PathLike, digest: str, main: bool) -> dict[str, Any] | None:
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
    history = read_history(history_out)
    if main:
        log.info("%s and %s were written by the training of these settings (%s) that this one waited for: kept as "
                 "they are, no epoch run", model_out, history_out, digest)
    return {"epoch": saved["epochs_run"], "best_score": saved["best_valid_score"], "history": history}
