import pytest

from cisflow.io.atomic import atomic_dir, atomic_open


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with atomic_open(target) as out:
            out.write("half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_completed_write_appears(tmp_path):
    with atomic_open(tmp_path / "out.txt") as out:
        out.write("whole")
    assert (tmp_path / "out.txt").read_text() == "whole"


def test_atomic_dir_replaces_only_on_success(tmp_path):
    target = tmp_path / "ds"
    with atomic_dir(target) as tmp:
        (tmp / "a").write_text("1")
    with pytest.raises(RuntimeError):
        with atomic_dir(target) as tmp:
            (tmp / "a").write_text("2")
            raise RuntimeError
    assert (target / "a").read_text() == "1"
    assert [p.name for p in tmp_path.iterdir()] == ["ds"]
