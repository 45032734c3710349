import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cisflow.io.atomic import HOST, atomic_dir, atomic_open, cleanup_on_signals, part_prefix, remove_stale_parts
from cisflow.io.errors import InputError


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


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_an_output_that_is_not_a_regular_file_is_refused_and_left_as_it_is(tmp_path, kind):
    """The rename onto the path would replace /dev/null or a named pipe with a file."""
    if kind == "device":
        target, problem = Path("/dev/null"), "is a character device, not a regular file"
    else:
        target, problem = tmp_path / "pipe", "is a named pipe (FIFO), not a regular file"
        os.mkfifo(target)
    with pytest.raises(InputError, match=re.escape(f"{target}: the output {problem}")):
        with atomic_open(target) as out:
            out.write("x")
    assert (stat.S_ISCHR if kind == "device" else stat.S_ISFIFO)(os.lstat(target).st_mode)
    assert not [p for p in target.parent.iterdir() if p.name.startswith(f".{target.name}.")]
    not_a_folder = problem.replace("regular file", "directory")
    with pytest.raises(InputError, match=re.escape(f"{target}: the output {not_a_folder}")):
        with atomic_dir(target):
            pass


def test_a_symlinked_output_is_written_through_and_stays_a_link(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "out.txt").write_text("old")
    link = tmp_path / "out.txt"
    link.symlink_to(tmp_path / "real" / "out.txt")
    chain = tmp_path / "chain.txt"
    chain.symlink_to(link)
    with atomic_open(chain) as out:
        out.write("new")
    assert link.is_symlink() and chain.is_symlink() and (tmp_path / "real" / "out.txt").read_text() == "new"
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["out.txt"]


def test_a_dangling_symlink_is_written_where_it_points_if_that_folder_exists(tmp_path):
    (tmp_path / "real").mkdir()
    link, missing = tmp_path / "out.txt", tmp_path / "gone" / "out.txt"
    link.symlink_to(tmp_path / "real" / "new.txt")
    with atomic_open(link) as out:
        out.write("new")
    assert link.is_symlink() and (tmp_path / "real" / "new.txt").read_text() == "new"
    link.unlink()
    link.symlink_to(missing)
    with pytest.raises(InputError, match=re.escape(f"{link}: the output is a symlink to {missing}, whose folder "
                                                   "does not exist")):
        with atomic_open(link) as out:
            out.write("new")
    assert link.is_symlink() and not missing.parent.exists()


def test_an_output_inside_a_file_is_refused(tmp_path):
    (tmp_path / "file.txt").write_text("keep")
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'file.txt' / 'sub' / 'out.txt'}: the output is "
                                                   f"inside {tmp_path / 'file.txt'}, which is a regular file, not a "
                                                   "directory")):
        with atomic_open(tmp_path / "file.txt" / "sub" / "out.txt") as out:
            out.write("new")
    assert [p.name for p in tmp_path.iterdir()] == ["file.txt"] and (tmp_path / "file.txt").read_text() == "keep"


def test_a_symlinked_output_folder_is_replaced_through_the_link(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "old").write_text("1")
    link = tmp_path / "ds"
    link.symlink_to(tmp_path / "real")
    with atomic_dir(link) as tmp:
        (tmp / "new").write_text("2")
    assert link.is_symlink() and [p.name for p in (tmp_path / "real").iterdir()] == ["new"]


def ended_pid():
    """The pid of a process that has ended (and been waited for)."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(child.stdout)


def test_parts_left_by_ended_processes_of_this_host_are_removed_by_the_next_write(tmp_path):
    dead, live = ended_pid(), os.getppid()
    assert part_prefix("out.txt") == f".out.txt.{HOST}-{os.getpid()}-"
    stale_file = tmp_path / f".out.txt.{HOST}-{dead}-abc_1234.part"
    stale_dir = tmp_path / f".cisflow.{HOST}-{dead}-zz9.part"
    kept = [tmp_path / f".cisflow.{HOST}-{live}-a1.part", tmp_path / f".out.txt.{HOST}-{os.getpid()}-b2.part",
            tmp_path / f".cisflow.other-host-{dead}-c3.part", tmp_path / f"cisflow.{HOST}-{dead}-d4.part"]
    stale_file.write_text("half")
    stale_dir.mkdir()
    (stale_dir / "table.tsv").write_text("half")
    for path in kept:
        path.mkdir()
    with atomic_open(tmp_path / "out.txt") as out:
        out.write("whole")
    assert sorted(tmp_path.iterdir()) == sorted([*kept, tmp_path / "out.txt"])
    assert remove_stale_parts(tmp_path) == []


STALLED_WRITER = """
import pathlib, signal, sys
from cisflow.io.atomic import atomic_open, cleanup_on_signals

with cleanup_on_signals(), atomic_open(sys.argv[1]) as out:
    out.write("half")
    out.flush()
    pathlib.Path(sys.argv[2]).write_text("writing")
    signal.pause()
"""


def hangup_as_from_a_terminal():
    """In the child before it starts: SIGHUP at its default action, as for a command typed in a terminal.
    A test run under nohup (or a CI runner that ignores SIGHUP) passes SIG_IGN on, and an ignored SIGHUP
    rightly stays ignored (raise_on_signals leaves it)."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_terminated_write_removes_its_temporary_file(tmp_path, signum):
    """A process inside ``cleanup_on_signals`` killed mid-write: its `except BaseException` runs."""
    (tmp_path / "out.txt").write_text("old")
    sync = tmp_path / "sync"
    writer = subprocess.Popen([sys.executable, "-c", STALLED_WRITER, tmp_path / "out.txt", sync], text=True,
                              stderr=subprocess.PIPE, preexec_fn=hangup_as_from_a_terminal)
    wait_for(sync, writer)
    assert len(list(tmp_path.glob(".out.txt.*.part"))) == 1
    writer.send_signal(signum)
    assert writer.wait(timeout=60) == 1 and f"terminated by {signum.name}" in writer.stderr.read()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt", "sync"]
    assert (tmp_path / "out.txt").read_text() == "old"


RULE_SCRIPT = """
import pathlib, signal, sys
from cisflow.io.atomic import atomic_open
from cisflow.io.logs import log_to

log_to(sys.argv[3])
with atomic_open(sys.argv[1]) as out:
    pathlib.Path(sys.argv[2]).write_text("writing")
    signal.pause()
"""


def test_a_rule_script_terminated_mid_write_logs_it_and_leaves_no_temporary_file(tmp_path):
    """Every rule script starts with cisflow.io.logs.log_to, which makes SIGTERM raise."""
    sync, log = tmp_path / "sync", tmp_path / "job.log"
    script = subprocess.Popen([sys.executable, "-c", RULE_SCRIPT, tmp_path / "out.txt", sync, log], text=True,
                              stderr=subprocess.PIPE)
    wait_for(sync, script)
    script.terminate()
    assert script.wait(timeout=60) == 1
    assert "Terminated: terminated by SIGTERM; unfinished outputs removed" in log.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job.log", "sync"]


def wait_for(sync, process):
    """Wait until ``process`` writes the file ``sync`` (a hang guard of 60 s)."""
    for _ in range(6000):
        if sync.exists() or process.poll() is not None:
            break
        time.sleep(0.01)
    assert sync.exists(), process.stderr.read() if process.poll() is not None else "no sync file in 60 s"


def test_signal_handlers_are_restored_and_an_ignored_signal_stays_ignored():
    previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, signal.SIG_DFL),
                signal.SIGHUP: signal.signal(signal.SIGHUP, signal.SIG_IGN)}
    try:
        with cleanup_on_signals():
            assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN)
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
        assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)) == (signal.SIG_DFL, signal.SIG_IGN)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
