"""Figure output shared by every stage: PNGs written atomically, sized for a projector."""

import matplotlib.pyplot as plt

from cisflow.io.atomic import atomic_path


def save_figure(figure, path, dpi=110, tight=True):
    """Write ``figure`` (pyplot's or a bare matplotlib Figure) as PNG to ``path`` atomically and
    close it; ``tight`` crops to the drawn area (figures with a constrained layout need not)."""
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    plt.close(figure)
