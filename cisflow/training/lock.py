"""The member lock: one training of a member at a time, a second one waiting for the first.

Two trainings of one member (two workflow runs on one experiment, the second started after
``snakemake --unlock`` while the first trains) must not write, or delete, each other's files: a
lock beside resume.pt (``exclusive_lock``) makes the second wait, saying once and then every few
minutes whose training it waits for, rather than fail (a failed job's outputs are deleted by
Snakemake, and by then they may be the first run's finished model). Holding the lock, it goes on
as any rerun does: from resume.pt where the first stopped early, and where the first finished
its training with the same settings (the model file records their digest) it keeps that model
and history as they are, without an epoch (``cisflow.training.resume.finished_meanwhile``). Job
logs are appended to, so the waiting job's lines do not wipe the first's (``cisflow.io.logs``).

What this cannot prevent, since Snakemake does it before any of this code runs: a job's start
removes its existing outputs and its log (``Job.prepare``). Where the first run finishes between
the second planning its job and starting it, the second's start deletes the first's fresh
model.pt and history.tsv, and the first run then fails (MissingOutputException) or its later jobs
miss their input; the second trains the member again. A second run that fails or is interrupted
in the moments between the first finishing and the second keeping its model deletes them too
(Snakemake removes a failed job's outputs). The first's log survives its removal: its process
copies its lines back into the file at the path (``cisflow.io.logs.JobLog``).
"""

import contextlib
import fcntl
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from cisflow.types import PathLike

log = logging.getLogger(__name__)

LOCK_REMINDER_S = 300.0  # seconds between two lines of a training that waits for another's lock


def member_lock(resume_path: PathLike) -> contextlib.AbstractContextManager[bool]:
    """The lock of the training that writes ``resume_path``.

    Parameters
    ----------
    resume_path : str or Path
        The member's resume checkpoint (results/models/<experiment>/<member>/resume.pt).

    Returns
    -------
    contextlib.AbstractContextManager
        ``exclusive_lock`` on the ``.train.lock`` beside it, yielding whether it waited.
    """
    return exclusive_lock(Path(resume_path).with_name(".train.lock"))


@contextlib.contextmanager
def exclusive_lock(path: PathLike) -> Iterator[bool]:
    """Hold the lock file ``path`` (flock) for the whole training, this process's PID, host and
    start time written in it: two trainings of one experiment would write, and delete, the same
    resume.pt. While another process holds it, wait, logging whose training this waits for once
    and then every ``LOCK_REMINDER_S`` seconds.

    Parameters
    ----------
    path : str or Path
        The lock file, ``.train.lock`` in the member's directory (results/models/<experiment>/<member>).

    Yields
    ------
    bool
        Whether this process had to wait for another: that one may have finished the training
        meanwhile (``cisflow.training.resume.finished_meanwhile``).
    """
    lock_path = Path(path)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:  # a+: the holder's line stays readable until this process has the lock
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            waited = False
        except BlockingIOError:
            _wait_for_lock(handle, lock_path)
            waited = True
        handle.seek(0)
        handle.truncate()
        handle.write(f"PID {os.getpid()} on host {socket.gethostname()} (since {time.strftime('%Y-%m-%d %H:%M:%S')})\n")
        handle.flush()
        yield waited


def _wait_for_lock(handle: TextIO, path: Path) -> None:
    """Block until this process holds the flock on ``handle`` (the lock file ``path``), saying
    whose training it waits for now and every ``LOCK_REMINDER_S`` seconds."""
    what = "/".join(path.parent.parts[-2:])

    def say(holder: str) -> None:
        log.info("waiting for the training of %s held by %s to end (lock %s): two trainings must not write the same "
                 "files at once; this one then goes on from where that one got to", what, holder, path)

    say(_holder(path))
    done = threading.Event()

    def remind() -> None:
        while not done.wait(LOCK_REMINDER_S):
            say(_holder(path))

    reminder = threading.Thread(target=remind, name="lock-wait", daemon=True)
    reminder.start()
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
    finally:
        done.set()
        reminder.join()


def _holder(path: PathLike) -> str:
    """Who holds the lock file ``path``, as its holder wrote it ("PID p on host h (since t)")."""
    return Path(path).read_text().strip() or "a process that has not yet written its PID"
