"""Logging for rule scripts: everything to the rule's log file and stderr, errors included.

An uncaught exception is written to the log too (its message first), so that Snakemake's
``--show-failed-logs`` shows the user which file and line were at fault. Each log also starts
with where the job ran (host, SLURM job and partition) and ends with how long it took: the
report's table of jobs reads them back (``job_record``). A job that can run longer than a minute
says how far it is at least twice a minute (``Progress``). A SIGTERM or SIGHUP (a cancelled or
timed-out job) ends a script through its ``finally`` blocks, so the temporary files of unfinished
outputs go (``cisflow.io.atomic.raise_on_signals``), and the log says so (exit status 1).
"""

import atexit
import logging
import os
import re
import socket
import sys
import threading
import time

from cisflow.io.atomic import raise_on_signals

START = "cisflow job on host {host}, SLURM job {job}, partition {partition}"
END = "cisflow job finished in {seconds:.1f} s"
_START_LINE = re.compile(r"cisflow job on host (\S+), SLURM job (\S+), partition (\S+)")
_END_LINE = re.compile(r"cisflow job finished in ([0-9.]+) s")

PROGRESS_EVERY = 30.0  # seconds between two progress lines of a long pass


def log_to(path, level=logging.INFO, append=False):
    """Send the library's log records and any uncaught exception to ``path`` (and stderr); make
    SIGTERM and SIGHUP end the job by an exception (``cisflow.io.atomic.Terminated``), logged as
    an uncaught one."""
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    handlers = [logging.FileHandler(path, mode="a" if append else "w"), logging.StreamHandler(sys.stderr)]
    for handler in handlers:
        handler.setFormatter(formatter)
    logging.basicConfig(level=level, handlers=handlers, force=True)
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    raise_on_signals()
    log = logging.getLogger("cisflow.job")
    log.info(START.format(host=socket.gethostname(), job=os.environ.get("SLURM_JOB_ID", "-"),
                          partition=os.environ.get("SLURM_JOB_PARTITION", "-")))
    started = time.monotonic()
    atexit.register(lambda: log.info(END.format(seconds=time.monotonic() - started)))


def job_record(path):
    """Where and how long the job of log file ``path`` ran: {host, slurm_job, partition, seconds}
    (seconds None for a job that has not finished), or None for a log without the start line."""
    text = open(path, errors="replace").read()
    start = _START_LINE.search(text)
    if start is None:
        return None
    end = _END_LINE.search(text)
    return {"host": start.group(1), "slurm_job": start.group(2), "partition": start.group(3),
            "seconds": float(end.group(1)) if end else None}


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

    def __init__(self, what, total=None, unit="", every=PROGRESS_EVERY, logger=None, clock=time.monotonic):
        self.what, self.total, self.unit, self.every = what, total, unit, every
        self.log = logger or logging.getLogger("cisflow.progress")
        self.clock = clock
        self.done = 0
        self.reported = 0
        self.started = clock()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker = None

    def advance(self, n=1):
        """Count ``n`` more units of work done."""
        with self._lock:
            self.done += n

    def line(self):
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

    def report(self):
        """Log the current progress line."""
        self.reported += 1
        self.log.info(self.line())

    def __enter__(self):
        self.started = self.clock()
        self._ticker = threading.Thread(target=self._tick, name=f"progress: {self.what}", daemon=True)
        self._ticker.start()
        return self

    def __exit__(self, kind, error, traceback):
        self._stop.set()
        self._ticker.join()
        if self.reported and kind is None:
            self.log.info("%s: done, %s", self.what, _duration(self.clock() - self.started))

    def _tick(self):
        while not self._stop.wait(self.every):
            self.report()


def _duration(seconds):
    """Seconds as a short text: '42 s', '3.5 min', '2.1 h'."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
