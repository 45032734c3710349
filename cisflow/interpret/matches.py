"""Which Tomtom matches count, and each filter's (or pattern's) best one: defined once, for the
interpret and modisco rules and the report alike (a module of its own, so that the report needs
neither torch nor memelite).

A match is credible when its Tomtom q-value is below 0.05 and its column-shuffle control
(``matching.match_motifs``: the filter's columns put in random orders) gives p below 0.05; where
no shuffle control was run (``n_shuffles`` 0, shuffle p NaN) the q-value alone decides. Ties
between credible matches are broken by q, then p, then Tomtom's rank.
"""

from collections.abc import Sequence

import pandas as pd

ORDER = ["q_value", "p_value", "rank"]

Q_VALUE = 0.05  # a credible match's Tomtom q-value is below this
SHUFFLE_P_VALUE = 0.05  # ... and so is its column-shuffle p-value


def credible_matches(matches: pd.DataFrame, q: float = Q_VALUE, shuffle_p: float = SHUFFLE_P_VALUE) -> pd.DataFrame:
    """The credible rows of a ``matching.match_motifs`` table (or of TF-MoDISco's), best first."""
    keep = (matches["q_value"] < q) & ~(matches["shuffle_p_value"] >= shuffle_p)
    return matches[keep.fillna(False)].sort_values(ORDER, kind="mergesort")


def best_matches(matches: pd.DataFrame, key: str = "filter") -> pd.DataFrame:
    """Each ``key`` (filter or pattern) with a credible match, by its best one, best first; a
    table of an ensemble's filters (with ``member``) has each member's filters apart."""
    return credible_matches(matches).drop_duplicates([column for column in ("member", key) if column in matches])


def reproducibility(matches: pd.DataFrame, members: Sequence[str]) -> pd.DataFrame:
    """Each JASPAR motif that is the best credible match of a filter, by the number of ``members``
    with such a filter (first-layer filters do not align across members: a motif learned by most
    members is a finding, one of a single member may be chance).

    Returns a DataFrame: ``name``, ``jaspar_id`` (of its best match), ``members`` (how many),
    ``of`` (len(members)), ``found_in`` (their names, comma-joined), ``filters`` (in all) and
    ``best_q_value``; most members first, then most filters.
    """
    best = best_matches(matches)
    member = best["member"] if "member" in best else pd.Series(members[0], index=best.index)
    rows = []
    for name, group in best.assign(member=member).groupby("name", sort=False):
        found = [m for m in members if m in set(group["member"])]
        rows.append({"name": name, "jaspar_id": group["jaspar_id"].iloc[0], "members": len(found),
                     "of": len(members), "found_in": ",".join(found), "filters": len(group),
                     "best_q_value": float(group["q_value"].min())})
    columns = ["name", "jaspar_id", "members", "of", "found_in", "filters", "best_q_value"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["members", "filters", "best_q_value"], ascending=[False, False, True], kind="mergesort")
