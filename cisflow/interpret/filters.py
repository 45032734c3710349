"""First-layer filters as motifs: each filter turned into a position count matrix the way Basset does
(the subsequences under its strongest activations), and written as MEME for motif tools.

Sequences are integer codes (see ``cisflow.encode``): (N, L) uint8, A C G T N = 0..4.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import torch
from torch import nn

from cisflow.encode import ALPHABET, N_CODE
from cisflow.io.atomic import atomic_open
from cisflow.io.logs import Progress
from cisflow.models.predict import model_device, one_hot
from cisflow.types import PathLike

BASES = ALPHABET[:4]


PSEUDOCOUNT = 0.25  # added to each base's count before counts become frequencies


_HITS_PER_CHUNK = 1 << 18  # bounds the (hits, width) index arrays built in filter_pfms


@dataclass(eq=False)
class FilterPFM:
    """The sites one first-layer filter fired on: ``counts`` is (width, 4) in ACGT order.

    ``n_seqs`` counts the sequences with at least one counted site.
    """

    filter: int
    counts: np.ndarray
    n_sites: int
    n_seqs: int
    max_activation: float

    @property
    def probabilities(self) -> np.ndarray:
        """(width, 4) base frequencies of the sites, with the pseudocount (``frequencies``)."""
        return frequencies(self.counts)

    @property
    def information_content(self) -> float:
        """Total information content of ``probabilities``, in bits."""
        return information_content(self.probabilities)


def frequencies(counts: np.ndarray, pseudocount: float = PSEUDOCOUNT) -> np.ndarray:
    """(width, 4) counts -> frequencies; the pseudocount keeps rows of few sites off 0 and 1."""
    padded = np.asarray(counts, dtype=np.float64) + pseudocount
    return padded / padded.sum(axis=1, keepdims=True)


def information_content(probs: np.ndarray) -> float:
    """Total information content in bits of a (width, 4) frequency matrix (uniform background)."""
    return float(column_information(probs).sum())


def column_information(probs: np.ndarray) -> np.ndarray:
    """(width,) information content of each column of a (width, 4) frequency matrix, in bits."""
    probs = np.asarray(probs, dtype=np.float64)
    plogp = np.where(probs > 0, probs * np.log2(np.where(probs > 0, probs, 1)), 0.0)
    return 2 + plogp.sum(axis=1)


def filter_pfms(model: nn.Module, codes: np.ndarray, threshold: float, batch_size: int = 256) -> list[FilterPFM]:
    """Basset's filter motifs: one ``FilterPFM`` for each first-layer filter of ``model``.

    A filter's sites are the (sequence, position) pairs whose activation exceeds ``threshold``
    times the filter's maximum over all ``codes`` (an experiment's ``interpret.activation_threshold``);
    each adds the input subsequence under the filter to its counts. Windows that reach past a
    sequence end or hold an N are skipped. Two passes over the sequences (maxima, then sites), each
    in batches, keep memory bounded; their progress is logged (``cisflow.io.logs.Progress``).
    """
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    if codes.ndim != 2 or not len(codes):
        raise ValueError(f"filter_pfms needs (N, L) codes of at least one sequence, got shape {codes.shape}")
    conv = first_conv(model)
    n_filters, width, pad = conv.out_channels, conv.kernel_size[0], _padding(model)
    counts = np.zeros(n_filters * width * 4, dtype=np.int64)
    n_sites = np.zeros(n_filters, dtype=np.int64)
    n_seqs = np.zeros(n_filters, dtype=np.int64)
    with Progress(f"PWMs of {n_filters} filters (two passes over {len(codes):,} sequences)", total=2 * len(codes),
                  unit="sequences") as progress:
        maxima = _max_activations(model, codes, batch_size, progress)
        for start, acts in _first_layer_batches(model, codes, batch_size, progress):
            hits = (acts > threshold * maxima[None, :, None]).nonzero().cpu().numpy()
            padded = _pad_with_n(codes[start : start + len(acts)], pad, width)
            fired = np.zeros((len(acts), n_filters), dtype=bool)
            for chunk in range(0, len(hits), _HITS_PER_CHUNK):
                seq, filt, pos = hits[chunk : chunk + _HITS_PER_CHUNK].T
                windows = padded[seq[:, None], pos[:, None] + np.arange(width)]
                keep = (windows < N_CODE).all(axis=1)
                seq, filt, windows = seq[keep], filt[keep], windows[keep]
                cells = (filt[:, None] * width + np.arange(width)) * 4 + windows
                counts += np.bincount(cells.ravel(), minlength=counts.size)
                n_sites += np.bincount(filt, minlength=n_filters)
                fired[seq, filt] = True
            n_seqs += fired.sum(axis=0)
    by_filter, peaks = counts.reshape(n_filters, width, 4), maxima.cpu().numpy()
    return [FilterPFM(f, by_filter[f], int(n_sites[f]), int(n_seqs[f]), float(peaks[f]))
            for f in range(n_filters)]


def first_conv(model: nn.Module) -> nn.Conv1d:
    """The first ``nn.Conv1d`` of ``model``: every model of ``cisflow.models`` exposes it as ``first_conv``,
    which ``nn.Module``'s hints cannot know."""
    return cast(nn.Conv1d, model.first_conv)


def _padding(model: nn.Module) -> int:
    """Input positions padded on the left of the first layer: activation p covers input p - pad
    onwards (the model's ``first_layer_padding``)."""
    conv = first_conv(model)
    if isinstance(conv.padding, str) or conv.stride[0] != 1 or conv.dilation[0] != 1:
        raise ValueError("filter_pfms needs a first conv with integer padding, stride 1, dilation 1; "
                         f"got padding={conv.padding!r}, stride={conv.stride}, dilation={conv.dilation}")
    return cast(int, model.first_layer_padding)


def _pad_with_n(codes: np.ndarray, left: int, width: int) -> np.ndarray:
    """Codes with ``left`` Ns before and ``width`` after, so that every window of an activation
    position is inside the array and one hanging off an end contains an N."""
    padded = np.full((len(codes), left + codes.shape[1] + width), N_CODE, dtype=np.uint8)
    padded[:, left : left + codes.shape[1]] = codes
    return padded


@torch.no_grad()
def _first_layer_batches(model: nn.Module, codes: np.ndarray, batch_size: int,
                         progress: Progress) -> Iterator[tuple[int, torch.Tensor]]:
    """(start, rectified first-layer activations (B, filters, L')) for each batch, on the model's
    device; ``progress`` counts the sequences done."""
    model.eval()
    dev = model_device(model)
    first_layer = cast(Callable[[torch.Tensor], torch.Tensor], model.first_layer)  # every model has one
    for start in range(0, len(codes), batch_size):
        batch = torch.as_tensor(codes[start : start + batch_size]).to(dev)
        yield start, first_layer(one_hot(batch))
        progress.advance(len(batch))


def _max_activations(model: nn.Module, codes: np.ndarray, batch_size: int, progress: Progress) -> torch.Tensor:
    maxima: torch.Tensor | None = None
    for _, acts in _first_layer_batches(model, codes, batch_size, progress):
        batch_max = acts.amax(dim=(0, 2))
        maxima = batch_max if maxima is None else torch.maximum(maxima, batch_max)
    assert maxima is not None, "filter_pfms checks that there is a sequence"
    return maxima


def write_meme(path: PathLike, pfms: Sequence[FilterPFM], names: Sequence[str] | None = None) -> None:
    """Write filter motifs in MEME minimal motif format (v4), one ``MOTIF filter<i>`` each (or
    the matching one of ``names``).

    Filters without a site are left out: their matrix would be the uniform pseudocount only.
    """
    with atomic_open(path) as out:
        out.write("MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n"
                  "Background letter frequencies\nA 0.25 C 0.25 G 0.25 T 0.25\n\n")
        for index, pfm in enumerate(pfms):
            if pfm.n_sites:
                out.write(_meme_motif(names[index] if names else f"filter{pfm.filter}", pfm.probabilities,
                                      pfm.n_sites))


def read_meme(path: PathLike) -> dict[str, np.ndarray]:
    """The motifs of a MEME minimal motif file (as ``write_meme`` writes it): {name: (width, 4)
    probabilities in ACGT order}, in the file's order."""
    motifs: dict[str, list[list[float]]] = {}
    name = None
    with open(path) as lines:
        for line in lines:
            fields = line.split()
            if fields[:1] == ["MOTIF"]:
                name = fields[1]
                motifs[name] = []
            elif name and fields and fields[0][0] in "0123456789.":  # a row of the letter-probability matrix
                motifs[name].append([float(value) for value in fields])
    return {name: np.array(rows) for name, rows in motifs.items()}


def _meme_motif(name: str, probs: np.ndarray, n_sites: int) -> str:
    rows = "".join(" ".join(f"{p:.6f}" for p in row) + "\n" for row in probs)
    return (f"MOTIF {name}\nletter-probability matrix: alength= 4 w= {len(probs)} "
            f"nsites= {n_sites} E= 0\n{rows}\n")
