"""Opening text inputs whatever their compression: gzip is recognised by its magic bytes, not its name.

Downloaded inputs keep no extension (resources/downloads/tables/<name>), so names cannot be trusted.
"""

import gzip


def is_gzip(path):
    with open(path, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def open_text(path):
    """A text handle on ``path``, decompressing gzip (and bgzip) transparently."""
    return gzip.open(path, "rt") if is_gzip(path) else open(path)


def first_line(path):
    with open_text(path) as handle:
        return handle.readline()
