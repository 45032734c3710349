"""Tables of sequences with measured activity (TSV or CSV, header or not, gzipped or not).

The separator is a tab if the first line has one, else a comma; gzip is recognised by content.
Columns are header names, or 0-based column numbers (strings of digits) for a table without header.

DREAM 2022 rules as Camformers applied them are the configurable filters here: keep sequences
whose length is within ``length ± tolerance``, drop those with more than ``max_n`` N, then pad
with N (or trim) to ``length`` at the configured end.
"""

import csv
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Self

import numpy as np
import numpy.typing as npt
import pandas as pd

from cisflow.encode import encode_padded
from cisflow.io.errors import InputError
from cisflow.io.textio import Header, first_line, open_text, quoted_rows
from cisflow.types import PathLike

FLOAT32_MAX = float(np.finfo(np.float32).max)
EXTRA = "\x00extra"  # the column read beyond the first line's fields: a value there is an extra field


class Table:
    """Rows of a delimited text table, as strings: columns by header name, or by 0-based number
    (as a string of digits) when the table has no header. Errors name the file and line."""

    def __init__(self, path: PathLike, frame: pd.DataFrame, headerless: bool, first_row_line: int) -> None:
        self.path, self.frame, self.headerless, self.first_row_line = path, frame, headerless, first_row_line

    @classmethod
    def chunks(cls, path: PathLike, headerless: bool, rows: int | None = None) -> Iterator[Self]:
        """The table as Tables of at most ``rows`` rows each (the whole table when None).

        An empty file, and a row with more fields than the header (or the first row), are errors:
        pandas would read the first data row's extra field as an unnamed index column, shifting
        every column by one, and pandas 2 reading in chunks drops a later row's extra fields
        silently. So the table is read with one column more than its first line has: any value
        there is an extra field (an empty one, a trailing separator as spreadsheets write, is not).
        """
        head = first_line(path)
        if not head.strip():
            raise InputError(path, "the table is empty")
        sep = "\t" if "\t" in head else ","
        fields = next(csv.reader([head.rstrip("\r\n")], delimiter=sep))
        names: list[str | int] = list(range(len(fields))) if headerless else list(fields)
        repeated = [name for name in dict.fromkeys(names) if names.count(name) > 1]
        if repeated:
            raise InputError(path, f"column {repeated[0]!r} appears {names.count(repeated[0])} times in the header", 1)
        line = 1 if headerless else 2
        try:
            with open_text(path) as handle:  # truncated gzip and non-UTF-8 bytes: errors naming the line
                reader = pd.read_csv(handle, sep=sep, header=None, skiprows=0 if headerless else 1,
                                     names=[*names, EXTRA], dtype=str, keep_default_na=False, chunksize=rows)
                for frame in [reader] if rows is None else reader:
                    extra = frame[EXTRA].fillna("").ne("").to_numpy()  # a trailing empty field is harmless
                    if extra.any():
                        first_data_row = line == (1 if headerless else 2) and extra[0]
                        raise _extra_field(path, sep, len(names), headerless, hint=(
                            " (a first column of row names, as R's write.table writes them, needs a name in the "
                            "header)" if first_data_row and not headerless else ""))
                    yield cls(path, frame.drop(columns=EXTRA), headerless, line)
                    line += len(frame)
        except pd.errors.EmptyDataError:
            raise InputError(path, "the table is empty") from None
        except pd.errors.ParserError as err:
            expected = re.search(r"Expected (\d+) fields in line (\d+)", str(err))
            if expected is None:  # a quote left open...: the csv module names the line, or pandas' words
                quoted_rows(path, Header(fields, 0 if headerless else 1), {}, sep)
                raise InputError(path, f"cannot be read as a table: {str(err).strip()}") from None
            raise _extra_field(path, sep, int(expected[1]), headerless, int(expected[2])) from None

    @classmethod
    def pasted_chunks(cls, paths: Sequence[PathLike], rows: int | None = None) -> Iterator[Self]:
        """Headerless files of equal length read side by side, as one table whose columns are
        numbered across the files in order (the primer's sequences.txt and labels.txt)."""
        if len(paths) == 1:
            yield from cls.chunks(paths[0], True, rows)
            return
        readers = [cls.chunks(path, True, rows) for path in paths]
        line = 1
        while True:
            parts = [next(reader, None) for reader in readers]
            if all(part is None for part in parts):
                return
            lengths = [0 if part is None else len(part) for part in parts]
            if len(set(lengths)) > 1:
                short = paths[lengths.index(min(lengths))]
                raise InputError(short, "has fewer lines than the files pasted beside it "
                                        f"({', '.join(map(str, paths))})", line=line + min(lengths))
            frame = pd.concat([part.frame for part in parts if part is not None], axis=1, ignore_index=True)
            yield cls(" + ".join(map(str, paths)), frame, True, line)
            line += len(frame)

    @classmethod
    def read(cls, path: PathLike, headerless: bool) -> Self:
        """The whole table as one Table (``chunks``)."""
        return next(cls.chunks(path, headerless))

    def __len__(self) -> int:
        return len(self.frame)

    def column(self, name: str | int) -> pd.Series:
        """The column ``name`` (a header name, or a 0-based number for a headerless table); a missing one
        is an error naming the columns there are."""
        key = int(name) if self.headerless else name
        if key not in self.frame.columns:
            columns = ", ".join(map(str, self.frame.columns))
            raise InputError(self.path, f"no column {name!r}; columns are {columns}", line=1)
        return self.frame[key]

    def ids(self, name: str | int | None, seen: set[str] | None = None) -> list[str]:
        """The id column (or row<line> without one); an id repeated here or in ``seen`` (the ids of
        earlier chunks, updated) is an error."""
        if name is None:
            first = self.first_row_line - (0 if self.headerless else 1)
            return [f"row{first + i}" for i in range(len(self))]
        ids = self.column(name)
        duplicated = ids.duplicated() | (ids.isin(seen) if seen else False)
        if duplicated.any():
            row = int(np.flatnonzero(duplicated)[0])
            raise InputError(self.path, f"id {ids.iloc[row]!r} appears more than once",
                             line=row + self.first_row_line)
        if seen is not None:
            seen.update(ids)
        return ids.tolist()

    def numbers(self, names: Sequence[str | int], what: str = "target") -> npt.NDArray[np.float32]:
        """(rows, len(names)) float32 of numeric columns; a missing, non-numeric or infinite value (or
        one beyond float32, which would become infinite) is an error: training would fail on it later."""
        out = np.empty((len(self), len(names)), np.float32)
        for j, name in enumerate(names):
            values = self.column(name)
            numbers = pd.to_numeric(values, errors="coerce").to_numpy(np.float64)
            bad = ~(np.abs(numbers) <= FLOAT32_MAX)  # NaN compares False
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                text = values.iloc[row]
                number = _float(text)  # pandas 2 reads a value beyond float64 ('1e400') as NaN, pandas 3 as inf
                if not text.strip():
                    problem = "missing"
                elif np.isnan(number):
                    problem = f"not a number: {text!r}"
                elif np.isinf(number):
                    problem = f"infinite: {text!r}"
                else:
                    problem = f"beyond float32's range (±{FLOAT32_MAX:.1e}): {text!r}"
                raise InputError(self.path, f"{what} {name!r} is {problem}", line=row + self.first_row_line)
            out[:, j] = numbers
        return out


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _extra_field(path: PathLike, sep: str, expected: int, headerless: bool, record: int | None = None,
                 hint: str = "") -> InputError:
    """The InputError for the first row of ``path`` with more than ``expected`` fields.

    pandas counts records, not lines (a quoted field may span lines), so the file is read again
    to name the line; ``record`` is pandas' number, should the reading find none.
    """
    with open_text(path) as handle:
        reader = csv.reader(handle, delimiter=sep)
        for fields in reader:
            if len(fields) > expected:
                return InputError(path, f"{len(fields)} fields, but the {'first row' if headerless else 'header'} "
                                        f"has {expected}{hint}", line=reader.line_num)
    return InputError(path, f"more than {expected} fields{hint}", line=record)


def read_values(path: PathLike | Sequence[PathLike], id_column: str | int | None, columns: Sequence[str | int],
                what: str = "value") -> dict[str, npt.NDArray[np.float32]]:
    """{id: row of float values} of a keyed numeric table (expression, per-gene features): one file, or the
    headerless files of a pasted table (a list) read side by side (``Table.pasted_chunks``)."""
    if isinstance(path, (str, os.PathLike)):
        table = Table.read(path, headerless=str(id_column).isdigit())
    else:
        table = next(Table.pasted_chunks(path))
    return dict(zip(table.ids(id_column), table.numbers(columns, what)))


def select_sequences(sequences: Sequence[str], length: int, tolerance: int | None = None,
                     max_n: int | None = None) -> tuple[npt.NDArray[np.bool_], dict[str, int]]:
    """Boolean mask of the sequences kept, and counts of what each rule removed."""
    lengths = np.array([len(s) for s in sequences])
    n_counts = np.array([s.upper().count("N") for s in sequences])
    length_ok = np.ones(len(sequences), bool) if tolerance is None else np.abs(lengths - length) <= tolerance
    n_ok = np.ones(len(sequences), bool) if max_n is None else n_counts <= max_n
    counts = {"rows": len(sequences), "outside_length_range": int((~length_ok).sum()),
              "too_many_n": int((length_ok & ~n_ok).sum())}
    keep = length_ok & n_ok
    counts["kept"] = int(keep.sum())
    return keep, counts


def encode_table(path: PathLike, sequences: Sequence[str], rows: Iterable[int], length: int, pad: str,
                 first_line: int) -> np.ndarray:
    """Codes of the sequences (padded/trimmed); a bad character is an error naming its line.

    ``rows`` holds each sequence's 0-based row in the table, for the message.
    """
    try:
        return encode_padded(sequences, length, pad)
    except ValueError:
        for row, seq in zip(rows, sequences):
            try:
                encode_padded([seq], length, pad)
            except ValueError as err:
                raise InputError(path, str(err), line=int(row) + first_line) from None
        raise
