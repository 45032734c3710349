"""Which Tomtom matches count, and each filter's (or pattern's) best one: defined once, for the
interpret and modisco rules and the report alike (a module of its own, so that the report needs
neither torch nor memelite).

A match is credible when its Tomtom q-value is below 0.05 and its column-shuffle control
(``matching.match_motifs``: the filter's columns put in random orders) gives p below 0.05; where
no shuffle control was run (``n_shuffles`` 0, shuffle p NaN) the q-value alone decides. Ties
between credible matches are broken by q, then p, then Tomtom's rank.
"""

import pandas as pd

ORDER = ["q_value", "p_value", "rank"]

Q_VALUE = 0.05  # a credible match's Tomtom q-value is below this
SHUFFLE_P_VALUE = 0.05  # ... and so is its column-shuffle p-value


def credible_matches(matches: pd.DataFrame, q: float = Q_VALUE, shuffle_p: float = SHUFFLE_P_VALUE) -> pd.DataFrame:
    """The credible rows of a ``matching.match_motifs`` table (or of TF-MoDISco's), best first."""
    keep = (matches["q_value"] < q) & ~(matches["shuffle_p_value"] >= shuffle_p)
    return matches[keep.fillna(False)].sort_values(ORDER, kind="mergesort")


def best_matches(matches: pd.DataFrame, key: str = "filter") -> pd.DataFrame:
    """Each ``key`` (filter or pattern) with a credible match, by its best one, best first."""
    return credible_matches(matches).drop_duplicates(key)
