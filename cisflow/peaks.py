"""Peak files (BED3+ or ENCODE narrowPeak, gzipped or not) read with line-exact error messages."""

import numpy as np
import pandas as pd

from cisflow.errors import InputError
from cisflow.textio import open_text

NARROWPEAK_SUMMIT_COLUMN = 9


def read_peaks(path):
    """Peaks as a DataFrame (chrom, start, end, summit) with 0-based absolute summits.

    The summit is column 10 of narrowPeak (offset from start, -1 for none); without it, or when
    it is -1, the midpoint is used. Header, track and comment lines are skipped.
    """
    chroms, starts, ends, summits = [], [], [], []
    for lineno, fields, start, end in bed_records(path, 3, "at least 3 tab-separated columns"):
        summit = (start + end) // 2
        if len(fields) > NARROWPEAK_SUMMIT_COLUMN:
            offset = _integer(path, lineno, "summit offset (column 10)", fields[NARROWPEAK_SUMMIT_COLUMN])
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


def _integer(path, lineno, what, text):
    try:
        return int(text)
    except ValueError:
        raise InputError(path, f"{what} {text!r} is not an integer", lineno) from None


def _coordinate(path, lineno, what, text):
    value = _integer(path, lineno, what, text)
    if value < 0:
        raise InputError(path, f"{what} {value} is negative", lineno)
    return value
