"""Sequence logos drawn with matplotlib alone (figures built without pyplot, written atomically).

``plot_logo`` draws one logo on an axis: probabilities scaled by information content, or signed
letter heights (attributions). The figure functions lay several out in one PNG for the report.
"""

import functools
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import PathPatch
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Affine2D

from cisflow.encode import ALPHABET
from cisflow.interpret.attribution import is_reference, ism_importance, strongest_window
from cisflow.interpret.filters import BASES, column_information
from cisflow.io.figures import save_figure
from cisflow.types import PathLike

COLOURS = {"A": "#109648", "C": "#255C99", "G": "#F28F16", "T": "#D62839"}
FONT_SIZE = 18




def plot_logo(ax: Axes, matrix: np.ndarray, kind: Literal["probs", "heights"] | None = None, x0: int = 0) -> None:
    """Draw a (width, 4) ACGT matrix on ``ax`` as a sequence logo, column i at x = x0 + i.

    ``kind`` 'probs': rows are probabilities, drawn scaled by each column's information content
    (bits). 'heights': letter heights as given; negative ones are drawn below zero. None: 'probs'
    when every row is non-negative and sums to 1, else 'heights'.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    kind = kind or ("probs" if _is_probabilities(matrix) else "heights")
    heights = matrix * column_information(matrix)[:, None] if kind == "probs" else matrix
    low, high = 0.0, 0.0
    for i, row in enumerate(heights):
        up, down = 0.0, 0.0
        for base in np.argsort(np.abs(row), kind="stable"):  # tallest letter furthest from 0
            if row[base] > 0:
                _draw_letter(ax, BASES[base], x0 + i, up, row[base])
                up += row[base]
            elif row[base] < 0:
                down += row[base]
                _draw_letter(ax, BASES[base], x0 + i, down, -row[base])
        low, high = min(low, down), max(high, up)
    ax.set_xlim(x0 - 0.5, x0 + len(heights) - 0.5)
    ax.set_ylim(*((0, 2) if kind == "probs" else (low, high) if high > low else (-1, 1)))
    ax.set_ylabel("bits" if kind == "probs" else "contribution", fontsize=FONT_SIZE)
    ax.tick_params(labelsize=FONT_SIZE - 4)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _is_probabilities(matrix: np.ndarray) -> bool:
    return bool((matrix >= 0).all() and np.allclose(matrix.sum(axis=1), 1, atol=1e-3))


@functools.lru_cache(maxsize=None)
def _glyph(letter: str) -> tuple[Path, float, float]:
    """The outline of ``letter``, moved to the origin, with its bounding box's size."""
    path = TextPath((0, 0), letter, size=1, prop=FontProperties(family="DejaVu Sans", weight="bold"))
    box = path.get_extents()
    return Affine2D().translate(-box.x0, -box.y0).transform_path(path), box.width, box.height


def _draw_letter(ax: Axes, letter: str, x: float, bottom: float, height: float, width: float = 0.9) -> None:
    """A glyph stretched to fill [x - width/2, x + width/2] x [bottom, bottom + height]."""
    path, glyph_width, glyph_height = _glyph(letter)
    placed = Affine2D().scale(width / glyph_width, height / glyph_height).translate(x - width / 2, bottom)
    ax.add_patch(PathPatch(placed.transform_path(path), facecolor=COLOURS[letter], edgecolor="none"))


def _aligned_match(jaspar_probs: np.ndarray, orientation: str) -> np.ndarray:
    return np.asarray(jaspar_probs)[::-1, ::-1] if orientation == "-" else np.asarray(jaspar_probs)


def plot_filter_matches(path: PathLike, panels: Sequence[Mapping[str, Any]],
                        labels: tuple[str, str] = ("filter", "JASPAR"),
                        empty: str = "no filter matched a JASPAR motif") -> None:
    """PNG of filters' logos (two columns), each above its JASPAR match's logo, aligned as Tomtom aligned them.

    ``panels``: dicts with title, filter_probs, jaspar_probs, offset and orientation (the last
    two are ``match_motifs``' columns: the match is reverse complemented when orientation is
    '-', and its column ``offset`` sits under the filter's first column). A panel whose
    jaspar_probs is None says it has no credible match. ``empty`` is drawn when there is no panel.
    """
    rows = max(-(-len(panels) // 2), 1)
    fig = Figure(figsize=(20, 5 * rows), layout="constrained")
    if not panels:
        _say(fig, empty)
    for sub, panel in zip(fig.subfigures(rows, 2, squeeze=False).ravel(), panels):
        if panel["jaspar_probs"] is None:
            logo, note = sub.subplots(2, 1)
            plot_logo(logo, panel["filter_probs"], kind="probs")
            logo.set_title(labels[0], fontsize=FONT_SIZE - 2, loc="left")
            note.text(0.5, 0.5, f"no credible {labels[1]} match", ha="center", va="center", fontsize=FONT_SIZE)
            note.set_axis_off()
            sub.suptitle(panel["title"], fontsize=FONT_SIZE + 2)
            continue
        match = _aligned_match(panel["jaspar_probs"], panel["orientation"])
        offset = panel["offset"]
        left, right = min(0, -offset), max(len(panel["filter_probs"]), len(match) - offset)
        axes = sub.subplots(2, 1, sharex=True)
        plot_logo(axes[0], panel["filter_probs"], kind="probs")
        plot_logo(axes[1], match, kind="probs", x0=-offset)
        for ax, label in zip(axes, labels):
            ax.set_title(label, fontsize=FONT_SIZE - 2, loc="left")
        axes[1].set_xlim(left - 0.5, right - 0.5)
        sub.suptitle(panel["title"], fontsize=FONT_SIZE + 2)
    save_figure(fig, path, dpi=100, tight=False)


def plot_attributions(path: PathLike, panels: Sequence[Mapping[str, Any]], window: int = 60) -> None:
    """PNG of sequences' attribution maps: saliency and, where given, ISM, as logos of the observed bases.

    ``panels``: dicts with title, contributions (L,) (saliency) and codes (L,), optionally ism
    (W, 4) (``interpret.ism`` over positions ism_start .. ism_start + W). Rows of a panel: for a
    sequence longer than ``window``, the contributions along it (bars coloured by base, the
    zoomed window shaded); the saliency logo of the window (the ISM span, or the ``window``
    bases with the largest total |contribution|); the ISM importance logo (``interpret.ism_importance``)
    and the ISM map of every substitution, the observed bases dotted.
    """
    rows = [(2 if len(p["codes"]) > window else 1) + (2 if p.get("ism") is not None else 0) for p in panels]
    fig = Figure(figsize=(16, sum(3.4 * n + 1 for n in rows) or 4), layout="constrained")
    if not panels:
        _say(fig, "no sequence to attribute")
    column = fig.subfigures(max(len(panels), 1), 1, squeeze=False, height_ratios=rows or None)
    for sub, panel, n_rows in zip(column.ravel(), panels, rows):
        contributions = np.asarray(panel["contributions"], dtype=np.float64)
        codes = np.asarray(panel["codes"])
        effects = panel.get("ism")
        width = len(effects) if effects is not None else min(window, len(codes))
        start = panel.get("ism_start", strongest_window(contributions, width))
        axes = list(np.atleast_1d(sub.subplots(n_rows, 1)))
        if len(codes) > window:
            overview = axes.pop(0)
            _plot_bars(overview, contributions, codes)
            overview.axvspan(start - 0.5, start + width - 0.5, color="grey", alpha=0.2)
            overview.set_title("saliency (gradient x input) along the sequence", fontsize=FONT_SIZE - 2, loc="left")
        shown = codes[start : start + width]
        plot_logo(axes[0], contributions[start : start + width, None] * is_reference(shown), kind="heights", x0=start)
        axes[0].set_title("saliency", fontsize=FONT_SIZE - 2, loc="left")
        if effects is not None:
            plot_logo(axes[1], ism_importance(effects, shown), kind="heights", x0=start)
            axes[1].set_title("ISM: drop when the base is mutated", fontsize=FONT_SIZE - 2, loc="left")
            _plot_ism_map(sub, axes[2], np.asarray(effects), shown, start)
        axes[-1].set_xlabel("position", fontsize=FONT_SIZE)
        sub.suptitle(panel["title"], fontsize=FONT_SIZE + 2)
    save_figure(fig, path, dpi=100, tight=False)


def _plot_ism_map(sub: SubFigure, ax: Axes, effects: np.ndarray, codes: np.ndarray, start: int) -> None:
    """Heatmap of every substitution's change (bases x positions), observed bases dotted."""
    limit = float(np.abs(effects).max()) or 1.0
    image = ax.imshow(effects.T, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto", interpolation="nearest",
                      extent=(start - 0.5, start + len(effects) - 0.5, 3.5, -0.5))
    called = np.flatnonzero(codes < 4)
    ax.scatter(start + called, codes[called], s=12, color="black")
    ax.set_yticks(range(4), labels=list(BASES), fontsize=FONT_SIZE - 4)
    ax.tick_params(labelsize=FONT_SIZE - 4)
    ax.set_title("ISM: change of the prediction per substitution", fontsize=FONT_SIZE - 2, loc="left")
    sub.colorbar(image, ax=ax, pad=0.01, fraction=0.03)


def _say(fig: Figure, text: str) -> None:
    ax = fig.subplots()
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=FONT_SIZE + 2)
    ax.set_axis_off()


def _plot_bars(ax: Axes, contributions: np.ndarray, codes: np.ndarray) -> None:
    colours = [COLOURS.get(ALPHABET[c], "grey") for c in codes]
    ax.bar(np.arange(len(codes)), contributions, width=1.0, color=colours)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlim(-0.5, len(codes) - 0.5)
    ax.set_ylabel("contribution", fontsize=FONT_SIZE)
    ax.tick_params(labelsize=FONT_SIZE - 4)
