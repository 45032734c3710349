"""The config check of each experiment's ``model`` (its name and ``params``), run when the workflow
loads, before any job.

The check reads what each registered model takes from ``cisflow/models/parameters.json`` rather
than from the builders themselves: importing them imports torch, which would add a second to every
``snakemake`` start. The file is written from the builders (``cisflow.models.registry.parameters``)
by ``python -m cisflow.models.params``; tests/test_models.py fails when it is out of date.
"""

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cisflow.io.jsonio import write_json

PARAMETERS = Path(__file__).parent / "parameters.json"


def model_problems(key: str, model: Mapping[str, Any], accepted: Mapping[str, Any] | None = None) -> list[str]:
    """Problems of an experiment's ``model`` entry (``key``, e.g. ``experiments.x.model``): a name
    that is not registered, ``params`` keys its builder does not take, and layer dicts with keys
    a layer does not take or without those it needs. ``accepted`` defaults to parameters.json."""
    accepted = accepted if accepted is not None else json.loads(PARAMETERS.read_text())
    name = model["name"]
    if name not in accepted:
        return [f"{key}.name: no model {name!r}; registered models: {', '.join(sorted(accepted))}"]
    problems = []
    for param, value in model.get("params", {}).items():
        if param not in accepted[name]:
            problems.append(f"{key}.params.{param}: model {name} takes no parameter {param!r}; "
                            f"its parameters: {', '.join(sorted(accepted[name]))}")
        elif accepted[name][param] is not None and isinstance(value, list):
            problems += _layer_problems(f"{key}.params.{param}", value, **accepted[name][param])
    return problems


def _layer_problems(key, layers, required, optional):
    takes = f"a layer takes {', '.join(required)} and optionally {', '.join(optional)}"
    problems = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict):
            problems.append(f"{key}.{i}: {layer!r} is not a mapping; {takes}")
            continue
        problems += [f"{key}.{i}.{name}: unknown layer key {name!r}; {takes}"
                     for name in layer if name not in required and name not in optional]
        problems += [f"{key}.{i}: missing key {name!r}; {takes}" for name in required if name not in layer]
    return problems


def current() -> dict[str, dict[str, dict[str, list[str]] | None]]:
    """What every registered model takes, from the builders (imports torch)."""
    from cisflow.models.registry import parameters, registered

    return {name: parameters(name) for name in sorted(registered())}


if __name__ == "__main__":
    write_json(PARAMETERS, current(), indent=1, sort_keys=True)
    print(f"wrote {PARAMETERS}", file=sys.stderr)
