"""JASPAR motifs from the SQLite databases that ship inside pyjaspar, so no network is needed.

Reading a release takes about a second (pyjaspar queries each matrix separately), so the motifs
of each (release, collection, tax groups) selection are read once per process.
"""

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from cisflow.io.errors import ConfigError

BASES = "ACGT"


@dataclass(frozen=True)
class JasparMotif:
    """One JASPAR matrix: ``probabilities`` is (length, 4), rows summing to 1, in ACGT order."""

    matrix_id: str
    name: str
    probabilities: np.ndarray

    @property
    def length(self) -> int:
        """Columns of the matrix."""
        return len(self.probabilities)


def load_jaspar(release: str, tax_group: str | Iterable[str] | None, collection: str = "CORE") -> list[JasparMotif]:
    """The latest version of every motif of ``collection`` in ``release``.

    ``release`` and ``tax_group`` are an experiment's ``interpret.jaspar_release`` and
    ``interpret.tax_group``; ``tax_group`` is one taxonomic group ('vertebrates', 'plants',
    'insects', ...), a list of them, or None for all. Returns a new list each call; the motifs
    themselves are shared. A release pyjaspar lacks, or tax groups without a motif, is a
    ``ConfigError`` naming the config key both come from (``interpret.jaspar_release``,
    ``interpret.tax_group``).
    """
    groups = None if tax_group is None else tuple(sorted({tax_group} if isinstance(tax_group, str)
                                                         else set(tax_group)))
    return list(_load(release, collection, groups))


@functools.lru_cache(maxsize=None)
def _load(release: str, collection: str, groups: tuple[str, ...] | None) -> tuple[JasparMotif, ...]:
    from pyjaspar import jaspar_releases, jaspardb

    if release not in jaspar_releases:
        raise ConfigError("interpret.jaspar_release",
                          f"unknown JASPAR release {release!r}; pyjaspar has {', '.join(sorted(jaspar_releases))}")
    records = jaspardb(release=release).fetch_motifs(
        collection=collection, tax_group=None if groups is None else list(groups))
    if not records:
        raise ConfigError("interpret.tax_group", f"{release} has no {collection} motifs for tax group(s) "
                                                 f"{', '.join(groups or ['any'])}")
    return tuple(_motif(record) for record in records)


def _motif(record: Any) -> JasparMotif:  # a pyjaspar record (Bio.motifs.jaspar.Motif)
    counts = np.array([record.counts[base] for base in BASES], dtype=np.float64).T
    probabilities = counts / counts.sum(axis=1, keepdims=True)
    probabilities.flags.writeable = False  # shared between callers through the cache
    return JasparMotif(record.matrix_id, record.name, probabilities)
