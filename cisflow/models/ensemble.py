"""An experiment's members as one model: one file, loaded and used as a single model is.

The ensemble rule writes ``results/models/<experiment>/model.pt`` from the members' model files
(``results/models/<experiment>/<member>/model.pt``): with one member, that member's file as it is;
with several, one file holding every member's own payload (architecture, sizes, weights, dataset
attributes, training settings) beside the sha256 of the file it came from, so that it stands alone
as a single model file does (``cisflow predict`` and ``cisflow score-variants`` take it).

An ``Ensemble`` predicts the mean of its members' raw outputs: the mean log-odds for classification
(then the sigmoid), the mean value for regression. Gradients of that mean are the mean of the
members' gradients, so saliency and TF-MoDISco's attributions of an ensemble are its members'
averaged. Members must agree on what they predict from what (task, targets, sequence length,
padding, per-sequence features, the kind of data): anything else is refused naming the member and
the difference.
"""

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

import cisflow
from cisflow.io.atomic import atomic_path
from cisflow.io.errors import InputError
from cisflow.models.payload import build_checked, read_checked
from cisflow.models.predict import forward, record_source
from cisflow.types import PathLike

log = logging.getLogger(__name__)

SHARED = ("task", "targets", "seq_len", "padding", "features", "source")  # dataset attributes members share


class Ensemble(nn.Module):
    """The mean of the ``members``' raw outputs (logits or values); ``names`` name the members."""

    def __init__(self, members: Sequence[nn.Module], names: Sequence[str]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)
        self.names = list(names)

    def forward(self, x: torch.Tensor, features: torch.Tensor | None = None) -> torch.Tensor:
        return torch.stack([forward(member, x, features) for member in self.members]).mean(dim=0)


def members_of(model: nn.Module) -> list[nn.Module]:
    """The models an ensemble averages, or ``[model]`` for a single model."""
    return list(model.members) if isinstance(model, Ensemble) else [model]


def member_names(meta: Mapping[str, Any]) -> list[str]:
    """The names of ``members_of`` a model, from its metadata (``load_model``'s): an ensemble's
    members, a single member's own name, or ``model`` for a file that names none."""
    if "members" in meta:
        return [member["name"] for member in meta["members"]]
    return [(meta.get("member") or {}).get("name") or "model"]


def member_mean(function: Callable[..., np.ndarray], model: nn.Module, *args: Any, **kwargs: Any) -> np.ndarray:
    """The mean over ``members_of(model)`` of ``function(member, *args, **kwargs)`` (arrays): what
    an attribution of each member gives, averaged (ISM changes in probability are not those of
    the ensemble's mean log-odds)."""
    parts = [function(member, *args, **kwargs) for member in members_of(model)]
    return parts[0] if len(parts) == 1 else np.mean(parts, axis=0)


def check_members(payloads: Sequence[Mapping[str, Any]], names: Sequence[str], where: Sequence[str]) -> None:
    """Refuse members that do not predict the same outputs from the same input: each member's
    dataset attributes ``SHARED`` and strand handling against the first member's.

    ``payloads`` are the members' model payloads, ``names`` their names and ``where`` the files
    they come from (for the message)."""
    first = payloads[0]
    for payload, name, path in zip(payloads[1:], names[1:], where[1:]):
        for key in SHARED:
            mine, theirs = payload["dataset"].get(key), first["dataset"].get(key)
            if mine != theirs:
                raise InputError(path, f"member {name}: its {key} {'are' if key in ('targets', 'features') else 'is'} "
                                       f"{_shown(mine)}, member {names[0]}'s "
                                       f"{_shown(theirs)}; the members of an ensemble must predict the same outputs "
                                       "from the same input")
        mine, theirs = (p.get("training", {}).get("reverse_complement", False) for p in (payload, first))
        if mine != theirs:
            raise InputError(path, f"member {name}: trained {'with' if mine else 'without'} reverse complements, "
                                   f"member {names[0]} {'with' if theirs else 'without'}; their predictions would "
                                   "average different strands")


def _shown(value):
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def file_digest(path: PathLike) -> str:
    """sha256 of a file, read a MiB at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_ensemble(path: PathLike, member_paths: Sequence[PathLike], names: Sequence[str]) -> dict[str, Any]:
    """The ensemble rule: write the ensemble of the model files ``member_paths`` (named ``names``) to ``path``.

    Parameters
    ----------
    path : str or Path
        The ensemble's model file.
    member_paths : list of str or Path
        The members' model files (``save_model``'s), each checked as ``load_model`` checks it.
    names : list of str
        The members' names (``cisflow.training.replicates``), in the same order.

    Returns
    -------
    dict
        What was written: ``members`` (name, file, sha256) and ``version``; a single member's file
        is written as it is.
    """
    if len(member_paths) != len(names) or not names:
        raise ValueError(f"{len(member_paths)} member files for {len(names)} names")
    payloads = [read_checked(member) for member in member_paths]
    check_members(payloads, names, [str(member) for member in member_paths])
    members = [{"name": name, "file": str(member), "sha256": file_digest(member)}
               for name, member in zip(names, member_paths)]
    payload = payloads[0] if len(payloads) == 1 else {
        "ensemble": [{**entry, "model": model} for entry, model in zip(members, payloads)],
        "version": cisflow.__version__}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    log.info("%s: %s", path, "one member, " + names[0] if len(names) == 1 else
             f"ensemble of {len(names)} members ({', '.join(names)})")
    return {"members": members, "version": cisflow.__version__}


def load_ensemble(path: PathLike, payload: Mapping[str, Any],
                  device: torch.device | str | None = None) -> tuple[Ensemble, dict[str, Any]]:
    """The ``Ensemble`` of an ensemble file's ``payload`` (read from ``path`` by ``load_model``) and
    its metadata: the first member's ``dataset`` attributes (which every member shares), whether
    every member was trained on both strands, and ``members`` (name, sha256, architecture,
    training seed, held-out split, best validation score)."""
    entries = payload["ensemble"]
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) and "model" in e for e in entries):
        raise InputError(path, "an ensemble file whose member list is damaged; expected a model.pt written by "
                               "cisflow's ensemble rule (results/models/<experiment>/model.pt)")
    names = [str(entry.get("name", i + 1)) for i, entry in enumerate(entries)]
    labels = [f"{path} (member {name})" for name in names]
    models = [build_checked(label, entry["model"]) for label, entry in zip(labels, entries)]
    for member, label in zip(models, labels):
        record_source(member, label)  # named where a member's own outputs are refused (predict.check_finite)
    payloads = [entry["model"] for entry in entries]
    check_members(payloads, names, labels)
    model = Ensemble(models, names).to(device or "cpu").eval()
    meta = {
        "model_name": "ensemble of " + ", ".join(sorted({p["model_name"] for p in payloads})),
        "dataset": payloads[0]["dataset"],
        "training": {"reverse_complement": payloads[0].get("training", {}).get("reverse_complement", False)},
        "members": [{"name": name, "sha256": entry.get("sha256"), "model_name": p["model_name"],
                     "member": p.get("member"), "best_valid_score": p.get("best_valid_score")}
                    for name, entry, p in zip(names, entries, payloads)],
        "version": payload.get("version"),
    }
    return model, meta
