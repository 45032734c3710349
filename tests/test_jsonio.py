"""JSON as the standard has it: a NaN or an infinity is written as null, never as a bare NaN."""

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from cisflow.io.jsonio import is_number, json_text, jsonable, shown, write_json

ROOT = Path(__file__).resolve().parents[1]


def strict_json(path):
    """The JSON file at ``path``, refusing NaN and Infinity as a standard reader (JSON.parse, jq) does."""
    def refuse(constant):
        raise ValueError(f"{path}: {constant} is not JSON")

    return json.loads(Path(path).read_text(), parse_constant=refuse)


def test_non_finite_numbers_are_written_as_null_and_numpy_values_as_python_ones(tmp_path):
    value = {"auroc": float("nan"), "spread": [np.float32("inf"), -math.inf, np.float64(0.5)], np.int64(3): np.int64(7),
             "flags": np.array([True, False]), "path": tmp_path, "note": None, "nested": ({"x": np.nan},)}
    write_json(tmp_path / "out.json", value)
    assert strict_json(tmp_path / "out.json") == {
        "auroc": None, "spread": [None, None, 0.5], "3": 7, "flags": [True, False], "path": str(tmp_path),
        "note": None, "nested": [{"x": None}]}
    assert (tmp_path / "out.json").read_text().endswith("}\n")
    assert json_text({"b": 1, "a": [np.nan]}, sort_keys=True) == '{"a": [null], "b": 1}'
    assert jsonable(np.arange(3)) == [0, 1, 2]


def test_what_json_cannot_hold_fails_the_write_and_leaves_nothing(tmp_path):
    with pytest.raises(TypeError, match="not JSON serializable"):
        write_json(tmp_path / "out.json", {"model": object()})
    assert list(tmp_path.iterdir()) == []


def test_a_number_read_back_is_shown_or_said_to_be_undefined():
    assert [is_number(value) for value in (0.5, 3, np.float32(1), None, float("nan"), True, "1")] == \
        [True, True, True, False, False, False, False]
    assert shown(0.12345) == "0.123" and shown(None) == "n/a" and shown(float("nan"), ".2g", "—") == "—"


def test_every_json_file_cisflow_writes_goes_through_write_json():
    """A json.dump or json.dumps written to a file anywhere else would write a bare NaN again."""
    direct = re.compile(r"json\.dump\(|write(_text)?\(json\.dumps")
    found = [f"{path.relative_to(ROOT)}:{number}" for folder in ("cisflow", "scripts")
             for path in sorted((ROOT / folder).rglob("*.py")) if path.name != "jsonio.py"
             for number, line in enumerate(path.read_text().splitlines(), 1) if direct.search(line)]
    assert found == []
