"""Peak files (BED3-6 or ENCODE narrowPeak; broadPeak, BED12 or gappedPeak when told) read with line-exact
error messages, gzipped or not.

Column 10 of narrowPeak is the summit, but column 10 of BED12 and gappedPeak is blockCount: read as a
summit it would put every peak at its start plus its number of blocks. So a file is read as narrowPeak
only where it has narrowPeak's 10 columns; other layouts are read (at their midpoint) only when the
samples sheet names their format (column peak_format).
"""

import re

import numpy as np
import pandas as pd

from cisflow.io.errors import InputError
from cisflow.io.textio import open_text

NARROWPEAK_SUMMIT_COLUMN = 9
# peak_format: (fewest, most) columns; all but narrowPeak are read at the midpoint of start and end
PEAK_FORMATS = {"bed": (3, None), "narrowPeak": (10, 10), "broadPeak": (9, 9), "bed12": (12, 12),
                "gappedPeak": (15, 15)}
_BLOCKS = re.compile(r"[0-9]+(,[0-9]+)*,?")  # BED12's blockSizes and blockStarts
_LAYOUTS = {"bed12": "BED12: blockCount, blockSizes and blockStarts in columns 10-12",
            "gappedPeak": "gappedPeak: BED12's blocks, then signalValue, pValue and qValue",
            "broadPeak": "as broadPeak has"}


def read_peaks(path, peak_format=None):
    """Peaks as a DataFrame (chrom, start, end, summit) with 0-based absolute summits.

    ``peak_format``: one of PEAK_FORMATS, or None to take BED3-6 (midpoints) and narrowPeak (10
    columns) and refuse any other layout. The summit is column 10 of narrowPeak (offset from start,
    -1 for none, then the midpoint). Header, track and comment lines are skipped.
    """
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
    return pd.DataFrame({"chrom": chroms, "start": np.array(starts, np.int64), "end": np.array(ends, np.int64),
                         "summit": np.array(summits, np.int64)})


def _is_narrowpeak(path, lineno, fields, peak_format):
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


def _layout(fields):
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


def bed_records(path, columns, expected):
    """(line number, fields, start, end) of each record of a BED-like file, gzipped or not.

    Blank, comment, track and browser lines are skipped; fewer than ``columns`` fields,
    coordinates that are not non-negative integers, or start >= end are errors naming the line.
    """
    with open_text(path) as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) < columns:
                raise InputError(path, f"expected {expected}, found {len(fields)}", lineno)
            start, end = _coordinate(path, lineno, "start", fields[1]), _coordinate(path, lineno, "end", fields[2])
            if start >= end:
                raise InputError(path, f"start {start} is not before end {end}", lineno)
            yield lineno, fields, start, end


def _is_integer(text):
    """Plain ASCII digits with an optional leading minus: Python's int() would also take '1_000',
    '+5', ' 5' and other scripts' digits ('٣')."""
    digits = text[1:] if text[:1] == "-" else text
    return digits.isascii() and digits.isdigit()


def _integer(path, lineno, what, text):
    if not _is_integer(text):
        raise InputError(path, f"{what} {text!r} is not an integer", lineno)
    return int(text)


def _coordinate(path, lineno, what, text):
    value = _integer(path, lineno, what, text)
    if value < 0:
        raise InputError(path, f"{what} {value} is negative", lineno)
    return value
