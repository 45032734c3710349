"""Logging for rule scripts: everything to the rule's log file and stderr, errors included.

An uncaught exception is written to the log too (its message first), so that Snakemake's
``--show-failed-logs`` shows the user which file and line were at fault. Each log also starts
with where the job ran (host, SLURM job and partition) and ends with how long it took: the
report's table of jobs reads them back (``job_record``).
"""

import atexit
import logging
import os
import re
import socket
import sys
import time

START = "cisflow job on host {host}, SLURM job {job}, partition {partition}"
END = "cisflow job finished in {seconds:.1f} s"
_START_LINE = re.compile(r"cisflow job on host (\S+), SLURM job (\S+), partition (\S+)")
_END_LINE = re.compile(r"cisflow job finished in ([0-9.]+) s")


def log_to(path, level=logging.INFO, append=False):
    """Send the library's log records and any uncaught exception to ``path`` (and stderr)."""
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    handlers = [logging.FileHandler(path, mode="a" if append else "w"), logging.StreamHandler(sys.stderr)]
    for handler in handlers:
        handler.setFormatter(formatter)
    logging.basicConfig(level=level, handlers=handlers, force=True)
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
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
