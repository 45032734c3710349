"""Labelled FASTA inputs: sequences of one class (or one set of target values) a file.

``read_fasta`` streams the records of a FASTA file (gzipped or not, recognised by content):
sequences are upper-cased (soft-masked repeats are lower case), IUPAC ambiguity codes become N,
and anything malformed is an error naming the file and the line. ``read_labelled`` joins the
records of several files, each file giving its records its label (Janggu's Oct4 vs MafK peaks:
one file per class).
"""

from collections.abc import Iterator, Sequence

from cisflow.io.errors import InputError
from cisflow.io.textio import decode_line, open_bytes
from cisflow.types import PathLike

_BASES = b"ACGTN"
_IUPAC_TO_N = bytes.maketrans(b"RYKMSWBDHV", b"N" * 10)


def read_fasta(path: PathLike) -> Iterator[tuple[str, str, int]]:
    """Yield ``(name, sequence, line)`` for each record of the FASTA file ``path``, streamed.

    ``name`` is the header's first word, ``sequence`` the upper-cased sequence (str, lines joined;
    IUPAC ambiguity codes as N), ``line`` the header's line number. Errors (InputError naming the
    file and line): a sequence before the first header, a header without a name, a record
    without sequence, a name repeated in the file, a character that is not a base, a header that
    is not UTF-8 text (it would make a mangled name).
    """
    seen: dict[str, int] = {}
    name: str | None = None
    line_of_name = 0
    parts: list[bytes] = []
    with open_bytes(path) as handle:
        for lineno, raw in enumerate(handle, 1):
            line = raw.rstrip()
            if line.startswith(b">"):
                if name is not None:
                    yield _record(path, name, parts, line_of_name)
                fields = decode_line(path, lineno, line)[1:].split(None, 1)
                if not fields:
                    raise InputError(path, "FASTA header without a name", lineno)
                name, line_of_name, parts = fields[0], lineno, []
                if name in seen:
                    raise InputError(path, f"record {name!r} appears twice (first on line {seen[name]})", lineno)
                seen[name] = lineno
            elif line:
                if name is None:
                    raise InputError(path, "sequence before the first '>' header", lineno)
                bases = line.upper().translate(_IUPAC_TO_N)
                bad = bases.translate(None, _BASES)
                if bad:
                    column = bases.index(bad[:1]) + 1
                    raise InputError(path, f"character {chr(line[column - 1])!r} at column {column} is not a base "
                                           "(ACGTN or an IUPAC ambiguity code)", lineno)
                parts.append(bases)
    if name is None:
        raise InputError(path, "no FASTA records found")
    yield _record(path, name, parts, line_of_name)


def _record(path: PathLike, name: str, parts: list[bytes], line: int) -> tuple[str, str, int]:
    if not parts:
        raise InputError(path, f"record {name!r} has no sequence", line)
    return name, b"".join(parts).decode("ascii"), line


def read_labelled(paths: Sequence[PathLike], labels: Sequence[float | Sequence[float]], n_targets: int
                  ) -> tuple[list[str], list[str], list[tuple[float, ...]], list[tuple[PathLike, int]]]:
    """Records of several FASTA files, each with its file's label.

    ``labels[i]`` is the label of every record of ``paths[i]``: one number (repeated over the
    targets) or a list of ``n_targets`` numbers. Returns (names, sequences, targets as a list of
    tuples, where) with ``where[i]`` = (path, line) of record i. A record name found in two files
    is an error naming both places.
    """
    if len(paths) != len(labels):
        raise ValueError(f"{len(paths)} FASTA files but {len(labels)} labels")
    names: list[str] = []
    sequences: list[str] = []
    targets: list[tuple[float, ...]] = []
    where: list[tuple[PathLike, int]] = []
    first: dict[str, tuple[str, int]] = {}
    for path, label in zip(paths, labels):
        values = tuple(float(v) for v in (label if isinstance(label, (list, tuple)) else [label] * n_targets))
        if len(values) != n_targets:
            raise ValueError(f"{path}: label {label!r} has {len(values)} values for {n_targets} targets")
        for name, sequence, line in read_fasta(path):
            if name in first:
                other, other_line = first[name]
                raise InputError(path, f"record {name!r} is also in {other} (line {other_line})", line)
            first[name] = (str(path), line)
            names.append(name)
            sequences.append(sequence)
            targets.append(values)
            where.append((path, line))
    return names, sequences, targets, where
