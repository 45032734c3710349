"""Logging for rule scripts: everything to the rule's log file and stderr, errors included.

An uncaught exception is written to the log too (its message first), so that Snakemake's
``--show-failed-logs`` shows the user which file and line were at fault.
"""

import logging
import sys


def log_to(path, level=logging.INFO, append=False):
    """Send the library's log records and any uncaught exception to ``path`` (and stderr)."""
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    handlers = [logging.FileHandler(path, mode="a" if append else "w"), logging.StreamHandler(sys.stderr)]
    for handler in handlers:
        handler.setFormatter(formatter)
    logging.basicConfig(level=level, handlers=handlers, force=True)
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught


def _log_uncaught(kind, error, traceback):
    logging.getLogger("cisflow").error("%s: %s", kind.__name__, error, exc_info=(kind, error, traceback))
