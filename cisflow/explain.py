"""What a trained model learned: filter motifs matched to JASPAR, each filter's influence on the
predictions, and saliency and ISM maps of top test sequences; optionally TF-MoDISco patterns.

This is the interpret rule's work, put together from ``cisflow.interpret`` (the methods),
``cisflow.jaspar`` (the database) and ``cisflow.logos`` (the figures).
"""

import logging

import numpy as np
import pandas as pd

from cisflow.atomic import atomic_path
from cisflow.checkpoint import load_model
from cisflow.credible_matches import significant_matches
from cisflow.dataset import load_dataset
from cisflow.interpret import (
    filter_influence,
    filter_pfms,
    ism,
    match_motifs,
    saliency,
    strongest_window,
    top_examples,
    write_meme,
)
from cisflow.jaspar import load_jaspar
from cisflow.logos import plot_attributions, plot_filter_matches
from cisflow.motif_discovery import discover_patterns, modisco_inputs
from cisflow.torch_utils import device, predict

log = logging.getLogger(__name__)

MOTIF_PANELS = 12  # filters drawn beside their match, best matched first
ATTRIBUTION_WINDOW = 60  # bases of a sequence shown as logos and scanned by ISM


def explain(model_path, dataset_path, spec, meme_out, matches_out, motifs_png, saliency_png, influence_out):
    """Filter PFMs from the test split (Basset's method), their JASPAR matches and influence,
    logos, and saliency and ISM of top test sequences."""
    model, meta = load_model(model_path, device())
    data = load_dataset(dataset_path)
    test = data.indices("test")
    codes, features = np.asarray(data.codes[test]), data.features_of(test)
    pfms = filter_pfms(model, codes, threshold=spec["activation_threshold"])
    write_meme(meme_out, pfms)
    jaspar = load_jaspar(spec["jaspar_release"], tax_group=spec["tax_group"])
    log.info("matching %d filters against %d %s motifs", len(pfms), len(jaspar), spec["jaspar_release"])
    matches = match_motifs(pfms, jaspar)
    with atomic_path(matches_out) as tmp:
        matches.to_csv(tmp, sep="\t", index=False, float_format="%.4g")
    best = significant_matches(matches).sort_values("q_value").drop_duplicates("filter").head(MOTIF_PANELS)
    log.info("%d filters match a JASPAR motif: %s", significant_matches(matches)["filter"].nunique(),
             ", ".join(sorted(set(best["name"]))))
    by_id = {motif.matrix_id: motif for motif in jaspar}
    plot_filter_matches(motifs_png, [
        dict(title=f"filter {row.filter} ({row.n_sites} sites) ~ {row.name} {row.jaspar_id}, q = {row.q_value:.2g}",
             filter_probs=pfms[row.filter].probabilities, jaspar_probs=by_id[row.jaspar_id].probabilities,
             offset=int(row.offset), orientation=row.orientation)
        for row in best.itertuples()
    ])
    influence = influence_table(model, meta, codes[: spec["influence_examples"]], matches,
                                None if features is None else features[: spec["influence_examples"]])
    with atomic_path(influence_out) as tmp:
        influence.to_csv(tmp, sep="\t", index=False, float_format="%.4g")
    plot_attributions(saliency_png, top_attributions(model, meta, codes, spec["saliency_examples"],
                                                     [data.ids[i] for i in test], features))
    return matches


def explain_patterns(model_path, dataset_path, spec, meme_out, matches_out, png_out):
    """TF-MoDISco patterns of the test sequences predicted highest for ``spec['modisco_target']``
    (the first target when None), matched to JASPAR like the filters, with logos."""
    model, meta = load_model(model_path, device())
    data = load_dataset(dataset_path)
    test = data.indices("test")
    targets = [str(t) for t in meta["dataset"]["targets"]]
    name = spec["modisco_target"] or targets[0]
    if name not in targets:
        raise ValueError(f"interpret.modisco_target {name!r} is not a target of the model ({', '.join(targets)})")
    codes, hypothetical = modisco_inputs(model, meta, np.asarray(data.codes[test]), targets.index(name),
                                         spec["modisco_sequences"], data.features_of(test))
    patterns = discover_patterns(codes, hypothetical)
    pfms = [pattern.as_pfm(i) for i, pattern in enumerate(patterns)]
    write_meme(meme_out, pfms, names=[pattern.name for pattern in patterns])
    jaspar = load_jaspar(spec["jaspar_release"], tax_group=spec["tax_group"])
    matches = match_motifs(pfms, jaspar).rename(columns={"filter": "pattern", "n_sites": "n_seqlets"})
    matches = matches.drop(columns="n_seqs")
    matches.insert(1, "pattern_name", [patterns[i].name for i in matches["pattern"]])
    matches.insert(2, "sign", [patterns[i].sign for i in matches["pattern"]])
    with atomic_path(matches_out) as tmp:
        matches.to_csv(tmp, sep="\t", index=False, float_format="%.4g")
    best = matches[matches["rank"] == 1].set_index("pattern")
    by_id = {motif.matrix_id: motif for motif in jaspar}
    panels = []
    for i, pattern in enumerate(patterns):
        row = best.loc[i] if i in best.index else None
        credible = row is not None and row["q_value"] < 0.05 and row["shuffle_p_value"] < 0.05
        title = f"{pattern.name} ({pattern.n_seqlets} seqlets)" + (
            f" ~ {row['name']} {row['jaspar_id']}, q = {row['q_value']:.2g}" if credible else "")
        panels.append(dict(title=title, filter_probs=pattern.probs,
                           jaspar_probs=by_id[row["jaspar_id"]].probabilities if credible else None,
                           offset=int(row["offset"]) if credible else 0,
                           orientation=row["orientation"] if credible else "+"))
    plot_filter_matches(png_out, panels, labels=("TF-MoDISco pattern", "JASPAR"), empty="TF-MoDISco found no pattern")
    return patterns, matches


def influence_table(model, meta, codes, matches, features=None):
    """Filters ranked by influence (Basset): the mean change of each output when the filter is
    silenced, with each filter's best credible JASPAR match beside it."""
    targets = meta["dataset"]["targets"]
    changes, overall = filter_influence(model, codes, meta["dataset"]["task"], features=features)
    best = (significant_matches(matches).sort_values(["q_value", "p_value"]).drop_duplicates("filter")
            .set_index("filter")["name"])
    table = pd.DataFrame({"filter": np.arange(len(overall)), "influence": overall})
    table["best_match"] = [best.get(f, "") for f in table["filter"]]
    for j, name in enumerate(targets):
        table[f"change_{name}"] = changes[:, j]
    return table.sort_values("influence", ascending=False, kind="stable")


def top_attributions(model, meta, codes, k, ids, features=None, window=ATTRIBUTION_WINDOW):
    """Attribution panels of ``k`` test sequences, the top-predicted one of each target in turn:
    saliency along the sequence, and ISM over the ``window`` bases where saliency is strongest
    (every substitution there: 3 x ``window`` predictions, affordable for 10-kb promoters)."""
    targets = meta["dataset"]["targets"]
    predictions = predict(model, codes, task=meta["dataset"]["task"], features=features)
    chosen = {}  # sequence index -> the target it is shown for
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
