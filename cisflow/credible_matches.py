"""Which Tomtom matches count: a module of its own so the report needs neither torch nor memelite."""


def significant_matches(matches, q=0.05, shuffle_p=0.05):
    """Rows of a ``interpret.match_motifs`` table that count as matches: Tomtom q and the
    column-shuffle control's p both small."""
    keep = (matches["q_value"] < q) & ~(matches["shuffle_p_value"] >= shuffle_p)
    return matches[keep.fillna(False)]
