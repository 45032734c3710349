"""Opening text inputs whatever their compression: gzip is recognised by its magic bytes, not its name.

Downloaded inputs keep no extension (resources/downloads/tables/<name>), so names cannot be trusted.
Tables the workflow writes go through ``write_tsv``: atomically, gzipped at level 1 where the name
ends in .gz (wide tables of floats compress about as well at level 1, four times faster than at 9).
"""

import gzip

from cisflow.atomic import atomic_path


def is_gzip(path):
    with open(path, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def open_text(path):
    """A text handle on ``path``, decompressing gzip (and bgzip) transparently."""
    return gzip.open(path, "rt") if is_gzip(path) else open(path)


def first_line(path):
    with open_text(path) as handle:
        return handle.readline()


def write_tsv(table, path, float_format="%.5g"):
    """Write a DataFrame as TSV (gzipped, level 1, if ``path`` ends in .gz), atomically."""
    compression = {"method": "gzip", "compresslevel": 1} if str(path).endswith(".gz") else None
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep="\t", index=False, compression=compression, float_format=float_format)
