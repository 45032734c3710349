"""A hyperparameter search's space: dotted paths into the experiment, and the values they set.

Search-space keys are dotted paths into the experiment, list items by index:
``training.lr``, ``model.params.dense_dropout``, ``model.params.conv.0.filters``. The paths and
spaces are checked when the workflow loads (``space_problems``), before any job runs; a trial
sets its sampled values into copies of the experiment's settings (``apply_params``), and the full
training takes the best trial's (``merge_best``). Neither torch nor Optuna is imported here, so
the Snakefile reads this module at no cost (``cisflow.training.search`` runs the trials).
"""

import copy
import dataclasses
import json
import logging
from collections.abc import Mapping
from typing import Any

from cisflow.config.settings import Training
from cisflow.io.errors import ConfigError
from cisflow.io.jsonio import read_json
from cisflow.types import PathLike

log = logging.getLogger(__name__)

ROOTS = ("model.params", "training")


def _steps(key: str) -> tuple[str, list[str]]:
    """``model.params.conv.0.filters`` -> the root (``model.params``) and the keys below it."""
    for root in ROOTS:
        if key.startswith(root + "."):
            return root, key[len(root) + 1:].split(".")
    raise ConfigError(key, f"a search key starts with {' or '.join(r + '.' for r in ROOTS)}")


def set_path(model_params: dict[str, Any], training: Training, key: str, value: Any) -> Training:
    """Set ``value`` at the dotted ``key``: a model parameter in ``model_params`` (in place), a
    training key in the settings returned (``training`` is frozen; returned as it is for a model key).

    Every step must exist in the experiment, list items by their index; only a model parameter
    that the config leaves at the model's default may be new (model params are overrides), and a
    training key must be one the experiment's training holds (the schema fills in every default
    but those of ``loss``, ``init_from``, ``max_steps_per_epoch`` and ``subsample``, which have none).
    """
    root, steps = _steps(key)
    if root == "training":
        return _set_training(training, key, steps, value)
    node: Any = model_params  # walked by the dotted key's steps
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
            if step not in node and not last:
                raise ConfigError(key, f"{where} has no key {step!r} (write it out in the experiment's config to "
                                       "search over it)")
            if last:
                node[step] = value
            else:
                node = node[step]
        else:
            raise _not_a_mapping(key, where, node)
        where = f"{where}.{step}"
    return training


def _set_training(training: Training, key: str, steps: list[str], value: Any) -> Training:
    """``training`` with the key ``steps[0]`` set to ``value``; the key must be one it holds, and a
    value, not a mapping, ends a training key (``training.lr.x`` has no place to go)."""
    held = training.to_mapping()
    if steps[0] not in held:
        raise ConfigError(key, f"training has no key {steps[0]!r}")
    if len(steps) > 1:
        raise _not_a_mapping(key, f"training.{steps[0]}", held[steps[0]])
    return dataclasses.replace(training, **{steps[0]: value})


def _not_a_mapping(key: str, where: str, value: Any) -> ConfigError:
    return ConfigError(key, f"{where} is a value ({value!r}), not a mapping or list")


def apply_params(model_params: dict[str, Any], training: Training,
                 params: Mapping[str, Any]) -> tuple[dict[str, Any], Training]:
    """A copy of ``model_params`` and the ``training`` settings with each ``{dotted key: value}`` of ``params`` set."""
    model_params = copy.deepcopy(model_params)
    for key, value in params.items():
        training = set_path(model_params, training, key, value)
    return model_params, training


def spec_problems(spec: Mapping[str, Any]) -> list[str]:
    """What is wrong with one space entry beyond what the schema checks (bounds, log, step); the entry
    as the validated config holds it (``log`` and an int's ``step`` filled in)."""
    if spec["type"] == "categorical":
        return [] if spec["choices"] else ["choices is empty"]
    problems = []
    if not spec["low"] < spec["high"]:
        problems.append(f"low ({spec['low']}) must be below high ({spec['high']})")
    if spec["log"] and spec["low"] <= 0:
        problems.append("log: true needs low > 0")
    if spec["log"] and spec.get("step") not in (None, 1 if spec["type"] == "int" else None):
        problems.append("log and step cannot be combined")
    return problems


def space_problems(where: str, model_params: dict[str, Any], training: Training,
                   space: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Every problem of a search space (its entries validated against the schema, defaults filled in),
    each line naming its key (``where`` is the config path of the space, e.g.
    ``experiments.x.search.space``); empty when the space fits the experiment."""
    problems = []
    for key, spec in space.items():
        problems += [f"{where}.{key}: {problem}" for problem in spec_problems(spec)]
        example = spec["choices"][0] if spec["type"] == "categorical" and spec["choices"] else spec.get("low")
        try:
            apply_params(model_params, training, {key: example})
        except ConfigError as error:
            problems.append(f"{where}.{error}")
    return problems


def merge_best(model_params: dict[str, Any], training: Training,
               best_path: PathLike) -> tuple[dict[str, Any], Training]:
    """The experiment's model params and training settings with the best trial's values set
    (read from ``best_path``, the search's best.json), for the full training run."""
    params = read_json(best_path)["params"]
    log.info("searched values from %s: %s", best_path, json.dumps(params))
    return apply_params(model_params, training, params)

