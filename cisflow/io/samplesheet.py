"""The samples sheet: one peak file per sample (cell type), by URL or path, with an optional sha256 and
an optional peak_format (how to read the file: cisflow.io.peaks.PEAK_FORMATS)."""

import pandas as pd

from cisflow.io.config import validate_rows
from cisflow.io.errors import InputError
from cisflow.io.textio import open_text

REQUIRED_COLUMNS = ("sample", "url")


def read_samples(path, schema_path):
    """Rows of the sheet as dicts, validated; errors name the sheet, the line and the column."""
    try:
        with open_text(path) as handle:
            table = pd.read_csv(handle, sep="\t", dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise InputError(path, "the samples sheet is empty") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}; the header has {', '.join(table.columns)}",
                         line=1)
    rows = [{k: (v or None) for k, v in row.items()} for row in table.to_dict("records")]
    validate_rows(rows, schema_path, path)
    names = table["sample"].tolist()
    for index, name in enumerate(names):
        if names.index(name) != index:
            raise InputError(path, f"sample {name!r} appears twice", line=index + 2)
    if not rows:
        raise InputError(path, "the samples sheet has no samples")
    return rows
