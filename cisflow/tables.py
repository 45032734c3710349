"""Tables of sequences with measured activity (TSV or CSV, header or not, gzipped or not).

The separator is a tab if the first line has one, else a comma; gzip is recognised by content.

DREAM 2022 rules as Camformers applied them are the configurable filters here: keep sequences
whose length is within ``length ± tolerance``, drop those with more than ``max_n`` N, then pad
with N (or trim) to ``length`` at the configured end.
"""

import numpy as np
import pandas as pd

from cisflow.encode import encode_padded
from cisflow.errors import InputError
from cisflow.textio import first_line, is_gzip


def read_table(path, sequence_column, target_columns, id_column=None):
    """The table's ids, sequences, float targets and the line number of its first row.

    Errors name the file, the line and the column.

    Columns are header names, or 0-based column numbers (as strings or ints) for a table
    without a header.
    """
    headerless = str(sequence_column).isdigit()
    sep = "\t" if "\t" in first_line(path) else ","
    table = pd.read_csv(path, sep=sep, header=None if headerless else 0, dtype=str, keep_default_na=False,
                        compression="gzip" if is_gzip(path) else None)
    first_row_line = 1 if headerless else 2

    def column(name):
        key = int(name) if headerless else name
        if key not in table.columns:
            raise InputError(path, f"no column {name!r}; columns are {', '.join(map(str, table.columns))}", line=1)
        return table[key]

    sequences = column(sequence_column).str.strip()
    ids = column(id_column) if id_column is not None else pd.Series([f"row{i + 1}" for i in range(len(table))])
    duplicated = ids.duplicated()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated)[0])
        raise InputError(path, f"id {ids.iloc[row]!r} appears more than once", line=row + first_row_line)
    targets = np.empty((len(table), len(target_columns)), np.float32)
    for j, name in enumerate(target_columns):
        values = column(name)
        numbers = pd.to_numeric(values, errors="coerce")
        bad = numbers.isna()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            what = "missing" if not values.iloc[row].strip() else f"not a number: {values.iloc[row]!r}"
            raise InputError(path, f"target {name!r} is {what}", line=row + first_row_line)
        targets[:, j] = numbers.to_numpy(np.float32)
    return ids.tolist(), sequences.tolist(), targets, first_row_line


def select_sequences(sequences, length, tolerance=None, max_n=None):
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


def encode_table(path, sequences, rows, length, pad, first_line):
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
