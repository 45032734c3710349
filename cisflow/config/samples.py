"""The samples sheet: one peak file per sample (cell type), by URL or path, with an optional sha256 and
an optional peak_format (how to read the file: cisflow.io.peaks.PEAK_FORMATS)."""

from typing import Any

from cisflow.config.schema import validate_rows
from cisflow.io.errors import InputError
from cisflow.io.textio import quoted_rows, read_header
from cisflow.types import PathLike

REQUIRED_COLUMNS = ("sample", "url")


def read_samples(path: PathLike, schema_path: PathLike) -> list[dict[str, Any]]:
    """Rows of the sheet as dicts, validated; errors name the sheet, the line and the column.

    Parameters
    ----------
    path : str or Path
        The sheet: tab-separated, a header naming at least ``sample`` and ``url``.
    schema_path : str or Path
        The JSON schema of a row.

    Returns
    -------
    list of dict
        One a sample: {column (its name in the header, spaces around it dropped): value, or None where empty}.
    """
    header = read_header(path, quoted=True)
    if not header.names:
        raise InputError(path, "the samples sheet is empty")
    names = [name.strip() for name in header.names if name.strip()]
    missing = [column for column in REQUIRED_COLUMNS if column not in names]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}; the header has {', '.join(names)}",
                         line=header.line)
    positions = {name: header.position(path, name) for name in names}
    table = quoted_rows(path, header, {name: at for name, at in positions.items() if at is not None}, "\t")
    lines = table.pop("line").tolist()
    rows = [{k: (v or None) for k, v in row.items()} for row in table.to_dict("records")]
    try:
        validate_rows(rows, schema_path, path)
    except InputError as error:  # validate_rows counts rows from line 2; a blank or quoted line shifts them
        raise InputError(path, error.problem, None if error.line is None else lines[error.line - 2]) from None
    samples = table["sample"].tolist()
    for index, name in enumerate(samples):
        if samples.index(name) != index:
            raise InputError(path, f"sample {name!r} appears twice", line=lines[index])
    if not rows:
        raise InputError(path, "the samples sheet has no samples")
    return rows
