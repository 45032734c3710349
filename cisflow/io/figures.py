"""Figure output shared by every stage: PNGs written atomically, sized for a projector."""

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from cisflow.io.atomic import atomic_path
from cisflow.types import PathLike


def save_figure(figure: Figure, path: PathLike, dpi: int = 110, tight: bool = True) -> None:
    """Write ``figure`` (pyplot's or a bare matplotlib Figure) as PNG to ``path`` atomically and
    close it; ``tight`` crops to the drawn area (figures with a constrained layout need not)."""
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    plt.close(figure)
