"""Sequence logos drawn with matplotlib alone (figures built without pyplot, written atomically).

``plot_logo`` draws one logo on an axis: probabilities scaled by information content, or signed
letter heights (attributions). The figure functions lay several out in one PNG for the report.
"""

import functools

import numpy as np
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import PathPatch
from matplotlib.textpath import TextPath
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Affine2D

from cisflow.encode import ALPHABET
from cisflow.interpret import BASES, column_information, is_reference
from cisflow.plots import save_figure

COLOURS = {"A": "#109648", "C": "#255C99", "G": "#F28F16", "T": "#D62839"}
FONT_SIZE = 18




def plot_logo(ax, matrix, kind=None, x0=0):
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


def _is_probabilities(matrix):
    return bool((matrix >= 0).all() and np.allclose(matrix.sum(axis=1), 1, atol=1e-3))


@functools.lru_cache(maxsize=None)
def _glyph(letter):
    """The outline of ``letter``, moved to the origin, with its bounding box's size."""
    path = TextPath((0, 0), letter, size=1, prop=FontProperties(family="DejaVu Sans", weight="bold"))
    box = path.get_extents()
    return Affine2D().translate(-box.x0, -box.y0).transform_path(path), box.width, box.height


def _draw_letter(ax, letter, x, bottom, height, width=0.9):
    """A glyph stretched to fill [x - width/2, x + width/2] x [bottom, bottom + height]."""
    path, glyph_width, glyph_height = _glyph(letter)
    placed = Affine2D().scale(width / glyph_width, height / glyph_height).translate(x - width / 2, bottom)
    ax.add_patch(PathPatch(placed.transform_path(path), facecolor=COLOURS[letter], edgecolor="none"))


def _aligned_match(jaspar_probs, offset, orientation):
    return np.asarray(jaspar_probs)[::-1, ::-1] if orientation == "-" else np.asarray(jaspar_probs)


def plot_filter_matches(path, panels, labels=("filter", "JASPAR")):
    """PNG of filters' logos (two columns), each above its JASPAR match's logo, aligned as Tomtom aligned them.

    ``panels``: dicts with title, filter_probs, jaspar_probs, offset and orientation (the last
    two are ``match_motifs``' columns: the match is reverse complemented when orientation is
    '-', and its column ``offset`` sits under the filter's first column).
    """
    rows = max(-(-len(panels) // 2), 1)
    fig = Figure(figsize=(20, 5 * rows), layout="constrained")
    if not panels:
        _say(fig, "no filter matched a JASPAR motif")
    for sub, panel in zip(np.ravel(fig.subfigures(rows, 2)), panels):
        match = _aligned_match(panel["jaspar_probs"], panel["offset"], panel["orientation"])
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


def plot_attributions(path, panels, window=60):
    """PNG of sequences' per-base contributions, each as a logo of its observed bases.

    ``panels``: dicts with title, contributions (L,) and codes (L,). Sequences longer than
    ``window`` get two rows: the contributions along the whole sequence (bars coloured by base),
    and the logo of the ``window`` bases with the largest total |contribution|, shaded above.
    """
    fig = Figure(figsize=(16, 7.5 * max(len(panels), 1)), layout="constrained")
    if not panels:
        _say(fig, "no sequence to attribute")
    for sub, panel in zip(np.atleast_1d(fig.subfigures(max(len(panels), 1), 1)), panels):
        contributions = np.asarray(panel["contributions"], dtype=np.float64)
        codes = np.asarray(panel["codes"])
        heights = contributions[:, None] * is_reference(codes)
        if len(codes) <= window:
            plot_logo(sub.subplots(), heights, kind="heights")
        else:
            start = _strongest_window(contributions, window)
            overview, zoom = sub.subplots(2, 1)
            _plot_bars(overview, contributions, codes)
            overview.axvspan(start - 0.5, start + window - 0.5, color="grey", alpha=0.2)
            plot_logo(zoom, heights[start : start + window], kind="heights", x0=start)
            zoom.set_xlabel("position", fontsize=FONT_SIZE)
        sub.suptitle(panel["title"], fontsize=FONT_SIZE + 2)
    save_figure(fig, path, dpi=100, tight=False)


def _say(fig, text):
    ax = fig.subplots()
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=FONT_SIZE + 2)
    ax.set_axis_off()


def _strongest_window(contributions, window):
    """Start of a ``window`` around the stretch with the largest total |contribution|.

    The window is centred on the contributions' centre of mass within the best window, so a
    narrow peak ends up in the middle rather than at the edge of the first window holding it.
    """
    weights = np.abs(contributions)
    best = int(np.argmax(np.convolve(weights, np.ones(window), mode="valid")))
    inside = weights[best : best + window]
    centre = best + (np.average(np.arange(window), weights=inside) if inside.any() else window / 2)
    return int(np.clip(round(centre - window / 2), 0, len(weights) - window))


def _plot_bars(ax, contributions, codes):
    colours = [COLOURS.get(ALPHABET[c], "grey") for c in codes]
    ax.bar(np.arange(len(codes)), contributions, width=1.0, color=colours)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlim(-0.5, len(codes) - 0.5)
    ax.set_ylabel("contribution", fontsize=FONT_SIZE)
    ax.tick_params(labelsize=FONT_SIZE - 4)
