"""Opening inputs whatever their compression: gzip is recognised by its magic bytes, not its name.

Downloaded inputs keep no extension (resources/downloads/tables/<name>), so names cannot be trusted.
A truncated or corrupt gzip stream, or text that is not UTF-8, is an InputError naming the file and
the line, however the handle is read (line by line, readline, or pandas.read_csv).
Delimited tables are read through ``read_header`` and ``delimited_chunks`` (tab-separated, unquoted:
GWAS-SSF, the GWAS Catalog, VCF; large) or ``quoted_rows`` (CSV that may quote; small): every line is
checked to have the header's number of fields, and a NUL byte, a lone carriage return or a quote left
open is an InputError naming the line too, so that no pandas or csv message reaches a user.
Tables the workflow writes go through ``write_tsv``: atomically, gzipped at level 1 where the name
ends in .gz (wide tables of floats compress about as well at level 1, four times faster than at 9).
"""

import csv
import gzip
import io
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any, AnyStr, Generic

import numpy as np
import pandas as pd

from cisflow.io.atomic import atomic_path
from cisflow.io.errors import InputError
from cisflow.types import PathLike

_GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


def is_gzip(path: PathLike) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def _open_raw(path: PathLike):  # GzipFile or BufferedReader: IO[bytes] at run time, not to typeshed
    return gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")


def open_text(path: PathLike) -> "_Checked[str]":
    """A UTF-8 text handle on ``path``, decompressing gzip (and bgzip) transparently; a byte-order
    mark (spreadsheets write one) is dropped, or it would stick to the first column's name."""
    if is_gzip(path):
        return _Checked(path, gzip.open(path, "rt", encoding="utf-8-sig"))
    return _Checked(path, open(path, encoding="utf-8-sig"))


def open_bytes(path: PathLike) -> "_Checked[bytes]":
    """A binary handle on ``path``, decompressing gzip (and bgzip) transparently."""
    return _Checked(path, _open_raw(path))


def first_line(path: PathLike) -> str:
    with open_text(path) as handle:
        return handle.readline()


def decode_line(path: PathLike, line: int, raw: bytes) -> str:
    """The bytes ``raw`` of line ``line`` as text; bytes that are not UTF-8 are an InputError."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(path, f"byte {raw[error.start]:#04x} at column {error.start + 1} is not UTF-8 text (a "
                               "binary file, or another encoding such as Latin-1: convert it with "
                               "iconv -f latin1 -t utf8)", line) from None


def _gzip_problem(error: BaseException) -> str:
    if isinstance(error, EOFError):
        return ("truncated gzip file (the compressed data stops short of its end-of-stream marker at this line: "
                "an interrupted download?): download it again")
    return f"corrupt gzip data ({error}): download it again"


def read_error(path: PathLike, error: BaseException) -> InputError:
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


class _Checked(Generic[AnyStr]):
    """A file handle (all of a file object that readers and pandas use) whose reads turn a damaged
    gzip stream or non-UTF-8 bytes into an InputError naming the file and line; of text (str) or bytes."""

    def __init__(self, path: PathLike, handle: IO[AnyStr]) -> None:
        self._path = path
        self._handle: IO[AnyStr] = handle

    def __getattr__(self, name: str) -> Any:  # mode, closed, name, close...: the handle's own
        return getattr(self._handle, name)

    def _checked(self, read: Callable[[int], AnyStr], size: int) -> AnyStr:
        try:
            return read(size)
        except (*_GZIP_ERRORS, UnicodeDecodeError) as error:
            raise read_error(self._path, error) from None

    def read(self, size: int = -1) -> AnyStr:
        return self._checked(self._handle.read, size)

    def readline(self, size: int = -1) -> AnyStr:
        return self._checked(self._handle.readline, size)

    def __iter__(self) -> Iterator[AnyStr]:
        try:
            yield from self._handle
        except (*_GZIP_ERRORS, UnicodeDecodeError) as error:
            raise read_error(self._path, error) from None

    def __enter__(self) -> "_Checked[AnyStr]":
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()


def write_tsv(table: pd.DataFrame, path: PathLike, float_format: str | None = "%.5g") -> None:
    """Write a DataFrame as TSV (gzipped, level 1, if ``path`` ends in .gz), atomically."""
    compression = {"method": "gzip", "compresslevel": 1} if str(path).endswith(".gz") else None
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep="\t", index=False, compression=compression, float_format=float_format)


_BOM = b"\xef\xbb\xbf"
_SEPARATORS = {"\t": "tab", ",": "comma"}
_BINARY = "a NUL byte: binary data, not text (a file compressed otherwise than by gzip, or not the file meant?)"
BLOCK = 1 << 24  # bytes of whole lines checked and parsed at a time by delimited_chunks


@dataclass
class Header:
    """The header line of a delimited file: its fields as written and its line number; no fields
    (and the line number of the blank line, or 0) where the file is empty or starts with a blank line."""

    names: list[str]
    line: int

    def position(self, path: PathLike, name: str, key: Callable[[str], str] = str.strip) -> int | None:
        """The 0-based position of column ``name`` (compared after ``key``), or None; a name the header
        holds twice is an InputError, as which column was meant cannot be known."""
        found = [i for i, field in enumerate(self.names) if key(field) == name]
        if len(found) > 1:
            raise InputError(path, f"column {name!r} appears {len(found)} times in the header", self.line)
        return found[0] if found else None


def read_header(path: PathLike, sep: str = "\t", meta: str | None = None, quoted: bool = False) -> Header:
    """The header of a delimited file: its first line, or the first not starting with ``meta`` (VCF's ``##``).

    Parameters
    ----------
    path : str or Path
        The file, gzipped or not.
    sep : str
        The field separator.
    meta : str, optional
        The prefix of the lines above the header (skipped).
    quoted : bool
        Whether a name may be quoted (and hold ``sep``), as in a CSV; see ``quoted_rows``.

    Returns
    -------
    Header
        Its fields, split at ``sep``, line end and byte-order mark removed.
    """
    with open_bytes(path) as handle:
        for number, raw in enumerate(handle, 1):
            if meta and raw.startswith(meta.encode()):
                continue
            if b"\x00" in raw:
                raise InputError(path, _BINARY, number)
            text = decode_line(path, number, raw.removeprefix(_BOM) if number == 1 else raw).rstrip("\r\n")
            if not text.strip():
                return Header([], number)
            return Header(next(csv.reader([text], delimiter=sep)) if quoted else text.split(sep), number)
    return Header([], 0)


def delimited_chunks(path: PathLike, header: Header, columns: Mapping[str, int],
                     sep: str = "\t") -> Iterator[pd.DataFrame]:
    """The lines below ``header`` of a delimited file without quoting (GWAS-SSF, the GWAS Catalog, VCF), as
    DataFrames of strings, a block of lines at a time (``BLOCK`` bytes); blank lines left out.

    Every line is checked to have the header's number of fields before pandas parses it: pandas fills a
    short line's missing fields with '' and, reading some columns only, ignores a long line's extra ones,
    so a line whose fields are shifted would be read as wrong values. Line ends are ``\\n`` or ``\\r\\n``.

    Parameters
    ----------
    path : str or Path
        The file, gzipped or not.
    header : Header
        Its header (``read_header``).
    columns : Mapping of str to int
        {name in the frames: 0-based position in the header} of the fields to read.
    sep : str
        The field separator.

    Yields
    ------
    DataFrame
        The ``columns`` (str) and ``line`` (int64, the file's line numbers).
    """
    with open_bytes(path) as handle:
        for _ in range(header.line):
            handle.readline()
        first, rest = header.line + 1, b""
        while True:
            data = handle.read(BLOCK)
            last = not data
            data = rest + data
            cut = len(data) if last else data.rfind(b"\n") + 1
            lines, rest = data[:cut], data[cut:]
            if lines:
                frame = _parse_lines(path, lines, first, len(header.names), columns, sep)
                first += lines.count(b"\n") + (not lines.endswith(b"\n"))
                yield frame
            if last:
                return


def read_delimited(path: PathLike, header: Header, columns: Mapping[str, int], sep: str = "\t") -> pd.DataFrame:
    """The lines of ``delimited_chunks`` as one DataFrame (``columns`` and ``line``; no rows for a file of a
    header alone)."""
    frames = list(delimited_chunks(path, header, columns, sep))
    if not frames:
        return pd.DataFrame({name: pd.Series(dtype=str) for name in columns}).assign(line=pd.Series(dtype=np.int64))
    return pd.concat(frames, ignore_index=True)


def _parse_lines(path: PathLike, data: bytes, first: int, expected: int, columns: Mapping[str, int],
                 sep: str) -> pd.DataFrame:
    """The ``columns`` and ``line`` of whole lines ``data`` (bytes) whose first is line ``first``, blank ones
    left out; a line that is not UTF-8, holds a lone carriage return or has another number of fields than
    ``expected`` is an InputError naming it."""
    if not data.isascii():
        _check_utf8(path, data, first)
    if b"\x00" in data:
        raise InputError(path, _BINARY, first + data.count(b"\n", 0, data.find(b"\x00")))
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
        if b"\r" in data:
            raise InputError(path, "a carriage return (\\r) inside the line: line ends are \\n or \\r\\n",
                             first + data.count(b"\n", 0, data.find(b"\r")))
    codes = np.frombuffer(data, np.uint8)
    ends = np.flatnonzero(codes == ord("\n"))
    if not data.endswith(b"\n"):
        ends = np.append(ends, len(data))
    starts = np.r_[0, ends[:-1] + 1]
    separators = np.flatnonzero(codes == ord(sep))
    fields = np.searchsorted(separators, ends) - np.searchsorted(separators, starts) + 1
    blank = ends == starts
    wrong = np.flatnonzero(~blank & (fields != expected))
    if wrong.size:
        raise InputError(path, _fields_problem(fields[wrong[0]], expected, sep), first + int(wrong[0]))
    frame = pd.read_csv(io.BytesIO(data), sep=sep, header=None, names=range(expected), usecols=list(columns.values()),
                        dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE, skip_blank_lines=False,
                        encoding="utf-8")
    frame = frame.rename(columns={position: name for name, position in columns.items()})[list(columns)]
    return frame.assign(line=first + np.arange(len(frame), dtype=np.int64))[~blank].reset_index(drop=True)


def _fields_problem(found: int, expected: int, sep: str) -> str:
    """What is wrong with a line of ``found`` fields under a header of ``expected``, in words."""
    if found == 1 and expected > 1:
        name = _SEPARATORS.get(sep, repr(sep))
        return f"one field (no {name}: is the file {name}-separated?), but the header has {expected}"
    return f"{found} fields, but the header has {expected}"


def _check_utf8(path: PathLike, data: bytes, first: int) -> None:
    """An InputError naming the line of ``data`` (whose first is line ``first``) that is not UTF-8, if one is."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        start = data.rfind(b"\n", 0, error.start) + 1
        end = data.find(b"\n", error.start)
        decode_line(path, first + data.count(b"\n", 0, start), data[start : end if end >= 0 else len(data)])


def quoted_rows(path: PathLike, header: Header, columns: Mapping[str, int], sep: str) -> pd.DataFrame:
    """The lines below ``header`` of a small delimited file that may quote fields (a CSV from a spreadsheet),
    read whole with the csv module: a quoted field may hold the separator or span lines.

    A record with fewer fields than the header, or more that are not empty (spreadsheets pad rows with
    empty ones), and a quote left open or followed by text, are InputErrors naming the line.

    Parameters
    ----------
    path : str or Path
        The file, gzipped or not.
    header : Header
        Its header (``read_header``).
    columns : Mapping of str to int
        {name in the frame: 0-based position in the header} of the fields to read.
    sep : str
        The field separator.

    Returns
    -------
    DataFrame
        The ``columns`` (str) and ``line`` (int64: the line each record starts on); blank lines left out.
    """
    expected, records, lines = len(header.names), [], []
    with open_text(path) as handle:
        reader = csv.reader(handle, delimiter=sep, strict=True)
        end = 0
        try:
            for fields in reader:
                start, end = end + 1, reader.line_num
                if start <= header.line or not fields:
                    continue
                if len(fields) < expected or any(fields[expected:]):
                    raise InputError(path, _fields_problem(len(fields), expected, sep), start)
                records.append([fields[i] for i in columns.values()])
                lines.append(start)
        except csv.Error as error:  # named at the line its record starts on
            raise InputError(path, f"{error} (a quote left open, or text after a closing quote)", end + 1) from None
    return pd.DataFrame(records, columns=list(columns), dtype=str).assign(line=np.array(lines, dtype=np.int64))
