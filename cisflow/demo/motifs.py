"""The JASPAR motifs the demo plants, and one site drawn from a motif.

Each cell type's own peaks carry one motif (GATA1::TAL1 in K562, FOS::JUN in HeLa-S3, CTCF in GM12878) and the
peaks shared by all three carry SP1; the activity table plants four yeast motifs, each with a weight on activity
(REB1, ABF1 and RAP1 raise it, MIG1 lowers it). The matrices are read from the JASPAR database shipped inside
pyjaspar (no network), their counts plus a pseudocount made probabilities, and every planted site is drawn from
them base by base. ``motifs_text`` lists them all (motifs.tsv).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from pyjaspar import jaspardb

from cisflow.encode import reverse_complement

RELEASE = "JASPAR2024"
PEAK_MOTIFS = {"K562": "MA0140.3", "HeLa-S3": "MA0099.4", "GM12878": "MA0139.2"}  # GATA1::TAL1, FOS::JUN, CTCF
SHARED_MOTIF = "MA0079.5"  # SP1
TABLE_WEIGHTS = {"MA0363.3": 1.0, "MA0265.3": 0.8, "MA0359.3": 0.6, "MA0337.2": -0.7}  # REB1 ABF1 RAP1; MIG1
PSEUDOCOUNT = 0.5  # added to every JASPAR count before normalising, so no base has probability 0

BASES = "ACGT"


@dataclass(frozen=True)
class Motif:
    tf: str
    jaspar_id: str
    probs: np.ndarray  # (4, length): rows A, C, G, T; columns sum to 1

    @property
    def length(self) -> int:
        return self.probs.shape[1]


def load_motifs(ids: Iterable[str], release: str = RELEASE) -> dict[str, Motif]:
    """{id: Motif} from the JASPAR database shipped inside pyjaspar (no network), counts made probabilities."""
    db = jaspardb(release=release)
    motifs = {}
    for jaspar_id in ids:
        record = db.fetch_motif_by_id(jaspar_id)
        counts = np.array([record.counts[base] for base in BASES], dtype=float) + PSEUDOCOUNT
        motifs[jaspar_id] = Motif(record.name, record.matrix_id, counts / counts.sum(axis=0))
    return motifs


def sample_site(rng: np.random.Generator, motif: Motif) -> np.ndarray:
    """Codes of one motif instance drawn base by base from the PWM, in the motif's own orientation."""
    cumulative = motif.probs.cumsum(axis=0)[:3]
    return (rng.random(motif.length) > cumulative).sum(axis=0).astype(np.uint8)


def on_plus_strand(bases: np.ndarray, strand: str) -> np.ndarray:
    return bases if strand == "+" else reverse_complement(bases)


def motifs_text(motifs: Mapping[str, Motif]) -> str:
    rows = ["role\ttf\tjaspar_id\trelease\tweight"]
    rows += [f"peaks\t{motifs[i].tf}\t{i}\t{RELEASE}\t" for i in [*PEAK_MOTIFS.values(), SHARED_MOTIF]]
    rows += [f"table\t{motifs[i].tf}\t{i}\t{RELEASE}\t{w}" for i, w in TABLE_WEIGHTS.items()]
    return "\n".join(rows) + "\n"
