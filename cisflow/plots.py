"""Figure output shared by every stage: PNGs written atomically, sized for a projector."""

import matplotlib.pyplot as plt

from cisflow.atomic import atomic_path


def save_figure(figure, path, dpi=110):
    """Write ``figure`` as PNG to ``path`` atomically and close it."""
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(figure)
