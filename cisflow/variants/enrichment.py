"""Are a trait's GWAS loci enriched for regulatory effects, and in which outputs (cell types)?

A GWAS reports loci: a causal SNP among proxies in LD (``cisflow.variants.loci``), from summary
statistics hundreds of significant SNPs per locus. Counting them one by one as independent would
dilute a locus's causal SNP among its proxies, and would not be calibrated: SNPs of one locus share
their sequence context, so their statistics are correlated. The test unit is therefore the locus.

For each trait, locus and model output, the SNP statistic is the mean over its scored alleles of
|z| (``calibration.site_statistics``; ``any`` takes each SNP's largest over the outputs), and the
locus statistic the largest of its SNPs' (one causal SNP among proxies is what a locus holds; a mean
would dilute it), or for a credible set the PIP-weighted mean (its SNPs weighted by how likely each
is the causal one). Background loci are built the same way from each SNP's matched background SNPs
(``cisflow.variants.background``: same GC content and distance to the nearest peak): the k-th
background locus of a locus holds the k-th background SNP of each of its SNPs, so it has as many
SNPs, and the same weights. The test is one-sided Mann-Whitney of the trait's loci against their
background loci; its effect size the AUC, the probability that a trait locus outscores one of its
background loci (0.5: no enrichment), with a 95 % interval from the Hanley-McNeil standard error;
q-values are Benjamini-Hochberg over every trait x output of the table. ``fold``, the trait's
median locus statistic over its background loci's, says how much larger its typical locus is: where
a trait is enriched in several outputs (a multi-task model moves other outputs too when it loses a
cell type's motif), the output of the largest fold is the trait's ``top_output``.
"""

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.figure import Figure
from scipy.stats import mannwhitneyu, norm

from cisflow.io.figures import save_figure
from cisflow.io.gwas_catalog import GROUP_SEPARATOR
from cisflow.stats import benjamini_hochberg
from cisflow.types import PathLike

MIN_LOCI = 5  # loci a trait needs to be tested
COLUMNS = ["trait", "output", "n_sites", "n_loci", "n_background", "auc", "auc_low", "auc_high", "p_value", "q_value",
           "median_trait", "median_background", "fold"]


def trait_groups(sites: pd.DataFrame, default: str) -> dict[str, list[int]]:
    """{trait: [site, ...]} from the sites' ``traits`` (`` | ``-joined); all sites under
    ``default`` when none has a trait (a plain VCF)."""
    groups: dict[str, list[int]] = {}
    for site, traits in zip(sites["site"], sites["traits"].fillna("")):
        for trait in traits.split(GROUP_SEPARATOR):
            if trait:
                groups.setdefault(trait, []).append(site)
    return groups or {default: list(sites["site"])}


def trait_enrichment(site_stats: pd.DataFrame, background_stats: pd.DataFrame, groups: Mapping[str, Sequence[int]],
                     loci: Mapping[str, Mapping[int, Hashable]] | None = None,
                     weights: Mapping[str, Mapping[int, float]] | None = None,
                     min_loci: int = MIN_LOCI) -> pd.DataFrame:
    """The enrichment table: one row per (trait, output), outputs then ``any``.

    Parameters
    ----------
    site_stats : DataFrame
        ``calibration.site_statistics`` of the scored sites (index: site; a column per output and
        ``any``).
    background_stats : DataFrame
        The same of the matched background SNPs (one row each, in the order they were drawn), with
        ``matched_site``.
    groups : dict of str to list of int
        {trait: sites}.
    loci : dict of str to dict, optional
        {trait: {site: locus}}; without it (or for a site it lacks) each site is a locus of its own.
    weights : dict of str to dict of int to float, optional
        {trait: {site: weight}} (credible sets: the PIP): a locus statistic is then the weighted
        mean of its SNPs', not their largest.
    min_loci : int
        Traits with fewer loci (of scored sites with background) are left out.

    Returns
    -------
    DataFrame
        Columns ``COLUMNS``, sorted by p-value: ``n_sites`` the trait's SNPs, ``n_loci`` its loci,
        ``n_background`` their background loci, the AUC and its interval, p and q, the median locus
        statistics and their ratio ``fold``.
    """
    outputs = [column for column in site_stats.columns if column != "any"] + ["any"]
    drawn = background_stats.groupby("matched_site", sort=False).indices  # site -> its background rows, in draw order
    background_values = background_stats[outputs].to_numpy(np.float64)
    site_values = site_stats[outputs].to_numpy(np.float64)
    site_row = {site: row for row, site in enumerate(site_stats.index)}
    rows = []
    for trait, members in groups.items():
        members = [site for site in dict.fromkeys(members) if site in site_stats.index and site in drawn]
        of_locus = (loci or {}).get(trait, {})
        by_locus: dict[Hashable, list[int]] = {}
        for site in members:
            by_locus.setdefault(of_locus.get(site, ("site", site)), []).append(site)
        if len(by_locus) < min_loci:
            continue
        weight = (weights or {}).get(trait)
        trait_rows, background_rows = [], []  # a statistic (outputs,) a locus, a background locus
        for sites in by_locus.values():
            w = None if weight is None else np.array([weight.get(site, 0.0) for site in sites], np.float64)
            trait_rows.append(_locus_statistic(site_values[[site_row[site] for site in sites]], w))
            draws = [drawn[site] for site in sites]
            depth = max(len(rows_of) for rows_of in draws)
            picked = np.array([[rows_of[k % len(rows_of)] for rows_of in draws] for k in range(depth)])
            background_rows += [_locus_statistic(background_values[rows], w) for rows in picked]
        trait_loci, background_loci = np.array(trait_rows), np.array(background_rows)
        for j, output in enumerate(outputs):
            auc, low, high, p = auc_test(trait_loci[:, j], background_loci[:, j])
            median_trait = float(np.median(trait_loci[:, j]))
            median_background = float(np.median(background_loci[:, j]))
            rows.append({"trait": trait, "output": output, "n_sites": len(members), "n_loci": len(by_locus),
                         "n_background": len(background_loci), "auc": auc, "auc_low": low, "auc_high": high,
                         "p_value": p, "median_trait": median_trait, "median_background": median_background,
                         "fold": median_trait / median_background if median_background > 0 else np.inf})
    table = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "q_value"])
    table.insert(COLUMNS.index("q_value"), "q_value", benjamini_hochberg(table["p_value"].to_numpy()))
    return table.sort_values(["p_value", "trait", "output"], kind="mergesort").reset_index(drop=True)


def _locus_statistic(values, weights=None):
    """(outputs,) a locus's statistic from its SNPs' (snps, outputs) ``values``: their largest, or
    their ``weights``-weighted mean (equal weights where the weights are all 0)."""
    if weights is None:
        return values.max(axis=0)
    if weights.sum() <= 0:
        weights = np.ones(len(values))
    return weights @ values / weights.sum()


def top_outputs(table: pd.DataFrame, q: float = 0.05) -> dict[str, str]:
    """{trait: the output (not ``any``) where it stands out most}: the largest fold among the
    outputs where it is enriched (q below ``q``), else the largest AUC."""
    outputs = table[table["output"] != "any"]
    enriched = outputs[outputs["q_value"] < q].sort_values("fold", ascending=False, kind="mergesort")
    rest = outputs.sort_values("auc", ascending=False, kind="mergesort")
    best = pd.concat([enriched, rest]).drop_duplicates("trait")
    return dict(zip(best["trait"], best["output"]))


def auc_test(trait: npt.ArrayLike, background: npt.ArrayLike) -> tuple[float, float, float, float]:
    """(AUC, 95 % CI low, high, one-sided p) of ``trait`` values against ``background`` values."""
    trait, background = np.asarray(trait, float), np.asarray(background, float)
    result = mannwhitneyu(trait, background, alternative="greater")
    auc = result.statistic / (len(trait) * len(background))
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (auc * (1 - auc) + (len(trait) - 1) * (q1 - auc**2) + (len(background) - 1) * (q2 - auc**2)) \
        / (len(trait) * len(background))
    half = norm.ppf(0.975) * np.sqrt(max(variance, 0.0))
    return float(auc), float(max(auc - half, 0.0)), float(min(auc + half, 1.0)), float(result.pvalue)


def plot_enrichment(table: pd.DataFrame, path: PathLike, outputs: Sequence[str] | None = None, max_traits: int = 30,
                    max_labels: int = 40) -> None:
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
