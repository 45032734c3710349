"""The interpret rule: what a trained model learned, as filter motifs matched to JASPAR, each
filter's influence on the predictions, and saliency and ISM maps of top test sequences.

Put together from ``subsample`` (the test sequences looked at), ``filters`` (filter -> PWM),
``matching`` and ``matches`` (Tomtom against ``jaspar``), ``influence``, ``attribution`` and
``logos`` (the figures); TF-MoDISco, the modisco rule, is ``cisflow.interpret.modisco``.
"""

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from torch import nn

from cisflow.config.settings import Interpret
from cisflow.data.dataset import load_dataset
from cisflow.interpret.attribution import ism, saliency, strongest_window, top_examples
from cisflow.interpret.filters import FilterPFM, filter_pfms, write_meme
from cisflow.interpret.influence import filter_influence
from cisflow.interpret.jaspar import JasparMotif, load_jaspar
from cisflow.interpret.logos import plot_attributions, plot_filter_matches
from cisflow.interpret.matches import best_matches, reproducibility
from cisflow.interpret.matching import match_motifs
from cisflow.interpret.subsample import subsample, subsample_of_test
from cisflow.io.atomic import atomic_path
from cisflow.models.checkpoint import load_model
from cisflow.models.ensemble import member_names, members_of
from cisflow.models.predict import device, predict
from cisflow.types import PathLike

log = logging.getLogger(__name__)


MOTIF_PANELS = 12  # filters drawn beside their match, best matched first


ATTRIBUTION_WINDOW = 60  # bases of a sequence shown as logos and scanned by ISM


def interpret_experiment(model_path: PathLike, dataset_path: PathLike, interpret: Interpret, meme_out: PathLike,
                         matches_out: PathLike, motifs_png: PathLike, saliency_png: PathLike, influence_out: PathLike,
                         reproducibility_out: PathLike) -> pd.DataFrame:
    """The interpret rule: filter PFMs from the test split (Basset's method), their JASPAR matches
    and influence, logos, and saliency and ISM of top test sequences; every pass looks at the
    same seeded subsample of the test split (``interpret.subsample`` sequences at most).

    The first-layer filters of an ensemble's members do not align (filter 3 of one member is not
    filter 3 of another), so each member's filters are matched and ranked on their own, and
    ``reproducibility`` counts the members in which each JASPAR motif was found. Saliency and ISM
    are the ensemble's: its members' averaged.

    Parameters
    ----------
    model_path, dataset_path : str or Path
        The model file (one model or an ensemble) and its dataset.
    interpret : cisflow.config.settings.Interpret
        The experiment's interpret settings (JASPAR release and taxon, activation threshold, the
        test subsample's size and seed, how many of its sequences for influence and saliency).
    meme_out, matches_out, motifs_png, saliency_png, influence_out, reproducibility_out : str or Path
        The filters as MEME (``<member>.filter<i>`` where there are several members), their
        matches (TSV, ``member`` then ``matching.MATCH_COLUMNS``), the logos of the best-matched
        filters, the attribution maps, the filters ranked by influence (TSV, with ``member``) and
        the motifs by the members they were found in (TSV, ``matches.reproducibility``).

    Returns
    -------
    DataFrame
        The matches table.
    """
    model, meta = load_model(model_path, device())
    data = load_dataset(dataset_path)
    test = subsample_of_test(data, interpret)
    codes, features = np.asarray(data.codes[test]), data.features_of(test)
    members, names = members_of(model), member_names(meta)
    jaspar = load_jaspar(interpret.jaspar_release, tax_group=interpret.tax_group)
    some = subsample(np.arange(len(codes)), interpret.influence_examples, interpret.seed)
    pfms: dict[str, list[FilterPFM]] = {}
    tables: list[pd.DataFrame] = []
    influences: list[pd.DataFrame] = []
    for name, member in zip(names, members):
        pfms[name], matches, influence = member_filters(name, member, meta, codes, features, some, jaspar, interpret)
        tables.append(matches)
        influences.append(influence)
    matches = pd.concat(tables, ignore_index=True)
    several = len(names) > 1
    write_meme(meme_out, [pfm for name in names for pfm in pfms[name]],
               names=[f"{name}.filter{pfm.filter}" if several else f"filter{pfm.filter}"
                      for name in names for pfm in pfms[name]])
    with atomic_path(matches_out) as tmp:
        matches.to_csv(tmp, sep="\t", index=False, float_format="%.4g")
    matched = best_matches(matches)
    log.info("%d filters match a JASPAR motif: %s", len(matched), ", ".join(sorted(set(matched["name"]))))
    found = reproducibility(matches, names)
    with atomic_path(reproducibility_out) as tmp:
        found.to_csv(tmp, sep="\t", index=False, float_format="%.4g")
    if several:
        log.info("motifs by members found in: %s", ", ".join(f"{row.name} {row.members}/{len(names)}"
                                                            for row in found.itertuples()))
    by_id = {motif.matrix_id: motif for motif in jaspar}
    plot_filter_matches(motifs_png, [
        dict(title=f"{f'{row.member} ' if several else ''}filter {row.filter} ({row.n_sites} sites) ~ {row.name} "
                   f"{row.jaspar_id}, q = {row.q_value:.2g}",
             filter_probs=pfms[row.member][row.filter].probabilities, jaspar_probs=by_id[row.jaspar_id].probabilities,
             offset=int(row.offset), orientation=row.orientation)
        for row in matched.head(MOTIF_PANELS).itertuples()
    ])
    influence = pd.concat(influences, ignore_index=True).sort_values("influence", ascending=False, kind="stable")
    with atomic_path(influence_out) as tmp:
        influence.to_csv(tmp, sep="\t", index=False, float_format="%.4g")
    plot_attributions(saliency_png, top_attributions(model, meta, codes, interpret.saliency_examples,
                                                     [data.ids[i] for i in test], features))
    return matches


def member_filters(name: str, model: nn.Module, meta: Mapping[str, Any], codes: np.ndarray,
                   features: np.ndarray | None, some: np.ndarray, jaspar: Sequence[JasparMotif],
                   interpret: Interpret) -> tuple[list[FilterPFM], pd.DataFrame, pd.DataFrame]:
    """One model's (member ``name``'s) filter PFMs from ``codes``, their JASPAR matches and their
    influence on the sequences ``some`` of ``codes``; both tables with ``member`` first."""
    pfms = filter_pfms(model, codes, threshold=interpret.activation_threshold)
    log.info("member %s: matching %d filters against %d %s motifs", name, len(pfms), len(jaspar),
             interpret.jaspar_release)
    matches = match_motifs(pfms, jaspar)
    matches.insert(0, "member", name)
    log.info("member %s: influence of %d filters on %d sequences", name, len(pfms), len(some))
    influence = influence_table(model, meta, codes[some], matches, None if features is None else features[some])
    influence.insert(0, "member", name)
    return pfms, matches, influence


def influence_table(model: nn.Module, meta: Mapping[str, Any], codes: np.ndarray, matches: pd.DataFrame,
                    features: np.ndarray | None = None) -> pd.DataFrame:
    """Filters of one model ranked by influence (Basset): the mean change of each output when the
    filter is silenced, with each filter's best credible JASPAR match beside it."""
    targets = meta["dataset"]["targets"]
    changes, overall = filter_influence(model, codes, meta["dataset"]["task"], features=features)
    best = best_matches(matches).set_index("filter")["name"]
    table = pd.DataFrame({"filter": np.arange(len(overall)), "influence": overall})
    table["best_match"] = [best.get(f, "") for f in table["filter"]]
    for j, name in enumerate(targets):
        table[f"change_{name}"] = changes[:, j]
    return table.sort_values("influence", ascending=False, kind="stable")


def top_attributions(model: nn.Module, meta: Mapping[str, Any], codes: np.ndarray, k: int, ids: Sequence[str],
                     features: np.ndarray | None = None, window: int = ATTRIBUTION_WINDOW) -> list[dict[str, Any]]:
    """Attribution panels of ``k`` test sequences, the top-predicted one of each target in turn:
    saliency along the sequence, and ISM over the ``window`` bases where saliency is strongest
    (every substitution there: 3 x ``window`` predictions, affordable for 10-kb promoters)."""
    targets = meta["dataset"]["targets"]
    predictions = predict(model, codes, task=meta["dataset"]["task"], features=features)
    chosen: dict[int, int] = {}  # sequence index -> the target it is shown for
    for turn in range(min(k, len(codes))):
        target = turn % len(targets)
        index = next(int(i) for i in top_examples(predictions[:, target], len(chosen) + 1) if i not in chosen)
        chosen[index] = target
    panels = []
    for index, target in chosen.items():
        extra = None if features is None else features[index : index + 1]
        contributions = saliency(model, codes[index : index + 1], target, features=extra)[0]
        width = min(window, codes.shape[1])
        start = strongest_window(contributions, width)
        effects = ism(model, codes[index : index + 1], target, meta["dataset"]["task"], features=extra,
                      span=(start, start + width))[0]
        panels.append(dict(title=f"{ids[index]}: {targets[target]} prediction {predictions[index, target]:.2f}",
                           contributions=contributions, codes=codes[index], ism=effects, ism_start=start))
    return panels
