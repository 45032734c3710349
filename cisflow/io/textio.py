"""Opening inputs whatever their compression: gzip is recognised by its magic bytes, not its name.

Downloaded inputs keep no extension (resources/downloads/tables/<name>), so names cannot be trusted.
A truncated or corrupt gzip stream, or text that is not UTF-8, is an InputError naming the file and
the line, however the handle is read (line by line, readline, or pandas.read_csv).
Tables the workflow writes go through ``write_tsv``: atomically, gzipped at level 1 where the name
ends in .gz (wide tables of floats compress about as well at level 1, four times faster than at 9).
"""

import gzip
import zlib

from cisflow.io.atomic import atomic_path
from cisflow.io.errors import InputError

_GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


def is_gzip(path):
    with open(path, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def _open_raw(path):
    return gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")


def open_text(path):
    """A UTF-8 text handle on ``path``, decompressing gzip (and bgzip) transparently; a byte-order
    mark (spreadsheets write one) is dropped, or it would stick to the first column's name."""
    if is_gzip(path):
        return _Checked(path, gzip.open(path, "rt", encoding="utf-8-sig"))
    return _Checked(path, open(path, encoding="utf-8-sig"))


def open_bytes(path):
    """A binary handle on ``path``, decompressing gzip (and bgzip) transparently."""
    return _Checked(path, _open_raw(path))


def first_line(path):
    with open_text(path) as handle:
        return handle.readline()


def decode_line(path, line, raw):
    """The bytes ``raw`` of line ``line`` as text; bytes that are not UTF-8 are an InputError."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(path, f"byte {raw[error.start]:#04x} at column {error.start + 1} is not UTF-8 text (a "
                               "binary file, or another encoding such as Latin-1: convert it with "
                               "iconv -f latin1 -t utf8)", line) from None


def _gzip_problem(error):
    if isinstance(error, EOFError):
        return ("truncated gzip file (the compressed data stops short of its end-of-stream marker at this line: "
                "an interrupted download?): download it again")
    return f"corrupt gzip data ({error}): download it again"


def read_error(path, error):
    """The InputError for ``error`` (a gzip or UTF-8 decoding error) met reading ``path``.

    Handles decode ahead of the line they return (in blocks), so the file is read again as bytes,
    line by line, to find the line at fault; this costs nothing until a file is found bad.
    """
    line = 0
    with _open_raw(path) as raw:
        try:
            for line, data in enumerate(raw, 1):
                if isinstance(error, UnicodeDecodeError) and not data.isascii():
                    try:
                        decode_line(path, line, data)
                    except InputError as found:
                        return found
        except _GZIP_ERRORS as found:
            return InputError(path, _gzip_problem(found), line + 1)
    return InputError(path, _gzip_problem(error) if isinstance(error, _GZIP_ERRORS) else str(error))


class _Checked:
    """A file handle (all of a file object that readers and pandas use) whose reads turn a damaged
    gzip stream or non-UTF-8 bytes into an InputError naming the file and line."""

    def __init__(self, path, handle):
        self._path, self._handle = path, handle

    def __getattr__(self, name):  # mode, closed, name, close...: the handle's own
        return getattr(self._handle, name)

    def _checked(self, read, *args):
        try:
            return read(*args)
        except (*_GZIP_ERRORS, UnicodeDecodeError) as error:
            raise read_error(self._path, error) from None

    def read(self, size=-1):
        return self._checked(self._handle.read, size)

    def readline(self, size=-1):
        return self._checked(self._handle.readline, size)

    def __iter__(self):
        try:
            yield from self._handle
        except (*_GZIP_ERRORS, UnicodeDecodeError) as error:
            raise read_error(self._path, error) from None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._handle.close()


def write_tsv(table, path, float_format="%.5g"):
    """Write a DataFrame as TSV (gzipped, level 1, if ``path`` ends in .gz), atomically."""
    compression = {"method": "gzip", "compresslevel": 1} if str(path).endswith(".gz") else None
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep="\t", index=False, compression=compression, float_format=float_format)
