"""The modisco rule: motif discovery from attributions with TF-MoDISco (modisco-lite).

First-layer filters show what single units detect; TF-MoDISco instead clusters the stretches
of high attribution (seqlets) across many sequences into patterns, which may span several
filters or layers. Its input is each sequence's one-hot bases and *hypothetical*
contributions: for every position and every base, what that base would contribute there. They
are the input gradient with its mean over the four bases removed at each position (the
gradient correction of Majdandzic et al. 2023: the one-hot simplex has no direction along that
mean). The patterns are trimmed and matched to JASPAR like the filters. modisco-lite is
optional (``interpret.modisco`` in the config); it brings numba, leidenalg and igraph.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from torch import nn

from cisflow.config.settings import Interpret
from cisflow.data.dataset import load_dataset
from cisflow.interpret.attribution import input_gradients, top_examples
from cisflow.interpret.filters import FilterPFM, write_meme
from cisflow.interpret.jaspar import load_jaspar
from cisflow.interpret.logos import plot_filter_matches
from cisflow.interpret.matches import best_matches
from cisflow.interpret.matching import match_motifs
from cisflow.interpret.subsample import subsample_of_test
from cisflow.io.atomic import atomic_path
from cisflow.io.errors import ConfigError
from cisflow.io.logs import Progress
from cisflow.models.checkpoint import load_model
from cisflow.models.predict import device, predict
from cisflow.types import PathLike

log = logging.getLogger(__name__)

TRIM_FRACTION = 0.3  # pattern columns kept: from the first to the last with |CWM| >= this x the largest


def discover_motifs(model_path: PathLike, dataset_path: PathLike, interpret: Interpret, meme_out: PathLike,
                    matches_out: PathLike, png_out: PathLike) -> tuple[list[Pattern], pd.DataFrame]:
    """The modisco rule: TF-MoDISco patterns of the test sequences predicted highest for
    ``interpret.modisco_target`` (the first target when None), matched to JASPAR like the filters;
    the top sequences are those of the interpret rule's seeded test subsample (``interpret.subsample``).

    Parameters
    ----------
    model_path, dataset_path : str or Path
        The model file and its dataset.
    interpret : cisflow.config.settings.Interpret
        The experiment's interpret settings (modisco_target, modisco_sequences, subsample, seed,
        JASPAR release).
    meme_out, matches_out, png_out : str or Path
        The patterns as MEME, their matches (TSV, one row a pattern x JASPAR motif) and the logos
        of the patterns with a credible match.

    Returns
    -------
    (list of Pattern, DataFrame)
        The patterns and the matches table.
    """
    model, meta = load_model(model_path, device())
    data = load_dataset(dataset_path)
    test = subsample_of_test(data, interpret)
    targets = [str(t) for t in meta["dataset"]["targets"]]
    name = interpret.modisco_target or targets[0]
    if name not in targets:
        raise ConfigError("interpret.modisco_target", f"{name!r} is not a target of the model ({', '.join(targets)})")
    codes, hypothetical = modisco_inputs(model, meta, np.asarray(data.codes[test]), targets.index(name),
                                         interpret.modisco_sequences, data.features_of(test))
    patterns = discover_patterns(codes, hypothetical)
    pfms = [pattern.as_pfm(i) for i, pattern in enumerate(patterns)]
    write_meme(meme_out, pfms, names=[pattern.name for pattern in patterns])
    jaspar = load_jaspar(interpret.jaspar_release, tax_group=interpret.tax_group)
    matches = match_motifs(pfms, jaspar).rename(columns={"filter": "pattern", "n_sites": "n_seqlets"})
    matches = matches.drop(columns="n_seqs")
    matches.insert(1, "pattern_name", [patterns[i].name for i in matches["pattern"]])
    matches.insert(2, "sign", [patterns[i].sign for i in matches["pattern"]])
    with atomic_path(matches_out) as tmp:
        matches.to_csv(tmp, sep="\t", index=False, float_format="%.4g")
    best = best_matches(matches, "pattern").set_index("pattern")
    by_id = {motif.matrix_id: motif for motif in jaspar}
    panels = []  # the patterns with a credible match; the others are in the MEME file and the table
    for i, row in best.iterrows():
        pattern = patterns[i]
        panels.append(dict(title=f"{pattern.name} ({pattern.n_seqlets} seqlets) ~ {row['name']} {row['jaspar_id']}, "
                                 f"q = {row['q_value']:.2g}",
                           filter_probs=pattern.probs, jaspar_probs=by_id[row["jaspar_id"]].probabilities,
                           offset=int(row["offset"]), orientation=row["orientation"]))
    plot_filter_matches(png_out, panels, labels=("TF-MoDISco pattern", "JASPAR"),
                        empty="no TF-MoDISco pattern matches a JASPAR motif credibly")
    return patterns, matches




@dataclass
class Pattern:
    """A TF-MoDISco pattern trimmed to its core: ``probs`` the seqlets' base frequencies and
    ``cwm`` their mean contributions, both (width, 4) in ACGT order; ``sign`` +1 for patterns
    that raise the output, -1 for those that lower it."""

    name: str
    sign: int
    probs: np.ndarray
    cwm: np.ndarray
    n_seqlets: int

    def as_pfm(self, index: int) -> FilterPFM:
        """The pattern as a ``FilterPFM`` (its seqlets as sites), for ``match_motifs`` and ``write_meme``."""
        return FilterPFM(filter=index, counts=self.probs * self.n_seqlets, n_sites=self.n_seqlets,
                         n_seqs=self.n_seqlets, max_activation=float("nan"))


def hypothetical_contributions(model: nn.Module, codes: np.ndarray, target: int, batch_size: int = 256,
                               features: np.ndarray | None = None) -> np.ndarray:
    """(N, L, 4) float32: the gradient of raw output ``target`` with respect to the one-hot
    input, minus its mean over the four bases at each position."""
    parts = [(grad - grad.mean(dim=1, keepdim=True)).transpose(1, 2).cpu().numpy()
             for _, grad in input_gradients(model, codes, target, batch_size, features)]
    return np.concatenate(parts).astype(np.float32)


def discover_patterns(codes: np.ndarray, hypothetical: np.ndarray, max_seqlets: int = 20000,
                      leiden_runs: int = 10) -> list[Pattern]:
    """TF-MoDISco patterns of sequences ``codes`` (N, L) given their hypothetical contributions
    (N, L, 4): positive ones first, each trimmed to its core (``trim``)."""
    try:
        from modiscolite import precompile
        from modiscolite.tfmodisco import TFMoDISco
    except ImportError as error:
        raise ImportError("interpret.modisco needs modisco-lite: pip install modisco-lite==3.0.0 "
                          "(or set modisco: false)") from error
    codes = np.asarray(codes)
    bases = (codes[..., None] == np.arange(4)).astype(np.float32)
    precompile.start()  # TFMoDISco's own call forks no compiling children once the progress thread runs
    with Progress(f"TF-MoDISco on {len(codes)} sequences of {codes.shape[1]} bases"):
        positive, negative = TFMoDISco(bases, np.asarray(hypothetical, dtype=np.float32),
                                       max_seqlets_per_metacluster=max_seqlets, n_leiden_runs=leiden_runs)
    patterns = []
    for sign, found in ((1, positive), (-1, negative)):
        for index, pattern in enumerate(found or []):
            probs, cwm = trim(pattern.sequence, pattern.contrib_scores)
            patterns.append(Pattern(f"{'pos' if sign > 0 else 'neg'}_pattern_{index}", sign, probs, cwm,
                                    len(pattern.seqlets)))
    log.info("TF-MoDISco: %d patterns from %d sequences", len(patterns), len(codes))
    return patterns


def trim(probs: np.ndarray, cwm: np.ndarray, fraction: float = TRIM_FRACTION) -> tuple[np.ndarray, np.ndarray]:
    """``probs`` and ``cwm`` (width, 4) cut to the columns from the first to the last whose
    summed |CWM| is at least ``fraction`` of the largest (TF-MoDISco's patterns carry flanks)."""
    weight = np.abs(np.asarray(cwm)).sum(axis=1)
    kept = np.flatnonzero(weight >= fraction * weight.max())
    first, last = kept[0], kept[-1] + 1
    probs = np.asarray(probs, dtype=np.float64)[first:last]
    return probs / probs.sum(axis=1, keepdims=True), np.asarray(cwm, dtype=np.float64)[first:last]


def modisco_inputs(model: nn.Module, meta: Mapping[str, Any], codes: np.ndarray, target: int, n: int,
                   features: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` test sequences predicted highest for ``target`` (where its motifs are) and their
    hypothetical contributions."""
    predictions = predict(model, codes, task=meta["dataset"]["task"], features=features)[:, target]
    chosen = np.sort(top_examples(predictions, n))
    extra = None if features is None else features[chosen]
    return codes[chosen], hypothetical_contributions(model, codes[chosen], target, features=extra)
