"""JSON as the standard has it: no NaN or Infinity, written whole or not at all.

Python's ``json`` writes a float NaN as a bare ``NaN`` (and inf as ``Infinity``), which is not JSON:
``JSON.parse``, jq and most other readers refuse the whole file. Every JSON file cisflow writes goes
through ``write_json``: a float that is not finite becomes ``null`` (where a value is null for a
reason, the writer puts the reason beside it, e.g. ``truth_auroc_note``), numpy scalars and arrays
their Python values, paths their text; anything else JSON cannot hold fails the write
(``allow_nan=False`` guards the rule). A reader takes null wherever NaN used to be (``is_number``, ``shown``).
"""

import json
import math
import numbers
import os
from typing import Any

import numpy as np

from cisflow.io.atomic import atomic_open
from cisflow.types import PathLike


def finite_or_none(value: float | None) -> float | None:
    """``value`` (a number or None) if it is a finite number, else None: what JSON can hold of it."""
    return value if value is not None and math.isfinite(value) else None


def is_number(value: object) -> bool:
    """Whether a value read back from JSON is a number, not the null of an undefined one (a NaN
    from a file written before null replaced it counts as undefined too)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def shown(value: object, spec: str = ".3f", undefined: str = "n/a") -> str:
    """A number read back from JSON formatted by ``spec``, or ``undefined`` where it is null (or NaN)."""
    return format(value, spec) if is_number(value) else undefined


def jsonable(value: Any) -> Any:
    """``value`` with every part JSON can hold as it is: dicts (keys as text), lists, text, ints,
    finite floats, booleans and None; non-finite floats become None.

    Parameters
    ----------
    value : any
        Nested dicts, lists and tuples of Python or numpy scalars, numpy arrays, paths and None.

    Returns
    -------
    any
        The same structure in plain Python values.
    """
    if isinstance(value, dict):
        return {_key(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [jsonable(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return finite_or_none(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def _key(key: Any) -> Any:
    return key.item() if isinstance(key, np.generic) else key


def json_text(value: Any, **options: Any) -> str:
    """``value`` as JSON text (``jsonable``'s, so valid JSON); ``options`` go to ``json.dumps``
    (``indent``, ``sort_keys``)."""
    return json.dumps(jsonable(value), allow_nan=False, **options)


def write_json(path: PathLike, value: Any, indent: int | None = 2, **options: Any) -> None:
    """Write ``value`` to ``path`` as JSON (``json_text``) atomically, a newline at the end.

    Parameters
    ----------
    path : str or Path
        The file; it appears only once whole (``cisflow.io.atomic``).
    value : any
        What ``jsonable`` takes.
    indent : int or None
        Spaces a level (None: one line).
    **options
        Further ``json.dumps`` options (``sort_keys``).
    """
    text = json_text(value, indent=indent, **options)
    with atomic_open(path) as out:
        out.write(text + "\n")


def read_json(path: PathLike) -> Any:
    """The JSON file at ``path``, as ``json.load`` reads it."""
    with open(path) as handle:
        return json.load(handle)
