"""The values of the tracks: the model's predictions for the window centred on each tile, and the
contributions of each tile's bases within its window.

Windows are read from the indexed genome a chunk of tiles at a time (``CHUNK_WINDOWS``), so memory is
set by the chunk, not by the regions; a window that reaches past its contig's end is filled with N there
(a contig shorter than a window is seen whole, N around it). Predictions are ``cisflow.models.predict``'s
(probabilities for classification, values for regression; both strands averaged where the model was
trained on both, as ``cisflow predict`` does); contributions are gradient x input of the raw output (the
logit for classification) at the observed base (``cisflow.interpret.attribution.saliency``, forward
strand; an ensemble's is the mean of its members').
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from torch import nn

from cisflow.encode import N_CODE
from cisflow.interpret.attribution import saliency
from cisflow.io.genome import FaiEntry, window_codes
from cisflow.io.logs import Progress
from cisflow.models.checkpoint import strand_symmetric
from cisflow.models.predict import predict
from cisflow.tracks.regions import Tiles, window_starts
from cisflow.types import PathLike

CHUNK_WINDOWS = 4096  # windows read and predicted at once: 2.4 MB of 600-base codes; a progress step


@dataclass(frozen=True)
class TrackValues:
    """What the model gives for each tile.

    Attributes
    ----------
    predictions : (n, T) float32 array
        Each tile's prediction of every output.
    contributions : (n, stride) float32 array or None
        Each tile's bases' contributions to one output, from the tile's window (NaN past the end of a tile
        shorter than the stride); None where not asked for.
    """

    predictions: np.ndarray
    contributions: np.ndarray | None


def padded_windows(fasta_path: PathLike, index: Mapping[str, FaiEntry], chrom: str, starts: np.ndarray,
                   seq_len: int) -> np.ndarray:
    """(n, seq_len) codes of the windows at ``starts`` on ``chrom``, N where a window reaches past either
    end of the contig.

    Parameters
    ----------
    fasta_path : str or Path
        The indexed genome FASTA.
    index : dict
        Its .fai (``cisflow.io.genome.read_fai``).
    chrom : str
        The contig.
    starts : (n,) int array
        0-based window starts, sorted; negative or past the contig's end allowed.
    seq_len : int
        Bases a window.

    Returns
    -------
    (n, seq_len) uint8 array
    """
    low, high = int(starts[0]), int(starts[-1]) + seq_len
    first, last = max(low, 0), min(high, index[chrom][0])
    span = np.full(high - low, N_CODE, np.uint8)
    if first < last:
        span[first - low : last - low] = window_codes(fasta_path, chrom, [first], last - first, index)[0]
    return sliding_window_view(span, seq_len)[starts - low]


def tile_offsets(tiles: Tiles, seq_len: int) -> np.ndarray:
    """(n,) int64 position of each tile's first base in its window (``regions.window_starts``)."""
    return tiles.starts - window_starts(tiles, seq_len)


def track_values(model: nn.Module, meta: Mapping[str, Any], fasta_path: PathLike, index: Mapping[str, FaiEntry],
                 tiles: Tiles, stride: int, contribution_target: int | None,
                 batch_size: int = 256) -> TrackValues:
    """Predictions of every output for each tile's window, and the contributions of the tile's bases to
    one output.

    Parameters
    ----------
    model : torch.nn.Module
        The experiment's model (``load_model``: one model or an ensemble), on its device.
    meta : dict
        Its metadata: ``dataset`` (``task``, ``seq_len``), ``training`` (both strands or one).
    fasta_path : str or Path
        The indexed genome FASTA.
    index : dict
        Its .fai.
    tiles : Tiles
        The tiles (``regions.tile``), grouped by contig as regions are.
    stride : int
        The tiles' width (a shorter last tile of a region included); at most ``seq_len`` when
        contributions are asked for.
    contribution_target : int or None
        The output whose contributions are computed; None: none.
    batch_size : int
        Windows a forward (and backward) pass.

    Returns
    -------
    TrackValues

    Raises
    ------
    InputError
        Where the model's outputs are NaN or infinite (``cisflow.models.predict.check_finite``).
    """
    dataset = meta["dataset"]
    seq_len = int(dataset["seq_len"])
    both_strands = strand_symmetric(meta)
    starts = window_starts(tiles, seq_len)
    predictions = np.empty((len(tiles), len(dataset["targets"])), np.float32)
    contributions = None if contribution_target is None else np.full((len(tiles), stride), np.nan, np.float32)
    offsets, lengths = tile_offsets(tiles, seq_len), tiles.ends - tiles.starts
    what = f"predict {len(tiles):,} windows of {seq_len} bp" + ("" if contributions is None else " and contributions")
    with Progress(what, total=len(tiles), unit="windows") as progress:
        for begin in range(0, len(tiles), CHUNK_WINDOWS):
            rows = slice(begin, min(begin + CHUNK_WINDOWS, len(tiles)))
            for chrom in dict.fromkeys(tiles.chroms[rows].tolist()):
                at = begin + np.flatnonzero(tiles.chroms[rows] == chrom)
                codes = padded_windows(fasta_path, index, chrom, starts[at], seq_len)
                ids = [f"{chrom}:{start + 1}-{start + seq_len}" for start in starts[at].tolist()]
                predictions[at] = predict(model, codes, dataset["task"], batch_size, both_strands, ids=ids)
                if contributions is not None and contribution_target is not None:
                    scores = saliency(model, codes, contribution_target, batch_size)
                    columns = np.arange(stride)
                    inside = columns < lengths[at, None]
                    picked = np.take_along_axis(scores, np.minimum(offsets[at, None] + columns, seq_len - 1), axis=1)
                    contributions[at] = np.where(inside, picked, np.nan)
            progress.advance(rows.stop - rows.start)
    return TrackValues(predictions, contributions)
