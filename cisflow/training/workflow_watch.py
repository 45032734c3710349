"""A training job that ends with the workflow that started it.

A job started by the workflow stops when the workflow's process is gone (``stop_with_workflow``)
instead of training on as an orphan that would delete resume.pt under a rerun. Files are written
holding ``writing_files``, so a job stopped this way never leaves half of one.
"""

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypedDict

log = logging.getLogger(__name__)

SHELLS = {"sh", "bash", "dash", "zsh", "ksh"}
WORKFLOW_POLL_S = 2.0
writing_files = threading.Lock()  # held while files are written: a stopped orphan never leaves half of one


@contextlib.contextmanager
def stop_with_workflow(before_exit: Callable[[], object] | None = None) -> Iterator[None]:
    """While in this block, end this process (exit status 1) soon after the workflow that started
    it is gone: a training job whose Snakemake was killed (kill -9) would otherwise train on as an
    orphan and delete resume.pt under a rerun. The workflow is the parent process or, where that
    is a shell (a job's command may run under ``bash -c``), the first ancestor that is not one; it
    is gone once this process has another parent or the workflow has ended. ``before_exit`` runs
    first (the DDP launcher stops torchrun there); no file is left half written (``writing_files``)."""
    parent = workflow = os.getppid()
    watched: list[tuple[int, str]] = []  # (pid, start time): a PID reused by a new process is not the workflow
    while (info := _process(workflow)) is not None:
        watched.append((workflow, info["start"]))
        if info["name"] not in SHELLS or info["parent"] <= 1:
            break
        workflow = info["parent"]
    done = threading.Event()

    def gone() -> bool:
        return os.getppid() != parent or any(
            (info := _process(pid)) is None or info["state"] == "Z" or info["start"] != start for pid, start in watched)

    def watch() -> None:
        while not done.wait(WORKFLOW_POLL_S):
            if gone():
                log.error("the workflow that started this training (PID %d) is gone: stopping; a rerun resumes "
                          "after the last finished epoch", workflow)
                if before_exit is not None:
                    before_exit()
                writing_files.acquire()
                logging.shutdown()
                os._exit(1)

    threading.Thread(target=watch, name="workflow-watch", daemon=True).start()
    try:
        yield
    finally:
        done.set()


class _Process(TypedDict):
    name: str
    state: str
    parent: int
    start: str


def _process(pid: int) -> _Process | None:
    """Name, state, parent and start time of process ``pid`` (Linux /proc), or None where there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
    return {"name": name, "state": fields[0], "parent": int(fields[1]), "start": fields[19]}
