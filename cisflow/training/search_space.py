"""A hyperparameter search's space: dotted paths into the experiment, and the values they set.

Search-space keys are dotted paths into the experiment, list items by index:
``training.lr``, ``model.params.dense_dropout``, ``model.params.conv.0.filters``. The paths and
spaces are checked when the workflow loads (``space_problems``), before any job runs; a trial
sets its sampled values into copies of the experiment's settings (``apply_params``), and the full
training takes the best trial's (``merge_best``). Neither torch nor Optuna is imported here, so
the Snakefile reads this module at no cost (``cisflow.training.search`` runs the trials).
"""

import copy
import json
import logging
from collections.abc import Mapping
from typing import Any

from cisflow.io.errors import ConfigError
from cisflow.io.jsonio import read_json
from cisflow.training.settings import TrainingSettings
from cisflow.types import PathLike

log = logging.getLogger(__name__)

ROOTS = ("model.params", "training")


def _steps(key: str) -> tuple[str, list[str]]:
    """``model.params.conv.0.filters`` -> the root (``model.params``) and the keys below it."""
    for root in ROOTS:
        if key.startswith(root + "."):
            return root, key[len(root) + 1:].split(".")
    raise ConfigError(key, f"a search key starts with {' or '.join(r + '.' for r in ROOTS)}")


def set_path(model_params: dict[str, Any], training: TrainingSettings, key: str, value: Any) -> None:
    """Set ``value`` at the dotted ``key`` in ``model_params`` or ``training`` (in place).

    Every step must exist in the experiment, list items by their index; only a model parameter
    that the config leaves at the model's default may be new (model params are overrides), and a
    training key must exist (the schema fills in every default but ``loss``).
    """
    root, steps = _steps(key)
    node: Any = model_params if root == "model.params" else training  # walked by the dotted key's steps
    where = root
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        if isinstance(node, list):
            if not step.isdigit() or int(step) >= len(node):
                raise ConfigError(key, f"{where} is a list of {len(node)} items; {step!r} is not one of its indices")
            if last:
                node[int(step)] = value
            else:
                node = node[int(step)]
        elif isinstance(node, dict):
            if step not in node and not (last and root == "model.params"):
                raise ConfigError(key, f"{where} has no key {step!r}" + (
                    " (write it out in the experiment's config to search over it)" if root == "model.params" else ""))
            if last:
                node[step] = value
            else:
                node = node[step]
        else:
            raise ConfigError(key, f"{where} is a value ({node!r}), not a mapping or list")
        where = f"{where}.{step}"


def apply_params(model_params: dict[str, Any], training: TrainingSettings,
                 params: Mapping[str, Any]) -> tuple[dict[str, Any], TrainingSettings]:
    """Copies of ``model_params`` and ``training`` with each ``{dotted key: value}`` of ``params`` set."""
    model_params, training = copy.deepcopy(model_params), copy.deepcopy(training)
    for key, value in params.items():
        set_path(model_params, training, key, value)
    return model_params, training


def spec_problems(spec: Mapping[str, Any]) -> list[str]:
    """What is wrong with one space entry beyond what the schema checks (bounds, log, step)."""
    if spec["type"] == "categorical":
        return [] if spec["choices"] else ["choices is empty"]
    problems = []
    if not spec["low"] < spec["high"]:
        problems.append(f"low ({spec['low']}) must be below high ({spec['high']})")
    if spec.get("log") and spec["low"] <= 0:
        problems.append("log: true needs low > 0")
    if spec.get("log") and spec.get("step") not in (None, 1 if spec["type"] == "int" else None):
        problems.append("log and step cannot be combined")
    return problems


def space_problems(where: str, model_params: dict[str, Any], training: TrainingSettings,
                   space: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Every problem of a search space, each line naming its key (``where`` is the config path of
    the space, e.g. ``experiments.x.search.space``); empty when the space fits the experiment."""
    problems = []
    for key, spec in space.items():
        problems += [f"{where}.{key}: {problem}" for problem in spec_problems(spec)]
        example = spec["choices"][0] if spec["type"] == "categorical" and spec["choices"] else spec.get("low")
        try:
            apply_params(model_params, training, {key: example})
        except ConfigError as error:
            problems.append(f"{where}.{error}")
    return problems


def merge_best(model_params: dict[str, Any], training: TrainingSettings,
               best_path: PathLike) -> tuple[dict[str, Any], TrainingSettings]:
    """The experiment's model params and training settings with the best trial's values set
    (read from ``best_path``, the search's best.json), for the full training run."""
    params = read_json(best_path)["params"]
    log.info("searched values from %s: %s", best_path, json.dumps(params))
    return apply_params(model_params, training, params)

