"""GWAS summary statistics in the GWAS-SSF layout, the format the GWAS Catalog harmonises to.

A tab-separated file (usually gzipped, millions of lines) with, by name, ``chromosome``,
``base_pair_location`` (1-based), ``effect_allele``, ``other_allele`` and ``p_value`` (or
``neg_log_10_p_value``), optionally ``rsid`` and ``variant_id``. Only lines at or below the
p-value threshold are kept, read in chunks so that the whole file is never held in memory.
Chromosomes 23, 24 and 25 are X, Y and MT as GWAS-SSF numbers them. ``other_allele`` is taken as
REF and ``effect_allele`` as ALT; where the genome has the effect allele instead, the check
swaps them (status ``swapped``).
"""

import logging
import math
import re

import numpy as np
import pandas as pd

from cisflow.io.errors import InputError
from cisflow.io.gwas_catalog import CHROMOSOME_NUMBERS
from cisflow.io.pvalues import parse_mlog10_values, parse_p_values
from cisflow.io.textio import delimited_chunks, read_header
from cisflow.types import PathLike

log = logging.getLogger(__name__)

REQUIRED = ("chromosome", "base_pair_location", "effect_allele", "other_allele")
OPTIONAL = ("p_value", "neg_log_10_p_value", "rsid", "variant_id")
MISSING_IDS = ("", "NA", "#NA", ".")
GENOME_WIDE = 5e-8  # p_threshold's default: genome-wide significance
_INTEGER = re.compile(r"[0-9]+")


def read_sumstats(path: PathLike, p_threshold: float = GENOME_WIDE, trait: str | None = None) -> pd.DataFrame:
    """The variants of a GWAS-SSF file with p <= ``p_threshold``.

    Parameters
    ----------
    path : str or Path
        The summary statistics, gzipped or not.
    p_threshold : float
        Keep lines at or below this p-value (genome-wide significance by default).
    trait : str, optional
        The trait the file is of, carried as ``traits`` (GWAS-SSF files do not name it).

    Returns
    -------
    DataFrame
        chrom, pos, id, ref (other_allele), alt (effect_allele), line, p_value, mlog10_p, traits
        and ``site`` (0, 1, ...), one row per kept line. Lines with no p-value (empty or NA) are
        left out and counted in the log; a p-value out of its range is an error naming the line.
    """
    header = read_header(path)
    if not header.names:
        raise InputError(path, "empty file: GWAS-SSF summary statistics start with their header line")
    positions = {name: header.position(path, name, key=lambda field: field.strip().lower())
                 for name in REQUIRED + OPTIONAL}
    columns = {name: position for name, position in positions.items() if position is not None}
    missing = [name for name in REQUIRED if name not in columns]
    if not {"p_value", "neg_log_10_p_value"} & columns.keys():
        missing.append("p_value (or neg_log_10_p_value)")
    if missing:
        shown = [name.strip().lower() for name in header.names]
        raise InputError(path, f"not GWAS-SSF summary statistics: no {', '.join(missing)} column; the header has "
                               f"{', '.join(shown[:12])}{' ...' if len(shown) > 12 else ''}", header.line)
    threshold = -math.log10(p_threshold)
    parts, unreported = [], 0
    for chunk in delimited_chunks(path, header, columns):
        lines = chunk["line"].to_numpy()
        mlog10 = _mlog10(path, chunk, lines)
        unreported += int(np.isnan(mlog10).sum())
        keep = mlog10 >= threshold - 1e-12
        if keep.any():
            parts.append(_variants(path, chunk[keep], lines[keep], mlog10[keep]))
    if unreported:
        log.warning("%s: %d lines without a p-value (empty, NA or NaN) left out", path, unreported)
    if not parts:
        raise InputError(path, f"no variant at or below the p-value threshold {p_threshold:g}")
    table = pd.concat(parts, ignore_index=True)
    return table.assign(traits=trait or "", site=np.arange(len(table)))


def _mlog10(path, chunk, lines):
    """-log10 p of each line: from neg_log_10_p_value where the file has it (exact where p underflows)."""
    if "neg_log_10_p_value" in chunk:
        return parse_mlog10_values(chunk["neg_log_10_p_value"].tolist(), path, lines)[1]
    return parse_p_values(chunk["p_value"].tolist(), path, lines)[1]


def _variants(path, chunk, lines, mlog10):
    positions = chunk["base_pair_location"].str.strip()
    bad = np.flatnonzero(~positions.str.fullmatch(_INTEGER.pattern).to_numpy() | positions.eq("0").to_numpy())
    if bad.size:
        raise InputError(path, f"base_pair_location {positions.iat[bad[0]]!r} is not a positive integer",
                         int(lines[bad[0]]))
    chrom = chunk["chromosome"].str.strip().map(lambda name: CHROMOSOME_NUMBERS.get(name, name))
    ref = chunk["other_allele"].str.strip().str.upper()
    alt = chunk["effect_allele"].str.strip().str.upper()
    for role, alleles in (("other_allele", ref), ("effect_allele", alt)):
        empty = np.flatnonzero(alleles.eq("").to_numpy())
        if empty.size:
            raise InputError(path, f"empty {role}", int(lines[empty[0]]))
    ids = pd.Series("", index=chunk.index)
    for column in ("variant_id", "rsid"):  # rsid wins where both are given
        if column in chunk:
            given = chunk[column].str.strip()
            ids = ids.mask(~given.str.upper().isin(MISSING_IDS), given)
    pos = positions.astype("int64")
    ids = ids.mask(ids.eq(""), chrom + ":" + pos.astype(str) + ":" + ref + ":" + alt)
    return pd.DataFrame({"chrom": chrom.to_numpy(), "pos": pos.to_numpy(), "id": ids.to_numpy(), "ref": ref.to_numpy(),
                         "alt": alt.to_numpy(), "line": lines, "p_value": 10.0 ** -mlog10, "mlog10_p": mlog10})
