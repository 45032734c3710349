"""Truth tables of variant effects: which variants should rank on top.

A tab-separated file with a header holding ``id`` (the variant id of the VCF or table) and
``effect``: ``destroys`` (or 1, true, yes, positive) for variants expected to change the model's
outputs, ``neutral`` (or 0, false, no, negative) for variants expected not to, in any case. Rows with
another effect (``creates``, ``edge``...) are left out of the AUROC, and the log names their
labels, so that a misspelt one is seen. Other columns are ignored. Read and checked before any
scoring, so that a malformed file stops the job at once; once the variant set is read, its ids are
matched (``match_truth``): a truth table none of whose ids is in the set is refused (its ids are of
another kind: rs numbers against chr:pos:ref:alt, another build's...), and one of which fewer than
half are is named in the log, with the count.
"""

import logging
from collections.abc import Collection

import numpy as np
import pandas as pd

from cisflow.io.errors import InputError
from cisflow.io.textio import quoted_rows, read_header
from cisflow.types import PathLike

POSITIVE = ("destroys", "1", "true", "yes", "positive")
NEGATIVE = ("neutral", "0", "false", "no", "negative")

log = logging.getLogger(__name__)


def read_truth(path: PathLike) -> pd.DataFrame:
    """``id``, ``effect`` (lower case) and ``positive`` (True, False, or NA for rows left out).

    Read as the other small tables are (``textio.read_header``, ``quoted_rows``): a line with another
    number of fields than the header, a quote left open, an id given two effects or a row without an id is an
    InputError naming the line.
    """
    header = read_header(path, quoted=True)
    if not header.names:
        raise InputError(path, "the truth table is empty: it needs a header with the columns id and effect "
                               "(tab-separated)", header.line or None)
    positions = {name: header.position(path, name, key=lambda field: field.strip().lower())
                 for name in ("id", "effect")}
    columns = {name: position for name, position in positions.items() if position is not None}
    missing = [name for name in positions if name not in columns]
    if missing:
        raise InputError(path, f"a truth table needs the columns id and effect (tab-separated, with a header); "
                               f"no {' or '.join(missing)} in the header: {', '.join(header.names)}", header.line)
    table = quoted_rows(path, header, columns, "\t")
    if table.empty:
        raise InputError(path, "no rows below the header")
    ids = table["id"].str.strip()
    lines = table["line"].to_numpy()
    if (ids == "").any():
        raise InputError(path, "no id in this row", int(lines[np.argmax((ids == "").to_numpy())]))
    effect = table["effect"].str.strip().str.lower()
    for name, labels in (("positive", POSITIVE), ("negative", NEGATIVE)):
        if not effect.isin(labels).any():
            raise InputError(path, f"no {name} row: the effect column needs {' / '.join(labels)} (any case); "
                                   f"it holds {', '.join(sorted(set(effect))[:8])}")
    positive = pd.array([True if e in POSITIVE else False if e in NEGATIVE else pd.NA for e in effect],
                        dtype="boolean")
    meaning = pd.Series(np.where(effect.isin(POSITIVE), "destroys", np.where(effect.isin(NEGATIVE), "neutral", effect)))
    conflicting = pd.DataFrame({"id": ids, "meaning": meaning}).drop_duplicates()["id"].duplicated(keep=False)
    if conflicting.any():
        both = np.flatnonzero(ids.isin(ids[conflicting.index[conflicting]]).to_numpy())
        first, second = both[0], next(i for i in both[1:] if ids.iloc[i] == ids.iloc[both[0]]
                                      and meaning.iloc[i] != meaning.iloc[both[0]])
        raise InputError(path, f"id {ids.iloc[second]!r} is {effect.iloc[second]!r} here and {effect.iloc[first]!r} "
                               f"at line {int(lines[first])}", int(lines[second]))
    return pd.DataFrame({"id": ids, "effect": effect, "positive": positive})


def log_left_out(truth: pd.DataFrame, path: PathLike) -> None:
    """Name in the log the effects of the rows left out of the AUROC (a misspelt label shows)."""
    other = truth.loc[truth["positive"].isna(), "effect"]
    if len(other):
        log.warning("%s: %d rows left out of the truth AUROC, with effect %s", path, len(other),
                    ", ".join(sorted(set(other))[:8]))


def match_truth(truth: pd.DataFrame, ids: Collection[str], path: PathLike) -> int:
    """How many of the truth's labelled ids (destroys or neutral) are among the variant set's ``ids``.

    Parameters
    ----------
    truth : DataFrame
        From ``read_truth``.
    ids : collection of str
        The variant set's ids.
    path : str or Path
        The truth table, for the messages.

    Returns
    -------
    int
        The labelled ids found; fewer than half of them is logged as a warning.

    Raises
    ------
    InputError
        Where none is found, showing what the ids of each look like.
    """
    labelled = list(dict.fromkeys(truth.loc[truth["positive"].notna(), "id"]))
    known = set(ids)
    found = sum(truth_id in known for truth_id in labelled)
    if not found:
        raise InputError(path, f"none of its {len(labelled):,} ids (destroys or neutral) is in the variant set of "
                               f"{len(known):,} ids (the truth's look like {_examples(labelled)}; the variant set's "
                               f"like {_examples(list(dict.fromkeys(ids)))}): the truth AUROC would have nothing to "
                               "rank")
    if found < len(labelled) / 2:
        log.warning("%s: only %d of its %d ids (destroys or neutral) are in the variant set; the truth AUROC counts "
                    "those", path, found, len(labelled))
    return found


def _examples(ids: list[str], n: int = 3) -> str:
    shown = " / ".join(str(value) for value in ids[:n])
    return (shown + " ...") if len(ids) > n else (shown or "none")
