"""Logging for rule scripts: everything to the rule's log file and stderr, errors included.

An uncaught exception is written to the log too (its message first), so that Snakemake's
``--show-failed-logs`` shows the user which file and line were at fault. Each log also starts
with where the job ran (host, SLURM job and partition, PID, start time) and ends with how long it
took: the report's table of jobs reads them back (``job_record``). A job that can run longer than
a minute says how far it is at least twice a minute (``Progress``). A SIGTERM or SIGHUP (a
cancelled or timed-out job) ends a script through its ``finally`` blocks, so the temporary files
of unfinished outputs go (``cisflow.io.atomic.raise_on_signals``), and the log says so (exit
status 1).

A log is appended to, never truncated: another process may be writing it (a training waiting for
another run's training of the same member, ``cisflow.training.lock.exclusive_lock``), so each
attempt starts with its own start line and the record is the last attempt's. Snakemake itself
removes a job's log as it starts the job, also while another run's job still writes it: a process
whose log file was removed or replaced copies what the file held into the one now at the path and
writes on there (``JobLog``), so no attempt's lines are lost.
"""

import atexit
import datetime
import fcntl
import logging
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

from cisflow.io.atomic import raise_on_signals
from cisflow.types import PathLike

START = "cisflow job on host {host}, SLURM job {job}, partition {partition}, PID {pid}, started {started}"
END = "cisflow job (PID {pid}) finished in {seconds:.1f} s"
_START_LINE = re.compile(r"cisflow job on host (\S+), SLURM job (\S+), partition ([^\s,]+)"
                         r"(?:, PID (\d+), started (\d{4}-\d\d-\d\dT[\d:.]+[+-]\d\d:\d\d))?")
_END_LINE = re.compile(r"cisflow job (?:\(PID (\d+)\) )?finished in ([0-9.]+) s")  # no PID: logs of older versions
_LONG_AGO = datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)

PROGRESS_EVERY = 30.0  # seconds between two progress lines of a long pass


def log_to(path: PathLike, level: int = logging.INFO, header: bool = True) -> None:
    """Send the library's log records and any uncaught exception to ``path`` (appended, and to
    stderr); make SIGTERM and SIGHUP end the job by an exception (``cisflow.io.atomic.Terminated``),
    logged as an uncaught one.

    Parameters
    ----------
    path : str or Path
        The job's log file (``JobLog``).
    level : int
        The least level logged.
    header : bool
        Write the attempt's start line now and its end line at exit (``job_record`` reads them);
        False in a further process of a job that wrote them (a DDP training process).
    """
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    handlers: list[logging.Handler] = [JobLog(path), logging.StreamHandler(sys.stderr)]
    for handler in handlers:
        handler.setFormatter(formatter)
    logging.basicConfig(level=level, handlers=handlers, force=True)
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    raise_on_signals()
    if not header:
        return
    log = logging.getLogger("cisflow.job")
    log.info(START.format(host=socket.gethostname(), job=os.environ.get("SLURM_JOB_ID", "-"),
                          partition=os.environ.get("SLURM_JOB_PARTITION", "-"), pid=os.getpid(),
                          started=datetime.datetime.now().astimezone().isoformat(timespec="microseconds")))
    started = time.monotonic()
    atexit.register(lambda: log.info(END.format(pid=os.getpid(), seconds=time.monotonic() - started)))


def job_record(path: PathLike) -> dict[str, str | float | None] | None:
    """Where and how long the job of log file ``path`` ran, as its last attempt says.

    Parameters
    ----------
    path : str or Path
        A log written through ``log_to``: one attempt after another where the job ran again or
        another process shared it (each attempt's lines begin at its start line).

    Returns
    -------
    dict or None
        {host, slurm_job, partition, seconds} of the attempt that started last (by the start
        time its start line gives; by place in the file where a line has none), seconds from the
        first end line after it with its PID (None while it runs, or where it was killed); None
        for a log without a start line.
    """
    text = open(path, errors="replace").read()
    starts = list(_START_LINE.finditer(text))
    if not starts:
        return None
    start = max(starts, key=lambda line: (_start_time(line), line.start()))
    pid = start.group(4)
    end = next((line for line in _END_LINE.finditer(text, start.end()) if line.group(1) == pid), None)
    return {"host": start.group(1), "slurm_job": start.group(2), "partition": start.group(3),
            "seconds": float(end.group(2)) if end else None}


def _start_time(line: re.Match[str]) -> datetime.datetime:
    """The start time a start line gives (aware), or a time before any for one of an older version."""
    return datetime.datetime.fromisoformat(line.group(5)) if line.group(5) else _LONG_AGO


class JobLog(logging.FileHandler):
    """A job's log file, appended to, that is not lost when the file is removed under it.

    Snakemake removes a job's log as it starts the job, even while another workflow run's job of
    the same output still writes it (two runs on one experiment, the second started after
    ``snakemake --unlock``). Before each record this handler checks that its file is still the
    one at its path; where it was removed or replaced, the lines it held are copied into the file
    now at the path (created if need be), between two lines saying so, and writing goes on there.
    Processes sharing the removed file (a DDP job's) copy it once: the copy is named by the removed
    file's device and inode, unique while it is open, and made under an flock.
    """

    def __init__(self, path: PathLike) -> None:
        super().__init__(path, mode="a+", encoding="utf-8")  # a+: the lines held can be read back

    def _open(self):
        stream = super()._open()
        self.identity = _identity(os.fstat(stream.fileno()))
        return stream

    def emit(self, record: logging.LogRecord) -> None:
        if self.stream is not None and self._replaced():
            self._move_to_path()
        super().emit(record)

    def _replaced(self):
        try:
            return _identity(os.stat(self.baseFilename)) != self.identity
        except FileNotFoundError:
            return True

    def _move_to_path(self):
        removed, name = self.stream, "{}:{}".format(*self.identity)
        removed.flush()
        removed.seek(0)
        held = removed.read()
        self.stream = self._open()
        fcntl.flock(self.stream, fcntl.LOCK_EX)
        try:
            self.stream.seek(0)
            if f"(file {name})" not in self.stream.read():
                self.stream.write(self._line(f"this log was removed or replaced while PID {os.getpid()} wrote it (file "
                                             f"{name}; Snakemake removes a job's log as it starts the job): its lines "
                                             "follow, copied back") + held.rstrip("\n") + "\n"
                                  + self._line(f"end of the lines copied back (file {name})"))
                self.stream.flush()
        finally:
            fcntl.flock(self.stream, fcntl.LOCK_UN)
        removed.close()

    def _line(self, message):
        record = logging.LogRecord("cisflow.job", logging.WARNING, __file__, 0, message, None, None)
        return self.format(record) + self.terminator


def _identity(stat):
    return stat.st_dev, stat.st_ino


def _log_uncaught(kind, error, traceback):
    logging.getLogger("cisflow").error("%s: %s", kind.__name__, error, exc_info=(kind, error, traceback))


class Progress:
    """Progress lines of a long pass: what it does, how far it is and an estimate of the rest.

    Used as a context manager, a background thread logs a line each ``every`` seconds, also while
    one step of the pass is slow or the pass is one opaque call (``total`` None: elapsed time
    only); a pass shorter than ``every`` logs nothing. One that logged ends with a closing line.
    ``advance`` counts the work done (thread-safe); ``report`` logs the current line at once.

    Parameters
    ----------
    what : str
        What the pass does, as the line's head ("filter PWMs").
    total : int or None
        How much work there is, in ``unit``; None when unknown.
    unit : str
        What is counted ("sequences").
    every : float
        Seconds between two lines.
    logger : logging.Logger, optional
        Where the lines go (default ``cisflow.progress``).
    clock : callable
        Seconds as a float (``time.monotonic``); tests pass their own.

    Examples
    --------
    >>> with Progress("filter PWMs", total=len(codes), unit="sequences") as progress:
    ...     for batch in batches:
    ...         work(batch)
    ...         progress.advance(len(batch))
    """

    def __init__(self, what: str, total: int | None = None, unit: str = "", every: float = PROGRESS_EVERY,
                 logger: logging.Logger | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.what, self.total, self.unit, self.every = what, total, unit, every
        self.log = logger or logging.getLogger("cisflow.progress")
        self.clock = clock
        self.done = 0
        self.reported = 0
        self.started = clock()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more units of work done."""
        with self._lock:
            self.done += n

    def line(self) -> str:
        """The current progress line (without logging it)."""
        elapsed = self.clock() - self.started
        with self._lock:
            done = self.done
        if self.total is None:
            amount = f"{done:,} {self.unit}".rstrip() if done else "running"
            return f"{self.what}: {amount}, {_duration(elapsed)} so far"
        fraction = done / self.total if self.total else 1.0
        rest = (f"about {_duration(elapsed * (self.total - done) / done)} left" if done
                else "rest not yet known")
        return (f"{self.what}: {done:,} of {self.total:,} {self.unit}".rstrip()
                + f" ({fraction:.0%}) in {_duration(elapsed)}, {rest}")

    def report(self) -> None:
        """Log the current progress line."""
        self.reported += 1
        self.log.info(self.line())

    def __enter__(self) -> Self:
        self.started = self.clock()
        self._ticker = threading.Thread(target=self._tick, name=f"progress: {self.what}", daemon=True)
        self._ticker.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self.reported and kind is None:
            self.log.info("%s: done, %s", self.what, _duration(self.clock() - self.started))

    def _tick(self) -> None:
        while not self._stop.wait(self.every):
            self.report()


def _duration(seconds: float) -> str:
    """Seconds as a short text: '42 s', '3.5 min', '2.1 h'."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
