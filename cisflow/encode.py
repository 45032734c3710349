"""Integer codes for DNA: A, C, G, T, N = 0..4, one byte a base.

Sequences are stored as codes, never as one-hot floats (4 bytes x 4 channels a base); the one-hot
expansion happens where the model runs, on the GPU when there is one.
"""

import numpy as np

ALPHABET = "ACGTN"
N_CODE = 4
INVALID = 255

_LOOKUP = np.full(256, INVALID, dtype=np.uint8)
for _code, _base in enumerate(ALPHABET):
    _LOOKUP[ord(_base)] = _code
    _LOOKUP[ord(_base.lower())] = _code  # soft-masked repeats are lower case

_COMPLEMENT = np.array([3, 2, 1, 0, 4], dtype=np.uint8)


def encode(seq):
    """Codes of one sequence (str or bytes); raises ValueError naming the first bad character."""
    raw = np.frombuffer(seq.encode("ascii", "replace") if isinstance(seq, str) else bytes(seq), np.uint8)
    codes = _LOOKUP[raw]
    bad = np.flatnonzero(codes == INVALID)
    if bad.size:
        pos = int(bad[0])
        raise ValueError(f"character {chr(raw[pos])!r} at position {pos + 1} is not one of ACGTN")
    return codes


def encode_padded(seqs, length, pad="right"):
    """Codes of many sequences as an (n, length) array; shorter ones padded with N, longer trimmed.

    ``pad`` says which end gets the padding (and which end is trimmed): 'right', 'left' or 'both'.
    """
    out = np.full((len(seqs), length), N_CODE, dtype=np.uint8)
    for i, seq in enumerate(seqs):
        codes = encode(seq)[:length] if pad == "right" else _trim(encode(seq), length, pad)
        start = {"right": 0, "left": length - len(codes), "both": (length - len(codes)) // 2}[pad]
        out[i, start : start + len(codes)] = codes
    return out


def _trim(codes, length, pad):
    excess = len(codes) - length
    if excess <= 0:
        return codes
    if pad == "left":
        return codes[excess:]
    return codes[excess // 2 : excess // 2 + length]


def decode(codes):
    """The sequence string of an array of codes."""
    return np.frombuffer(b"ACGTN", np.uint8)[np.asarray(codes)].tobytes().decode()


def reverse_complement(codes):
    """Reverse complement of codes along the last axis (N stays N)."""
    return _COMPLEMENT[np.asarray(codes)][..., ::-1]
