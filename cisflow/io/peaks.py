"""Peak files (BED3-6 or ENCODE narrowPeak; broadPeak, BED12 or gappedPeak when told) read with line-exact
error messages, gzipped or not.

Column 10 of narrowPeak is the summit, but column 10 of BED12 and gappedPeak is blockCount: read as a
summit it would put every peak at its start plus its number of blocks. So a file is read as narrowPeak
only where it has narrowPeak's 10 columns; other layouts are read (at their midpoint) only when the
samples sheet names their format (column peak_format).
"""

import io
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cisflow.io.errors import InputError
from cisflow.io.textio import open_bytes, open_text
from cisflow.types import PathLike

NARROWPEAK_SUMMIT_COLUMN = 9
# peak_format: (fewest, most) columns; all but narrowPeak are read at the midpoint of start and end
PEAK_FORMATS = {"bed": (3, None), "narrowPeak": (10, 10), "broadPeak": (9, 9), "bed12": (12, 12),
                "gappedPeak": (15, 15)}
SKIPPED = ("#", "track", "browser")  # comment, track and browser lines start so; blank lines are skipped too
_BLOCKS = re.compile(r"[0-9]+(,[0-9]+)*,?")  # BED12's blockSizes and blockStarts
_LAYOUTS = {"bed12": "BED12: blockCount, blockSizes and blockStarts in columns 10-12",
            "gappedPeak": "gappedPeak: BED12's blocks, then signalValue, pValue and qValue",
            "broadPeak": "as broadPeak has"}


def read_peaks(path: PathLike, peak_format: str | None = None) -> pd.DataFrame:
    """Peaks as a DataFrame (chrom, start, end, summit) with 0-based absolute summits.

    ``peak_format``: one of PEAK_FORMATS, or None to take BED3-6 (midpoints) and narrowPeak (10
    columns) and refuse any other layout. The summit is column 10 of narrowPeak (offset from start,
    -1 for none, then the midpoint). Header, track and comment lines are skipped.

    A file of plain records (ASCII, one layout, headers only at the top) is read column-wise by
    Arrow's CSV reader and checked column-wise (164 samples' 8M peaks in seconds); any other file,
    and any file with a value the checks refuse, is read line by line, which accepts the same files
    and names the line at fault.
    """
    peaks = _peaks_by_column(path, peak_format)
    return peaks if peaks is not None else _peaks_by_line(path, peak_format)


def _peaks_by_line(path: PathLike, peak_format: str | None) -> pd.DataFrame:
    """read_peaks one line at a time: the definition of what a peak file may hold."""
    chroms, starts, ends, summits = [], [], [], []
    for lineno, fields, start, end in bed_records(path, 3, "at least 3 tab-separated columns"):
        summit = (start + end) // 2
        if _is_narrowpeak(path, lineno, fields, peak_format):
            offset = _integer(path, lineno, "summit offset (column 10)", fields[NARROWPEAK_SUMMIT_COLUMN])
            if offset < -1:
                raise InputError(path, f"summit offset {offset} is negative (-1, for no summit, is the only "
                                       "negative one)", lineno)
            if offset >= end - start:
                raise InputError(path, f"summit offset {offset} lies beyond the peak's end", lineno)
            if offset >= 0:
                summit = start + offset
        chroms.append(fields[0])
        starts.append(start)
        ends.append(end)
        summits.append(summit)
    if not chroms:
        raise InputError(path, "no peaks in the file")
    return _peak_table(chroms, starts, ends, summits)


def _peak_table(chroms, starts, ends, summits):
    return pd.DataFrame({"chrom": chroms, "start": np.asarray(starts, np.int64), "end": np.asarray(ends, np.int64),
                         "summit": np.asarray(summits, np.int64)})


def _peaks_by_column(path: PathLike, peak_format: str | None) -> pd.DataFrame | None:
    """read_peaks for a file whose every line below its header lines is a record of one layout,
    with every value one ``_peaks_by_line`` takes; None for any other file (``_peaks_by_line``
    then reads it, and names the line at fault if there is one)."""
    try:
        with open_bytes(path) as handle:
            data = handle.read().removeprefix(b"\xef\xbb\xbf")
    except InputError:  # a damaged gzip stream: reported where the line reader meets it
        return None
    if b"\r" in data:  # copied only for files with CRs; a bare CR (old Mac) is left to the line reader
        data = data.replace(b"\r\n", b"\n")
        if b"\r" in data:
            return None
    if not data.isascii():
        return None
    header, first = _leading_lines(data)
    if first is None:
        return None
    fields = first.split("\t")
    if len(fields) < 3:
        return None
    try:
        narrowpeak = _is_narrowpeak(path, header + 1, fields, peak_format)
    except InputError:  # a layout the format refuses: the line reader names the line's first fault
        return None
    columns = [0, 1, 2] + ([NARROWPEAK_SUMMIT_COLUMN] if narrowpeak else [])
    try:
        table = pacsv.read_csv(pa.py_buffer(data), pacsv.ReadOptions(skip_rows=header, autogenerate_column_names=True),
                               pacsv.ParseOptions(delimiter="\t", quote_char=False, ignore_empty_lines=True),
                               pacsv.ConvertOptions(column_types={f"f{i}": pa.string() for i in columns},
                                                    include_columns=[f"f{i}" for i in columns],
                                                    strings_can_be_null=False, null_values=[]))
    except pa.ArrowInvalid:  # a line with another number of columns
        return None
    chrom, start, end = (table.column(f"f{i}") for i in (0, 1, 2))
    skipped = pc.match_substring_regex(chrom, f"^({'|'.join(map(re.escape, SKIPPED))})")
    if pc.any(skipped).as_py() or not (_digits(start) and _digits(end)):
        return None
    start, end = (pc.cast(column, pa.int64()).to_numpy() for column in (start, end))
    if not (start < end).all():
        return None
    summit = (start + end) // 2
    if narrowpeak:
        offset = table.column(f"f{NARROWPEAK_SUMMIT_COLUMN}")
        if not _digits(offset, signed=True):
            return None
        offset = pc.cast(offset, pa.int64()).to_numpy()
        if (offset < -1).any() or (offset >= end - start).any():
            return None
        summit = np.where(offset >= 0, start + offset, summit)
    return _peak_table(chrom.to_numpy(), start, end, summit)


def _leading_lines(data: bytes) -> tuple[int, str | None]:
    """(number of header lines, first record as text) of a file's bytes; (n, None) if no record."""
    header = 0
    for raw in io.BytesIO(data):
        line = raw.decode("ascii").rstrip("\n")
        if not _is_skipped(line):
            return header, line
        header += 1
    return header, None


def _is_skipped(line: str) -> bool:
    """Whether a line is blank or a comment, track or browser line (no record)."""
    return not line.strip() or line.startswith(SKIPPED)


def _digits(column, signed=False):
    """Whether every value is an integer as ``_is_integer`` takes it, small enough for int64."""
    return pc.all(pc.match_substring_regex(column, "^-?[0-9]{1,18}$" if signed else "^[0-9]{1,18}$")).as_py()


def _is_narrowpeak(path: PathLike, lineno: int, fields: list[str], peak_format: str | None) -> bool:
    """Whether the line is narrowPeak (its column 10 the summit); a line that does not fit
    ``peak_format``, or with no format given one neither BED3-6 nor narrowPeak, is an error."""
    n = len(fields)
    if peak_format is None:
        if 3 <= n <= 6 or n == 10:
            return n == 10
        seen = _layout(fields)
        if seen:
            raise InputError(path, f"{n} columns ({_LAYOUTS[seen]}), not narrowPeak, whose column 10 is the summit; "
                                   f"set peak_format to {seen} for this sample in the samples sheet (its peaks are "
                                   "then read at their midpoints)", lineno)
        raise InputError(path, f"{n} columns: neither BED3-6 nor narrowPeak (10 columns, the 10th the summit); set "
                               f"peak_format for this sample in the samples sheet ({', '.join(PEAK_FORMATS)}; all "
                               "but narrowPeak are read at their midpoints)", lineno)
    fewest, most = PEAK_FORMATS[peak_format]
    if n < fewest or (most is not None and n > most):
        expected = f"at least {fewest}" if most is None else str(fewest)
        raise InputError(path, f"{n} columns, but peak_format {peak_format} has {expected}", lineno)
    return peak_format == "narrowPeak"


def _layout(fields: list[str]) -> str | None:
    """The format a line's columns show (bed12, gappedPeak, broadPeak), or None."""
    if len(fields) == 9:
        return "broadPeak"
    if len(fields) in (12, 15):
        count = fields[9]
        blocks = [text for text in fields[10:12] if _BLOCKS.fullmatch(text)]
        if _is_integer(count) and len(blocks) == 2 and all(
                len(text.rstrip(",").split(",")) == int(count) for text in blocks):
            return "bed12" if len(fields) == 12 else "gappedPeak"
    return None


def bed_records(path: PathLike, columns: int, expected: str) -> Iterator[tuple[int, list[str], int, int]]:
    """(line number, fields, start, end) of each record of a BED-like file, gzipped or not.

    Blank, comment, track and browser lines are skipped; fewer than ``columns`` fields,
    coordinates that are not non-negative integers, or start >= end are errors naming the line.
    """
    with open_text(path) as handle:
        for lineno, line in enumerate(handle, 1):
            if _is_skipped(line):
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) < columns:
                raise InputError(path, f"expected {expected}, found {len(fields)}", lineno)
            start, end = _coordinate(path, lineno, "start", fields[1]), _coordinate(path, lineno, "end", fields[2])
            if start >= end:
                raise InputError(path, f"start {start} is not before end {end}", lineno)
            yield lineno, fields, start, end


def _is_integer(text: str) -> bool:
    """Plain ASCII digits with an optional leading minus: Python's int() would also take '1_000',
    '+5', ' 5' and other scripts' digits ('٣')."""
    digits = text[1:] if text[:1] == "-" else text
    return digits.isascii() and digits.isdigit()


def _integer(path: PathLike, lineno: int, what: str, text: str) -> int:
    if not _is_integer(text):
        raise InputError(path, f"{what} {text!r} is not an integer", lineno)
    value = int(text)
    if abs(value) >= 2**63:
        raise InputError(path, f"{what} {text} is too large for a genome coordinate (2^63 or more)", lineno)
    return value


def _coordinate(path: PathLike, lineno: int, what: str, text: str) -> int:
    value = _integer(path, lineno, what, text)
    if value < 0:
        raise InputError(path, f"{what} {value} is negative", lineno)
    return value
