"""Logging for rule scripts: everything to the rule's log file, warnings and progress to stderr too."""

import logging
import sys


def log_to(path, level=logging.INFO):
    """Send the library's log records to ``path`` (and stderr) with timestamps."""
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    handlers = [logging.FileHandler(path, mode="w"), logging.StreamHandler(sys.stderr)]
    for handler in handlers:
        handler.setFormatter(formatter)
    logging.basicConfig(level=level, handlers=handlers, force=True)
    logging.captureWarnings(True)
