"""Are a trait's GWAS SNPs enriched for regulatory effects, and in which outputs (cell types)?

For each trait (a group of sites, ``cisflow.io.gwas_catalog``) and each model output, the trait's
sites are compared with the matched background SNPs drawn for those very sites (``matched_site``,
``cisflow.variants.background``; not the reference, which no site was matched to): same GC content
and distance to the nearest peak. The statistic of a site is the mean over its scored alleles of
|z| of the output (``calibration.site_statistics``: z against the reference, for sites and
background SNPs alike); ``any`` takes each site's largest over the outputs.

The test is one-sided Mann-Whitney (trait sites larger than their background). Its effect size is
the AUC, the probability that a trait site outscores one of its background SNPs (0.5: no
enrichment), with a 95 % confidence interval from the Hanley-McNeil standard error; q-values are
Benjamini-Hochberg over every trait x output test of the table. ``fold``, the trait's median
statistic over its background's, says how much larger its typical effect is: where a trait is
enriched in several outputs (a multi-task model moves other outputs too when it loses a cell
type's motif), the output of the largest fold is the trait's ``top_output``.
"""

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.stats import mannwhitneyu, norm

from cisflow.io.figures import save_figure
from cisflow.io.gwas_catalog import GROUP_SEPARATOR
from cisflow.stats import benjamini_hochberg

MIN_SITES = 5
COLUMNS = ["trait", "output", "n_sites", "n_background", "auc", "auc_low", "auc_high", "p_value", "q_value",
           "median_trait", "median_background", "fold"]


def trait_groups(sites, default):
    """{trait: [site, ...]} from the sites' ``traits`` (`` | ``-joined); all sites under
    ``default`` when none has a trait (a plain VCF)."""
    groups = {}
    for site, traits in zip(sites["site"], sites["traits"].fillna("")):
        for trait in traits.split(GROUP_SEPARATOR):
            if trait:
                groups.setdefault(trait, []).append(site)
    return groups or {default: list(sites["site"])}


def trait_enrichment(site_stats, background_stats, groups, min_sites=MIN_SITES):
    """The enrichment table: one row per (trait, output), outputs then ``any``.

    Parameters
    ----------
    site_stats : DataFrame
        ``calibration.site_statistics`` of the scored sites (index: site).
    background_stats : DataFrame
        The same of the matched background SNPs, with ``matched_site``.
    groups : dict
        {trait: sites}; traits with fewer than ``min_sites`` scored sites are left out.

    Returns
    -------
    DataFrame
        Columns ``COLUMNS``, sorted by p-value.
    """
    outputs = [column for column in site_stats.columns if column != "any"] + ["any"]
    rows = []
    for trait, members in groups.items():
        members = [site for site in dict.fromkeys(members) if site in site_stats.index]
        background = background_stats[background_stats["matched_site"].isin(members)]
        if len(members) < min_sites or len(background) < min_sites:
            continue
        for output in outputs:
            auc, low, high, p = auc_test(site_stats.loc[members, output].to_numpy(), background[output].to_numpy())
            median_trait = float(np.median(site_stats.loc[members, output]))
            median_background = float(np.median(background[output]))
            rows.append({"trait": trait, "output": output, "n_sites": len(members), "n_background": len(background),
                         "auc": auc, "auc_low": low, "auc_high": high, "p_value": p, "median_trait": median_trait,
                         "median_background": median_background,
                         "fold": median_trait / median_background if median_background > 0 else np.inf})
    table = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "q_value"])
    table.insert(COLUMNS.index("q_value"), "q_value", benjamini_hochberg(table["p_value"].to_numpy()))
    return table.sort_values(["p_value", "trait", "output"], kind="mergesort").reset_index(drop=True)


def top_outputs(table, q=0.05):
    """{trait: the output (not ``any``) where it stands out most}: the largest fold among the
    outputs where it is enriched (q below ``q``), else the largest AUC."""
    outputs = table[table["output"] != "any"]
    enriched = outputs[outputs["q_value"] < q].sort_values("fold", ascending=False, kind="mergesort")
    rest = outputs.sort_values("auc", ascending=False, kind="mergesort")
    best = pd.concat([enriched, rest]).drop_duplicates("trait")
    return dict(zip(best["trait"], best["output"]))


def auc_test(trait, background):
    """(AUC, 95 % CI low, high, one-sided p) of ``trait`` values against ``background`` values."""
    trait, background = np.asarray(trait, float), np.asarray(background, float)
    result = mannwhitneyu(trait, background, alternative="greater")
    auc = result.statistic / (len(trait) * len(background))
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (auc * (1 - auc) + (len(trait) - 1) * (q1 - auc**2) + (len(background) - 1) * (q2 - auc**2)) \
        / (len(trait) * len(background))
    half = norm.ppf(0.975) * np.sqrt(max(variance, 0.0))
    return float(auc), float(max(auc - half, 0.0)), float(min(auc + half, 1.0)), float(result.pvalue)


def plot_enrichment(table, path, outputs=None, max_traits=30, max_labels=40):
    """Heatmap of the AUC of traits (rows, the ``max_traits`` with the smallest ``any`` p-value)
    x outputs (columns in the order of ``outputs``, the model's, then ``any``); q < 0.05 starred."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    if table.empty:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "no trait with enough scored SNPs to test", ha="center", va="center", fontsize=16)
        ax.set_axis_off()
        save_figure(fig, path, dpi=110, tight=False)
        return
    traits = table[table["output"] == "any"].sort_values("p_value")["trait"].head(max_traits).tolist()
    outputs = [str(o) for o in outputs or dict.fromkeys(table["output"]) if o != "any"] + ["any"]
    auc = table.pivot(index="trait", columns="output", values="auc").loc[traits, outputs]
    q = table.pivot(index="trait", columns="output", values="q_value").loc[traits, outputs]
    fig.set_size_inches(min(18, 5 + 0.45 * len(outputs)), 2.2 + 0.42 * len(traits))
    ax = fig.add_subplot()
    image = ax.imshow(auc.to_numpy(), cmap="RdBu_r", vmin=0.0, vmax=1.0, aspect="auto")
    for (i, j), value in np.ndenumerate(q.to_numpy()):
        if value < 0.05:
            ax.text(j, i, "*", ha="center", va="center", fontsize=14, color="black")
    ax.set_yticks(range(len(traits)), labels=[_short(t) for t in traits], fontsize=12)
    if len(outputs) <= max_labels:
        ax.set_xticks(range(len(outputs)), labels=outputs, fontsize=12, rotation=45, ha="right")
    else:
        ax.set_xticks([len(outputs) - 1], labels=["any"], fontsize=12)
    ax.set_xlabel(f"model output ({len(outputs) - 1}) and any", fontsize=14)
    ax.set_title("Trait SNPs against matched background: AUC (* q < 0.05)", fontsize=15)
    colorbar = fig.colorbar(image, ax=ax)
    colorbar.set_label("AUC (0.5 = no enrichment)", fontsize=13)
    save_figure(fig, path, dpi=110, tight=False)


def _short(text, width=45):
    return text if len(text) <= width else text[: width - 1] + "…"
