"""Filter (or pattern) motifs compared with JASPAR by memelite's Tomtom, with q-values and a
column-shuffle control; which matches count is ``cisflow.interpret.matches``.
"""

import numpy as np
import pandas as pd

from cisflow.stats import benjamini_hochberg

MATCH_COLUMNS = ["filter", "status", "rank", "jaspar_id", "name", "p_value", "e_value", "q_value",
                 "shuffle_p_value", "offset", "overlap", "orientation", "n_sites", "n_seqs",
                 "information_content"]


def match_motifs(pfms, jaspar_motifs, top=5, min_information=2.0, n_shuffles=100, seed=0):
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
    ``n_shuffles`` is 0).

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
        p_values, _, offsets, overlaps, strands = tomtom(queries, targets)
        null = _shuffled_best_p_values(queries, targets, n_shuffles, seed)
        for i, pfm in enumerate(tested):
            rows += _match_rows(pfm, jaspar_motifs, p_values[i], offsets[i], overlaps[i], strands[i],
                                null[i], top)
    table = pd.DataFrame(rows, columns=MATCH_COLUMNS)
    table = table.astype({"rank": "Int64", "offset": "Int64", "overlap": "Int64"})
    return table.sort_values(["filter", "rank"], na_position="first", ignore_index=True)


def _tomtom_matrix(probs):
    """(4, width) float64 C-ordered: one layout and dtype, so numba compiles Tomtom only once."""
    return np.ascontiguousarray(np.asarray(probs).T, dtype=np.float64)


def _shuffled_best_p_values(queries, targets, n_shuffles, seed):
    """(queries, n_shuffles): best Tomtom p-value in ``targets`` of each column-shuffled query."""
    from memelite import tomtom

    if n_shuffles == 0:
        return np.empty((len(queries), 0))
    rng = np.random.default_rng(seed)
    shuffled = [np.ascontiguousarray(q[:, rng.permutation(q.shape[1])]) for q in queries
                for _ in range(n_shuffles)]
    best = tomtom(shuffled, targets, n_nearest=1)[0][:, 0]
    return best.reshape(len(queries), n_shuffles)


def _status(pfm, min_information):
    if pfm.n_sites == 0:
        return "no_sites"
    return "tested" if pfm.information_content >= min_information else "low_information"


def _filter_fields(pfm):
    return {"filter": pfm.filter, "n_sites": pfm.n_sites, "n_seqs": pfm.n_seqs,
            "information_content": pfm.information_content}


def _skipped_row(pfm, status):
    return {**_filter_fields(pfm), "status": status}


def _match_rows(pfm, motifs, p_values, offsets, overlaps, strands, null, top):
    q_values = benjamini_hochberg(p_values)
    best = np.argsort(p_values, kind="stable")[:top]
    return [{**_filter_fields(pfm), "status": "tested", "rank": rank,
             "jaspar_id": motifs[j].matrix_id, "name": motifs[j].name,
             "p_value": p_values[j], "e_value": p_values[j] * len(motifs), "q_value": q_values[j],
             "shuffle_p_value": _empirical_p_value(p_values[j], null),
             "offset": int(offsets[j]), "overlap": int(overlaps[j]),
             "orientation": "-" if strands[j] else "+"}
            for rank, j in enumerate(best, start=1)]


def _empirical_p_value(p_value, null):
    return (1 + np.sum(null <= p_value)) / (1 + len(null)) if len(null) else np.nan
