"""Promoter windows around TSSs (Xpresso): strand-aware, read 5' to 3', joined to genes' values.

A TSS BED has one row per gene (chrom, start, end, gene, score, strand). The TSS is the
interval's start on the + strand and its last base on the - strand (``tss_at: start``), or the
interval's centre (``tss_at: center``, for BEDs of windows around TSSs). The window covers
``upstream`` bases before the TSS and ``downstream`` bases from it, in the gene's direction;
minus-strand windows are reverse complemented so that every sequence reads 5' to 3'.
"""

import numpy as np
import pandas as pd

from cisflow.io.errors import InputError
from cisflow.io.peaks import bed_records
from cisflow.types import PathLike


def read_tss(path: PathLike) -> pd.DataFrame:
    """Genes' TSS rows (chrom, start, end, gene, strand) of a BED6; errors name file and line."""
    rows = []
    for lineno, fields, start, end in bed_records(path, 6, "6 tab-separated columns (BED6 with gene and strand)"):
        if fields[5] not in ("+", "-"):
            raise InputError(path, f"strand {fields[5]!r} is not + or -", lineno)
        rows.append((fields[0], start, end, fields[3], fields[5], lineno))
    if not rows:
        raise InputError(path, "no TSS rows in the file")
    table = pd.DataFrame(rows, columns=["chrom", "start", "end", "gene", "strand", "line"])
    repeated = table["gene"].duplicated()
    if repeated.any():
        row = table[repeated].iloc[0]
        raise InputError(path, f"gene {row.gene!r} appears more than once", int(row.line))
    return table.drop(columns="line")


def promoter_windows(tss: pd.DataFrame, upstream: int, downstream: int, tss_at: str) -> pd.DataFrame:
    """Fixed-width windows (chrom, start, end, strand, gene) around each TSS, in genome coordinates: ``upstream``
    bases before it and ``downstream`` from it on its strand, the TSS being each interval's 5' end on its strand
    (``tss_at`` 'start') or its centre ('center'), as a promoters dataset's ``tss_at`` says."""
    plus = tss["strand"].to_numpy() == "+"
    if tss_at == "center":
        site = ((tss["start"] + tss["end"]) // 2).to_numpy()
    else:
        site = np.where(plus, tss["start"].to_numpy(), tss["end"].to_numpy() - 1)
    start = np.where(plus, site - upstream, site - downstream + 1)
    return pd.DataFrame({"chrom": tss["chrom"].to_numpy(), "start": start, "end": start + upstream + downstream,
                         "strand": tss["strand"].to_numpy(), "gene": tss["gene"].to_numpy()})
