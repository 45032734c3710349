"""Integer codes for DNA: A, C, G, T, N = 0..4, one byte a base.

Sequences are stored as codes, never as one-hot floats (4 bytes x 4 channels a base); the one-hot
expansion happens where the model runs, on the GPU when there is one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, overload

import numpy as np

if TYPE_CHECKING:
    import torch

ALPHABET = "ACGTN"
N_CODE = 4
INVALID = 255

_LOOKUP = np.full(256, INVALID, dtype=np.uint8)
for _code, _base in enumerate(ALPHABET):
    _LOOKUP[ord(_base)] = _code
    _LOOKUP[ord(_base.lower())] = _code  # soft-masked repeats are lower case

COMPLEMENT_CODES = (3, 2, 1, 0, 4)  # the code of each code's complement: A<->T, C<->G, N stays N
_COMPLEMENT = np.array(COMPLEMENT_CODES, dtype=np.uint8)
_COMPLEMENT_TEXT = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def encode(seq: str | bytes | np.ndarray) -> np.ndarray:
    """Codes of one sequence (str, bytes or a uint8 array of ASCII); a bad character is a
    ValueError naming it and its position."""
    if isinstance(seq, np.ndarray):
        raw = seq
    else:
        raw = np.frombuffer(seq.encode("ascii", "replace") if isinstance(seq, str) else bytes(seq), np.uint8)
    codes = _LOOKUP[raw]
    bad = np.flatnonzero(codes == INVALID)
    if bad.size:
        pos = int(bad[0])
        raise ValueError(f"character {chr(raw[pos])!r} at position {pos + 1} is not one of ACGTN")
    return codes


def encode_padded(seqs: Sequence[str], length: int, pad: str) -> np.ndarray:
    """Codes of many sequences as an (n, length) array; shorter ones padded with N, longer trimmed.

    ``pad`` says which end gets the padding (and which end is trimmed): 'right', 'left' or 'both' (a
    table or FASTA dataset's ``pad``; a model's ``cisflow.data.dataset.sequence_padding``).
    Sequences of one length are encoded together (one join and one table lookup), so a table of
    millions of sequences costs numpy passes, not a Python call per sequence.
    """
    out = np.full((len(seqs), length), N_CODE, dtype=np.uint8)
    lengths = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
    for size in np.unique(lengths):
        rows = np.flatnonzero(lengths == size)
        codes = encode("".join(seqs[i] for i in rows.tolist())).reshape(len(rows), size)
        keep = min(size, length)
        skip = {"right": 0, "left": size - keep, "both": (size - keep) // 2}[pad]  # trimmed from the start
        start = {"right": 0, "left": length - keep, "both": (length - keep) // 2}[pad]  # padding before
        out[rows, start : start + keep] = codes[:, skip : skip + keep]
    return out


def decode(codes: np.ndarray) -> str:
    """The sequence string of an array of codes."""
    return np.frombuffer(b"ACGTN", np.uint8)[np.asarray(codes)].tobytes().decode()


@overload
def reverse_complement(codes: np.ndarray) -> np.ndarray: ...
@overload
def reverse_complement(codes: torch.Tensor) -> torch.Tensor: ...
def reverse_complement(codes: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
    """Reverse complement of codes along the last axis (N stays N): a numpy array, or a torch
    tensor (on its own device, so that the GPU flips its batches itself)."""
    if isinstance(codes, np.ndarray) or not hasattr(codes, "flip"):  # a tensor has flip; no torch import needed
        return _COMPLEMENT[np.asarray(codes)][..., ::-1]
    return codes.new_tensor(COMPLEMENT_CODES)[codes.long()].flip(-1)


def reverse_complement_text(bases: str) -> str:
    """Reverse complement of a string of bases (IUPAC-free; case kept, N stays N)."""
    return bases.translate(_COMPLEMENT_TEXT)[::-1]


def gc_fraction(codes: np.ndarray) -> np.ndarray:
    """Fraction of G or C among the non-N bases of each row of (n, L) codes."""
    codes = np.atleast_2d(codes)
    called = (codes < N_CODE).sum(axis=1)
    return ((codes == 1) | (codes == 2)).sum(axis=1) / np.maximum(called, 1)
