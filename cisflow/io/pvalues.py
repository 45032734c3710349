"""P-values as GWAS files write them: ``3E-35``, ``1.00E-09``, ``1 x 10-8``, ``2 × 10^-12``, ``5e-324``, or as
their -log10 (``34.52``: GWAS-SSF's ``neg_log_10_p_value``, the Catalog's ``PVALUE_MLOG``).

Genome-wide significant p-values routinely fall below the smallest double (about 1e-308), so each
is kept as its -log10 too, computed from the mantissa and the exponent as written, never from the
rounded float. Either way a value outside its range (p outside [0, 1], a negative -log10 p) is an
error naming the file, the line and the column; empty, NA, NR, NaN or ``.`` is a p-value not reported.
"""

import math
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from cisflow.io.errors import InputError
from cisflow.types import PathLike

Lines = Sequence[int] | npt.NDArray[np.int64]
"""The file's line number of each value, aligned with the texts (for the errors)."""

MISSING = ("", "NA", "NR", "NAN", ".")
_MINUS = str.maketrans({"−": "-", "–": "-", "—": "-"})
_P_VALUE = re.compile(r"([0-9]*\.?[0-9]+)\s*(?:[eE]\s*([+-]?[0-9]+)|[xX×*]\s*10\s*(?:\^|[eE])?\s*([+-]?\s*[0-9]+))?")


def parse_p_value(text: str) -> tuple[float, float] | None:
    """(p, -log10 p) of one written p-value; None where ``text`` is not one (or lies outside [0, 1])."""
    match = _P_VALUE.fullmatch(text.strip().translate(_MINUS))
    if not match:
        return None
    mantissa = float(match[1])
    exponent = int((match[2] or match[3] or "0").replace(" ", ""))
    if mantissa == 0:
        return 0.0, math.inf
    mlog10 = -(math.log10(mantissa) + exponent)
    if mlog10 < -1e-12:
        return None
    return mantissa * 10.0**exponent if exponent > -400 else 0.0, max(mlog10, 0.0)


def parse_p_values(texts: Sequence[str], path: PathLike, lines: Lines, column: str = "p_value"
                   ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(p, -log10 p) float arrays of written p-values; empty, NA or NR is NaN (not reported).

    Plain numbers take a vectorised path; the rest (``1 x 10-8``, values that underflow to 0) are
    parsed one by one. Anything that is not a p-value in [0, 1] is an error naming ``path``, the
    line (from ``lines``, aligned with ``texts``) and the text.
    """
    written = pd.Series(texts, dtype=str).str.strip()
    p = pd.to_numeric(written, errors="coerce").to_numpy(dtype=float, copy=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        mlog10 = -np.log10(p)
    for i in np.flatnonzero(~((p > 0) & (p <= 1))):
        text = written.iat[i]
        if text.upper() in MISSING:
            p[i] = mlog10[i] = np.nan
            continue
        parsed = parse_p_value(text)
        if parsed is None:
            raise InputError(path, f"{column} {text!r} is not a p-value (a number in [0, 1] such as 3E-35 or "
                                   f"1 x 10-8)", lines[int(i)])
        p[i], mlog10[i] = parsed
    return p, np.maximum(mlog10, 0.0)


def parse_mlog10_values(texts: Sequence[str], path: PathLike, lines: Lines, column: str = "neg_log_10_p_value"
                        ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(p, -log10 p) float arrays of written -log10 p-values; empty, NA or NR is NaN (not reported).

    ``inf`` is p = 0, as a p-value of 0 is; anything else that is not a number >= 0 (``-3`` would be
    p = 1000) is an error naming ``path``, the line (from ``lines``, aligned with ``texts``), ``column``
    and the text.
    """
    written = pd.Series(texts, dtype=str).str.strip()
    mlog10 = pd.to_numeric(written, errors="coerce").to_numpy(dtype=float, copy=True)
    missing = written.str.upper().isin(MISSING).to_numpy()
    bad = np.flatnonzero(~missing & ~(mlog10 >= -1e-12))  # NaN compares False
    if bad.size:
        raise InputError(path, f"{column} {written.iat[bad[0]]!r} is not a -log10 p-value (a number >= 0, such as "
                               f"34.5 for p = 3E-35)", lines[bad[0]])
    mlog10[missing] = np.nan
    mlog10 = np.maximum(mlog10, 0.0)
    return 10.0**-mlog10, mlog10
