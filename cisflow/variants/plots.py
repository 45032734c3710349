"""Figures of variant effects: the top variants' SAD heatmap, ISM maps around them, and effects
along the genome (Manhattan-like)."""

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cisflow.io.contigs import karyotype_order
from cisflow.io.figures import save_figure
from cisflow.types import PathLike

MAX_TARGET_LABELS = 40  # beyond this many targets the heatmap drops its target labels
ISM_PANELS = 12  # ISM maps drawn at most, one a variant: the first rows given


# per-output values drawn, by what the table holds: z-scores where calibrated, else the effect
VALUES = (("z_", "z-score of the effect (against background SNPs)"), ("logodds_", "change in log-odds (alt - ref)"),
          ("sad_", "SAD (alt - ref)"))


def plot_top_variants(scored: pd.DataFrame, path: PathLike, n: int = 20) -> None:
    """PNG heatmap (variants x targets) of the ``n`` top-ranked variants: per output their
    z-score where calibrated, else their change in log-odds (classification) or SAD."""
    top = scored.nlargest(n, "score", keep="first").dropna(subset=["score"])  # n rows copied, not the table
    prefix, label = next(((p, text) for p, text in VALUES if any(c.startswith(p) for c in scored.columns)),
                         VALUES[-1])
    columns = [column for column in scored.columns if column.startswith(prefix)]
    fig = Figure(figsize=(min(16, 6 + 0.4 * len(columns)), max(4, 2.5 + 0.45 * len(top))),
                 layout="constrained")
    ax = fig.add_subplot()
    if top.empty:
        ax.text(0.5, 0.5, "no variant was scored", ha="center", va="center", fontsize=18)
        ax.set_axis_off()
    else:
        _draw_heatmap(fig, ax, top, columns, prefix, label)
    save_figure(fig, path, dpi=120, tight=False)


def _draw_heatmap(fig, ax, top, columns, prefix, label):
    values = top[columns].to_numpy(dtype=float)
    limit = float(np.nanmax(np.abs(values))) or 1.0
    image = ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    labels = [f"{row.id} {row.score_ref}>{row.score_alt}" for row in top.itertuples()]
    ax.set_yticks(range(len(top)), labels=labels, fontsize=13)
    targets = [column[len(prefix):] for column in columns]
    if len(targets) <= MAX_TARGET_LABELS:
        ax.set_xticks(range(len(targets)), labels=targets, fontsize=13, rotation=45, ha="right")
    else:
        ax.set_xticks([])
    ax.set_xlabel(f"target ({len(targets)})", fontsize=15)
    ax.set_title(f"Top {len(top)} variants", fontsize=17)
    colorbar = fig.colorbar(image, ax=ax)
    colorbar.set_label(label, fontsize=13)
    colorbar.ax.tick_params(labelsize=12)


def plot_variant_ism(rows: pd.DataFrame, maps: np.ndarray, path: PathLike, label: str | None = None) -> None:
    """ISM maps around the top variants: one row of panels a variant (the first ``ISM_PANELS``),
    bases by position, the variant's column outlined; ``label`` names a column of ``rows`` put
    before each title (the trait)."""
    rows, maps = rows.iloc[:ISM_PANELS], maps[:ISM_PANELS]
    n = max(len(rows), 1)
    fig = Figure(figsize=(10, 1.9 * n + 1), layout="constrained")
    if len(rows) == 0:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "no variant was scored", ha="center", va="center", fontsize=18)
        ax.set_axis_off()
        save_figure(fig, path, dpi=110, tight=False)
        return
    axes = fig.subplots(n, 1, squeeze=False)[:, 0]
    flank = maps.shape[1] // 2
    limit = float(np.abs(maps).max()) or 1.0
    for ax, row, change in zip(axes, rows.to_dict("records"), maps):
        image = ax.imshow(change.T, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto",
                          extent=(-flank - 0.5, flank + 0.5, 3.5, -0.5))
        ax.add_patch(_outline(0))
        ax.set_yticks(range(4), labels=list("ACGT"), fontsize=11)
        target = row["top_target"]
        prefix = f"{row[label]}: " if label else ""
        ax.set_title(f"{prefix}{row['id']} {row['chrom']}:{row['pos']} {row['score_ref']}>{row['score_alt']}, "
                     f"{target} (SAD {row['sad_' + target]:+.3g})", fontsize=12)
    axes[-1].set_xlabel("position relative to the variant (bp)", fontsize=13)
    fig.colorbar(image, ax=list(axes), label="change of the prediction")
    save_figure(fig, path, dpi=110, tight=False)


def _outline(x):
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, -0.5), 1, 4, fill=False, edgecolor="black", linewidth=2)


def plot_effects_along_genome(ranked: pd.DataFrame, path: PathLike, genome_contigs: Sequence[str],
                              label: int = 5) -> None:
    """Manhattan-like: each scored variant's ranking score (largest |z|, or largest |effect|) at
    its position, contigs side by side in karyotype order (``contigs.karyotype_order``: 1 .. 22, X,
    Y, M, then others in the order of ``genome_contigs``, the genome's), the strongest ``label``
    variants named."""
    scored = ranked.dropna(subset=["score"])
    fig = Figure(figsize=(12, 4.5), layout="constrained")
    ax = fig.add_subplot()
    if scored.empty:
        ax.text(0.5, 0.5, "no variant was scored", ha="center", va="center", fontsize=18)
        ax.set_axis_off()
        save_figure(fig, path, dpi=110, tight=False)
        return
    offset, ticks, labels, x = 0, [], [], np.zeros(len(scored))
    for index, chrom in enumerate(karyotype_order(scored["chrom"], genome_contigs)):
        on = (scored["chrom"] == chrom).to_numpy()
        pos = scored.loc[on, "pos"].to_numpy()
        x[on] = offset + pos
        ax.scatter(x[on], scored.loc[on, "score"], s=14, color=("#1f4e79", "#6fa8dc")[index % 2])
        ticks.append(offset + (pos.min() + pos.max()) / 2)
        labels.append(chrom)
        offset += pos.max() + 1
    top = scored.nlargest(label, "score")
    for row, xpos in zip(top.itertuples(), x[np.flatnonzero(scored.index.isin(top.index))]):
        ax.annotate(row.id, (xpos, row.score), fontsize=10, xytext=(3, 3), textcoords="offset points")
    ax.set_xticks(ticks, labels=labels, fontsize=11)
    ax.set_ylabel("largest |z|" if "max_abs_z" in scored else "largest |effect|", fontsize=13)
    ax.set_title(f"Variant effects along the genome ({len(scored)} scored)", fontsize=15)
    save_figure(fig, path, dpi=110, tight=False)


LOCUS_PANELS = 12  # loci drawn at most, their candidates the strongest


def plot_loci(locus_rows: pd.DataFrame, path: PathLike, n: int = LOCUS_PANELS) -> None:
    """The ``n`` loci of strongest candidate (``loci.locus_table``'s first), a panel each: every SNP
    at its position, its predicted |z| (or |effect|) as a stem, and its PIP (credible sets) or
    -log10 p (GWAS) on the second axis; the candidate regulatory variant starred and named, the
    lead ringed."""
    keys = list(dict.fromkeys(zip(locus_rows["trait"], locus_rows["locus"])))[:n]
    fig = Figure(figsize=(12, 2.4 * max(len(keys), 1) + 0.6), layout="constrained")
    if not keys:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "no locus with a scored SNP", ha="center", va="center", fontsize=16)
        ax.set_axis_off()
        save_figure(fig, path, dpi=110, tight=False)
        return
    axes = fig.subplots(len(keys), 1, squeeze=False)[:, 0]
    grouped = locus_rows.groupby(["trait", "locus"], sort=False)
    for ax, key in zip(axes, keys):
        rows = grouped.get_group(key).sort_values("pos")
        kb = rows["pos"].to_numpy() / 1e3
        score = rows["score"].to_numpy(float)
        ax.vlines(kb, 0, score, color="#1f77b4", lw=2)
        ax.plot(kb, score, "o", color="#1f77b4", ms=5)
        best = rows[rows["candidate"]]
        ax.plot(best["pos"] / 1e3, best["score"], "*", color="#d62728", ms=16, zorder=3)
        for row in best.itertuples():
            ax.annotate(row.id, (row.pos / 1e3, row.score), xytext=(6, 4), textcoords="offset points", fontsize=11)
        lead = rows[rows["id"] == rows["lead"]]
        ax.plot(lead["pos"] / 1e3, lead["score"], "o", mfc="none", mec="black", ms=11, mew=1.5)
        ax.set_ylabel("|z|", fontsize=12)
        ax.set_ylim(0, np.nanmax(score) * 1.25 if np.isfinite(score).any() else 1)
        credible = rows["pip"].notna().any()
        p_values = np.maximum(rows["p_value"].astype(float), 1e-300)  # a Catalog p below a double's range is 0
        evidence, label = (rows["pip"], "PIP") if credible else (-np.log10(p_values), "-log10 p")
        if evidence.notna().any():
            twin = ax.twinx()
            twin.plot(kb, evidence, "s", color="#7f7f7f", ms=5, alpha=0.8)
            twin.set_ylabel(label, fontsize=12, color="#555555")
            twin.set_ylim(0, 1.05 if label == "PIP" else float(np.nanmax(evidence)) * 1.2 + 0.1)
        ax.set_title(f"{key[0]}: locus {key[1]} ({len(rows)} SNPs; lead {rows['lead'].iloc[0]} ringed, candidate "
                     f"starred)", fontsize=12)
    axes[-1].set_xlabel("position on the contig (kb)", fontsize=12)
    save_figure(fig, path, dpi=110, tight=False)
