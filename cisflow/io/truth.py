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

import pandas as pd

from cisflow.io.errors import InputError
from cisflow.io.textio import open_text

POSITIVE = ("destroys", "1", "true", "yes", "positive")
NEGATIVE = ("neutral", "0", "false", "no", "negative")

log = logging.getLogger(__name__)


def read_truth(path):
    """``id``, ``effect`` (lower case) and ``positive`` (True, False, or NA for rows left out)."""
    with open_text(path) as handle:
        table = pd.read_csv(handle, sep="\t", dtype=str, keep_default_na=False)
    columns = {column.strip().lower(): column for column in table.columns}
    missing = [name for name in ("id", "effect") if name not in columns]
    if missing:
        raise InputError(path, f"a truth table needs the columns id and effect (tab-separated, with a header); "
                               f"no {' or '.join(missing)} in the header: {', '.join(table.columns)}", 1)
    if table.empty:
        raise InputError(path, "no rows below the header")
    effect = table[columns["effect"]].str.strip().str.lower()
    for name, labels in (("positive", POSITIVE), ("negative", NEGATIVE)):
        if not effect.isin(labels).any():
            raise InputError(path, f"no {name} row: the effect column needs {' / '.join(labels)} (any case); "
                                   f"it holds {', '.join(sorted(set(effect))[:8])}")
    positive = pd.array([True if e in POSITIVE else False if e in NEGATIVE else pd.NA for e in effect],
                        dtype="boolean")
    return pd.DataFrame({"id": table[columns["id"]].str.strip(), "effect": effect, "positive": positive})


def log_left_out(truth, path):
    """Name in the log the effects of the rows left out of the AUROC (a misspelt label shows)."""
    other = truth.loc[truth["positive"].isna(), "effect"]
    if len(other):
        log.warning("%s: %d rows left out of the truth AUROC, with effect %s", path, len(other),
                    ", ".join(sorted(set(other))[:8]))


def match_truth(truth, ids, path) -> int:
    """How many of the truth's labelled ids (destroys or neutral) are among the variant set's ``ids``.

    Parameters
    ----------
    truth : DataFrame
        From ``read_truth``.
    ids : sequence of str
        The variant set's ids.
    path : str
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


def _examples(ids, n=3):
    shown = " / ".join(str(value) for value in ids[:n])
    return (shown + " ...") if len(ids) > n else (shown or "none")
