"""Filter (or pattern) motifs compared with JASPAR by memelite's Tomtom, with q-values and a
column-shuffle control; which matches count is ``cisflow.interpret.matches``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cisflow.interpret.matches import SHUFFLE_P_VALUE
from cisflow.io.logs import Progress
from cisflow.stats import benjamini_hochberg

if TYPE_CHECKING:  # filters imports torch, which matching itself does not need
    from cisflow.interpret.filters import FilterPFM
    from cisflow.interpret.jaspar import JasparMotif

log = logging.getLogger(__name__)

MATCH_COLUMNS = ["filter", "status", "rank", "jaspar_id", "name", "p_value", "e_value", "q_value",
                 "shuffle_p_value", "offset", "overlap", "orientation", "n_sites", "n_seqs",
                 "information_content"]

SHUFFLES_PER_ROUND = 10  # column shuffles of every undecided filter per Tomtom call


def match_motifs(pfms: Sequence[FilterPFM], jaspar_motifs: Sequence[JasparMotif], top: int = 5,
                 min_information: float = 2.0, n_shuffles: int = 100, seed: int = 0) -> pd.DataFrame:
    """Tomtom matches of filter motifs to JASPAR motifs, as a DataFrame (``MATCH_COLUMNS``).

    Each tested filter's frequency matrix is compared with every motif in ``jaspar_motifs``
    (both strands) by memelite's Tomtom; it has ``top`` rows (``rank`` 1 = smallest p-value),
    ``status`` 'tested'. memelite gives p-values only: ``q_value`` is Benjamini-Hochberg over
    that filter's comparisons with the whole database and ``e_value`` is p times the number of
    motifs, as in MEME's Tomtom. ``offset`` is the position of the motif column aligned with
    the filter's first column, in the motif as drawn in ``orientation`` ('-' = reverse
    complement of the JASPAR matrix); ``logos.plot_filter_matches`` takes both.

    Tomtom's p-values (Euclidean column distance, target columns as the null) are far too small
    for motifs of moderately informative columns: most random 19-column motifs get q < 0.05,
    nearly all against the low-information spacers of the long CTCF matrices. So each filter's
    columns are also put in ``n_shuffles`` random orders, and ``shuffle_p_value`` is
    (1 + the number of these whose best p-value in the database is at most the match's) /
    (1 + n_shuffles): a match is credible only if the filter's column order matters (NaN when
    ``n_shuffles`` is 0). The shuffles run in rounds of ``SHUFFLES_PER_ROUND``, and a filter
    stops once its best match can no longer pass (its p-value over all ``n_shuffles`` would be at
    least ``matches.SHUFFLE_P_VALUE`` whatever the shuffles left give): its rows then count over
    the shuffles it had. The filters whose best match passes all get ``n_shuffles``, with the
    same shuffles, so their values are those of a full run.

    Filters that fired on no site (``status`` 'no_sites') or whose information content is
    below ``min_information`` bits ('low_information') are not compared but keep one row with
    empty match columns, so that the table accounts for every filter.
    """
    from memelite import tomtom

    statuses = [_status(pfm, min_information) for pfm in pfms]
    tested = [pfm for pfm, status in zip(pfms, statuses) if status == "tested"]
    rows = [_skipped_row(pfm, status) for pfm, status in zip(pfms, statuses) if status != "tested"]
    if tested:
        targets = [_tomtom_matrix(m.probabilities) for m in jaspar_motifs]
        queries = [_tomtom_matrix(pfm.probabilities) for pfm in tested]
        log.info("Tomtom: %d motifs against %d, each with up to %d column shuffles", len(queries), len(targets),
                 n_shuffles)
        with Progress(f"Tomtom of {len(queries)} motifs against {len(targets)} (its first call in an environment "
                      "compiles memelite: about a minute)"):
            p_values, _, offsets, overlaps, strands = tomtom(queries, targets)
        null = _shuffled_best_p_values(queries, targets, n_shuffles, seed, p_values.min(axis=1))
        for i, pfm in enumerate(tested):
            rows += _match_rows(pfm, jaspar_motifs, p_values[i], offsets[i], overlaps[i], strands[i],
                                null[i], top)
    table = pd.DataFrame(rows, columns=MATCH_COLUMNS)
    table = table.astype({"rank": "Int64", "offset": "Int64", "overlap": "Int64"})
    return table.sort_values(["filter", "rank"], na_position="first", ignore_index=True)


def _tomtom_matrix(probs: np.ndarray) -> np.ndarray:
    """(4, width) float64 C-ordered: one layout and dtype, so numba compiles Tomtom only once."""
    return np.ascontiguousarray(np.asarray(probs).T, dtype=np.float64)


def _shuffled_best_p_values(queries: list[np.ndarray], targets: list[np.ndarray], n_shuffles: int, seed: int,
                            best_p: np.ndarray) -> np.ndarray:
    """(queries, n_shuffles): best Tomtom p-value in ``targets`` of each column-shuffled query,
    NaN for the shuffles of a query not run because its best match ``best_p`` (queries,) had
    already failed the control."""
    from memelite import tomtom

    rng = np.random.default_rng(seed)
    orders = [[rng.permutation(q.shape[1]) for _ in range(n_shuffles)] for q in queries]
    null = np.full((len(queries), n_shuffles), np.nan)
    undecided = np.arange(len(queries))
    with Progress("Tomtom column-shuffle control", total=n_shuffles, unit="shuffles a motif") as progress:
        for first in range(0, n_shuffles, SHUFFLES_PER_ROUND):
            rounds = np.arange(first, min(first + SHUFFLES_PER_ROUND, n_shuffles))
            shuffled = [np.ascontiguousarray(queries[i][:, orders[i][r]]) for i in undecided for r in rounds]
            best = tomtom(shuffled, targets, n_nearest=1)[0][:, 0]
            null[np.ix_(undecided, rounds)] = best.reshape(len(undecided), len(rounds))
            progress.advance(len(rounds))
            beaten = np.sum(null[undecided] <= best_p[undecided, None], axis=1)
            undecided = undecided[(1 + beaten) / (1 + n_shuffles) < SHUFFLE_P_VALUE]
            if not len(undecided):
                break
    return null


def _status(pfm: FilterPFM, min_information: float) -> str:
    if pfm.n_sites == 0:
        return "no_sites"
    return "tested" if pfm.information_content >= min_information else "low_information"


def _filter_fields(pfm: FilterPFM) -> dict[str, Any]:
    return {"filter": pfm.filter, "n_sites": pfm.n_sites, "n_seqs": pfm.n_seqs,
            "information_content": pfm.information_content}


def _skipped_row(pfm: FilterPFM, status: str) -> dict[str, Any]:
    return {**_filter_fields(pfm), "status": status}


def _match_rows(pfm: FilterPFM, motifs: Sequence[JasparMotif], p_values: np.ndarray, offsets: np.ndarray,
                overlaps: np.ndarray, strands: np.ndarray, null: np.ndarray, top: int) -> list[dict[str, Any]]:
    q_values = benjamini_hochberg(p_values)
    best = np.argsort(p_values, kind="stable")[:top]
    return [{**_filter_fields(pfm), "status": "tested", "rank": rank,
             "jaspar_id": motifs[j].matrix_id, "name": motifs[j].name,
             "p_value": p_values[j], "e_value": p_values[j] * len(motifs), "q_value": q_values[j],
             "shuffle_p_value": _empirical_p_value(p_values[j], null),
             "offset": int(offsets[j]), "overlap": int(overlaps[j]),
             "orientation": "-" if strands[j] else "+"}
            for rank, j in enumerate(best, start=1)]


def _empirical_p_value(p_value: float, null: np.ndarray) -> float:
    """(1 + shuffles at least as good) / (1 + shuffles run); NaN with none."""
    null = null[~np.isnan(null)]
    return (1 + np.sum(null <= p_value)) / (1 + len(null)) if len(null) else np.nan
