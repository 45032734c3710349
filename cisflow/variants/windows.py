"""The window a variant is scored in.

A VCF position ``pos`` is 1-based, so the variant's base is ``pos - 1`` in 0-based genome
coordinates. The model sees the ``seq_len`` bases ``[pos - 1 - seq_len // 2,
pos - 1 - seq_len // 2 + seq_len)`` (0-based, half-open), which puts the variant at index
``seq_len // 2`` of the window (for an even ``seq_len``, the right one of the two middle bases).
The alt window is the ref window with that single base replaced. An indel (REF and ALT of A/C/G/T
of other lengths) is scored, when asked, from both alleles' own windows: each starts at the same
base and holds its allele at index ``seq_len // 2``, followed by the genome after REF, up to
``seq_len`` bases.
"""

from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import pandas as pd
import pyfaidx

from cisflow.encode import encode

IntOrArray = TypeVar("IntOrArray", int, np.ndarray)  # one position or an array of them


def window_start(pos: IntOrArray, seq_len: int) -> IntOrArray:
    """0-based start of the window centred on 1-based VCF position(s) ``pos`` (see module docstring)."""
    return pos - 1 - seq_len // 2


def indel_windows(genome: pyfaidx.Fasta, rows: pd.DataFrame, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """(ref codes, alt codes) of indel ``rows``: each window starts ``seq_len // 2`` bases before
    the variant, then the allele, then the genome after REF, cut to ``seq_len``."""
    refs, alts = [], []
    for row in rows.to_dict("records"):
        record, at = genome[row["chrom"]], row["pos"] - 1
        before = str(record[at - seq_len // 2 : at])
        after = str(record[at + len(row["score_ref"]) : at + len(row["score_ref"]) + seq_len])
        refs.append((before + row["score_ref"] + after)[:seq_len].upper())
        alts.append((before + row["score_alt"] + after)[:seq_len].upper())
    return encode("".join(refs)).reshape(-1, seq_len), encode("".join(alts)).reshape(-1, seq_len)


def variant_windows(genome: pyfaidx.Fasta, chrom: str, positions: Sequence[int] | np.ndarray,
                    seq_len: int) -> np.ndarray:
    """(n, seq_len) codes of the windows centred on 1-based ``positions`` of one contig.

    Each window is read once from the indexed FASTA; a window that overruns the contig is an
    error (the variants were checked with another ``seq_len``).
    """
    record = genome[chrom]
    starts = window_start(np.asarray(positions, dtype=np.int64), seq_len)
    if len(starts) and (starts.min() < 0 or starts.max() + seq_len > len(record)):
        raise ValueError(f"a {seq_len} bp window overruns contig {chrom!r}: "
                         f"check the variants with the model's seq_len")
    text = "".join(record[start : start + seq_len] for start in starts.tolist())
    return encode(text).reshape(len(starts), seq_len)
