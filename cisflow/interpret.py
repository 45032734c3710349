"""Interpretation of trained sequence CNNs: first-layer filter motifs, attributions, plots.

* ``filter_pfms`` turns each first-layer filter into a position count matrix the way Basset
  does (the subsequences under its strongest activations), ``write_meme`` saves them for MEME
  tools and ``match_motifs`` compares them with JASPAR using memelite's Tomtom.
* ``saliency`` (gradient x input) and ``ism`` (in-silico saturation mutagenesis) attribute a
  prediction to the bases of a sequence.
* Their figures are drawn by ``cisflow.logos``.

Sequences are integer codes (see ``cisflow.encode``): (N, L) uint8, A C G T N = 0..4.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from cisflow.atomic import atomic_open
from cisflow.encode import ALPHABET, N_CODE
from cisflow.torch_utils import forward, one_hot, predict

BASES = ALPHABET[:4]
PSEUDOCOUNT = 0.25  # added to each base's count before counts become frequencies
_HITS_PER_CHUNK = 1 << 18  # bounds the (hits, width) index arrays built in filter_pfms


# ---------------------------------------------------------------------------------------------
# Filter motifs


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
    def probabilities(self):
        return frequencies(self.counts)

    @property
    def information_content(self):
        return information_content(self.probabilities)


def frequencies(counts, pseudocount=PSEUDOCOUNT):
    """(width, 4) counts -> frequencies; the pseudocount keeps rows of few sites off 0 and 1."""
    counts = np.asarray(counts, dtype=np.float64) + pseudocount
    return counts / counts.sum(axis=1, keepdims=True)


def information_content(probs):
    """Total information content in bits of a (width, 4) frequency matrix (uniform background)."""
    return float(column_information(probs).sum())


def column_information(probs):
    probs = np.asarray(probs, dtype=np.float64)
    plogp = np.where(probs > 0, probs * np.log2(np.where(probs > 0, probs, 1)), 0.0)
    return 2 + plogp.sum(axis=1)


def filter_pfms(model, codes, threshold=0.5, batch_size=256):
    """Basset's filter motifs: one ``FilterPFM`` for each first-layer filter of ``model``.

    A filter's sites are the (sequence, position) pairs whose activation exceeds ``threshold``
    times the filter's maximum over all ``codes``; each adds the input subsequence under the
    filter to its counts. Windows that reach past a sequence end or hold an N are skipped.
    Two passes over the sequences (maxima, then sites), each in batches, keep memory bounded.
    """
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    if codes.ndim != 2 or not len(codes):
        raise ValueError(f"filter_pfms needs (N, L) codes of at least one sequence, got shape {codes.shape}")
    conv = model.first_conv
    n_filters, width, pad = conv.out_channels, conv.kernel_size[0], _padding(model)
    maxima = _max_activations(model, codes, batch_size)
    counts = np.zeros(n_filters * width * 4, dtype=np.int64)
    n_sites = np.zeros(n_filters, dtype=np.int64)
    n_seqs = np.zeros(n_filters, dtype=np.int64)
    for start, acts in _first_layer_batches(model, codes, batch_size):
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
    counts, maxima = counts.reshape(n_filters, width, 4), maxima.cpu().numpy()
    return [FilterPFM(f, counts[f], int(n_sites[f]), int(n_seqs[f]), float(maxima[f]))
            for f in range(n_filters)]


def _padding(model):
    """Input positions padded on the left of the first layer: activation p covers input p - pad
    onwards (the model's ``first_layer_padding``)."""
    conv = model.first_conv
    if isinstance(conv.padding, str) or conv.stride[0] != 1 or conv.dilation[0] != 1:
        raise ValueError("filter_pfms needs a first conv with integer padding, stride 1, dilation 1; "
                         f"got padding={conv.padding!r}, stride={conv.stride}, dilation={conv.dilation}")
    return model.first_layer_padding


def _pad_with_n(codes, left, width):
    """Codes with ``left`` Ns before and ``width`` after, so that every window of an activation
    position is inside the array and one hanging off an end contains an N."""
    padded = np.full((len(codes), left + codes.shape[1] + width), N_CODE, dtype=np.uint8)
    padded[:, left : left + codes.shape[1]] = codes
    return padded


@torch.no_grad()
def _first_layer_batches(model, codes, batch_size):
    """(start, rectified first-layer activations (B, filters, L')) for each batch, on the model's device."""
    model.eval()
    dev = _device(model)
    for start in range(0, len(codes), batch_size):
        batch = torch.as_tensor(codes[start : start + batch_size]).to(dev)
        yield start, model.first_layer(one_hot(batch))


def _max_activations(model, codes, batch_size):
    maxima = None
    for _, acts in _first_layer_batches(model, codes, batch_size):
        batch_max = acts.amax(dim=(0, 2))
        maxima = batch_max if maxima is None else torch.maximum(maxima, batch_max)
    return maxima


def _device(model):
    return next(model.parameters()).device


def write_meme(path, pfms, names=None):
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


def _meme_motif(name, probs, n_sites):
    rows = "".join(" ".join(f"{p:.6f}" for p in row) + "\n" for row in probs)
    return (f"MOTIF {name}\nletter-probability matrix: alength= 4 w= {len(probs)} "
            f"nsites= {n_sites} E= 0\n{rows}\n")


# ---------------------------------------------------------------------------------------------
# Tomtom against JASPAR

MATCH_COLUMNS = ["filter", "status", "rank", "jaspar_id", "name", "p_value", "e_value", "q_value",
                 "shuffle_p_value", "offset", "overlap", "orientation", "n_sites", "n_seqs",
                 "information_content"]


def match_motifs(pfms, jaspar_motifs, top=5, min_information=2.0, n_shuffles=100, seed=0):
    """Tomtom matches of filter motifs to JASPAR motifs, as a DataFrame (``MATCH_COLUMNS``).

    Each tested filter's frequency matrix is compared with every motif in ``jaspar_motifs``
    (both strands) by memelite's Tomtom; it has ``top`` rows (``rank`` 1 = smallest p-value),
    ``status`` 'tested'. memelite gives p-values only: ``q_value`` is Benjamini-Hochberg over
    that filter's comparisons with the whole database and ``e_value`` is p times the number of
    motifs, as in MEME's Tomtom. ``offset`` is the position of the motif column aligned with
    the filter's first column, in the motif as drawn in ``orientation`` ('-' = reverse
    complement of the JASPAR matrix); ``logos.plot_filter_matches`` takes both.

    Tomtom's p-values (Euclidean column distance, target columns as the null) are far too small
    for motifs of moderately informative columns: most random 19-column motifs get q < 0.05,
    nearly all against the low-information spacers of the long CTCF matrices. So each filter's
    columns are also put in ``n_shuffles`` random orders, and ``shuffle_p_value`` is
    (1 + the number of these whose best p-value in the database is at most the match's) /
    (1 + n_shuffles): a match is credible only if the filter's column order matters (NaN when
    ``n_shuffles`` is 0).

    Filters that fired on no site (``status`` 'no_sites') or whose information content is
    below ``min_information`` bits ('low_information') are not compared but keep one row with
    empty match columns, so that the table accounts for every filter.
    """
    from memelite import tomtom

    statuses = [_status(pfm, min_information) for pfm in pfms]
    tested = [pfm for pfm, status in zip(pfms, statuses) if status == "tested"]
    rows = [_skipped_row(pfm, status) for pfm, status in zip(pfms, statuses) if status != "tested"]
    if tested:
        targets = [_tomtom_matrix(m.probabilities) for m in jaspar_motifs]
        queries = [_tomtom_matrix(pfm.probabilities) for pfm in tested]
        p_values, _, offsets, overlaps, strands = tomtom(queries, targets)
        null = _shuffled_best_p_values(queries, targets, n_shuffles, seed)
        for i, pfm in enumerate(tested):
            rows += _match_rows(pfm, jaspar_motifs, p_values[i], offsets[i], overlaps[i], strands[i],
                                null[i], top)
    table = pd.DataFrame(rows, columns=MATCH_COLUMNS)
    table = table.astype({"rank": "Int64", "offset": "Int64", "overlap": "Int64"})
    return table.sort_values(["filter", "rank"], na_position="first", ignore_index=True)


def _tomtom_matrix(probs):
    """(4, width) float64 C-ordered: one layout and dtype, so numba compiles Tomtom only once."""
    return np.ascontiguousarray(np.asarray(probs).T, dtype=np.float64)


def _shuffled_best_p_values(queries, targets, n_shuffles, seed):
    """(queries, n_shuffles): best Tomtom p-value in ``targets`` of each column-shuffled query."""
    from memelite import tomtom

    if n_shuffles == 0:
        return np.empty((len(queries), 0))
    rng = np.random.default_rng(seed)
    shuffled = [np.ascontiguousarray(q[:, rng.permutation(q.shape[1])]) for q in queries
                for _ in range(n_shuffles)]
    best = tomtom(shuffled, targets, n_nearest=1)[0][:, 0]
    return best.reshape(len(queries), n_shuffles)


def _status(pfm, min_information):
    if pfm.n_sites == 0:
        return "no_sites"
    return "tested" if pfm.information_content >= min_information else "low_information"


def _filter_fields(pfm):
    return {"filter": pfm.filter, "n_sites": pfm.n_sites, "n_seqs": pfm.n_seqs,
            "information_content": pfm.information_content}


def _skipped_row(pfm, status):
    return {**_filter_fields(pfm), "status": status}


def _match_rows(pfm, motifs, p_values, offsets, overlaps, strands, null, top):
    q_values = benjamini_hochberg(p_values)
    best = np.argsort(p_values, kind="stable")[:top]
    return [{**_filter_fields(pfm), "status": "tested", "rank": rank,
             "jaspar_id": motifs[j].matrix_id, "name": motifs[j].name,
             "p_value": p_values[j], "e_value": p_values[j] * len(motifs), "q_value": q_values[j],
             "shuffle_p_value": _empirical_p_value(p_values[j], null),
             "offset": int(offsets[j]), "overlap": int(overlaps[j]),
             "orientation": "-" if strands[j] else "+"}
            for rank, j in enumerate(best, start=1)]


def _empirical_p_value(p_value, null):
    return (1 + np.sum(null <= p_value)) / (1 + len(null)) if len(null) else np.nan


def benjamini_hochberg(p_values):
    """Benjamini-Hochberg adjusted p-values (q-values), in the order given."""
    p_values = np.asarray(p_values, dtype=np.float64)
    order = np.argsort(p_values)
    scaled = p_values[order] * len(p_values) / np.arange(1, len(p_values) + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    q_values = np.empty_like(p_values)
    q_values[order] = np.minimum(adjusted, 1.0)
    return q_values


# ---------------------------------------------------------------------------------------------
# Filter influence


def filter_influence(model, codes, task, batch_size=512, features=None):
    """Basset's influence: what each first-layer filter does to the predictions.

    Each filter in turn is silenced (its output replaced by its mean over these sequences and
    positions, so it carries no information) and the predictions are made again. Returns
    (filters, targets) mean changes, silenced minus intact (negative: the filter raised the
    output), and (filters,) the mean squared change over targets, which ranks filters by what
    they do rather than by what their motif looks like.
    """
    conv = model.first_conv
    intact = predict(model, codes, task=task, batch_size=batch_size, features=features)
    sums, positions = [], []

    def record(module, inputs, output):
        sums.append(output.double().sum(dim=(0, 2)))
        positions.append(output.shape[0] * output.shape[2])

    hook = conv.register_forward_hook(record)
    try:
        predict(model, codes, task=task, batch_size=batch_size, features=features)
    finally:
        hook.remove()
    means = (torch.stack(sums).sum(dim=0) / sum(positions)).float()
    changes = np.zeros((conv.out_channels, intact.shape[1]), np.float32)
    for index in range(conv.out_channels):
        def silence(module, inputs, output, index=index):
            output = output.clone()
            output[:, index] = means[index].to(output.dtype)
            return output

        hook = conv.register_forward_hook(silence)
        try:
            silenced = predict(model, codes, task=task, batch_size=batch_size, features=features)
        finally:
            hook.remove()
        changes[index] = (silenced - intact).mean(axis=0)
    return changes, (changes**2).mean(axis=1)


# ---------------------------------------------------------------------------------------------
# Attribution


def input_gradients(model, codes, target, batch_size=256, features=None):
    """Per batch of ``codes``, its one-hot input x (n, 4, L) and the gradient of raw output
    ``target`` (the logit for classification models) with respect to it; ``features`` (N, F) go
    beside the sequences to a model that takes them."""
    model.eval()
    dev = _device(model)
    codes = torch.as_tensor(np.asarray(codes, dtype=np.uint8))
    features = None if features is None else torch.as_tensor(np.asarray(features, dtype=np.float32))
    for start in range(0, len(codes), batch_size):
        x = one_hot(codes[start : start + batch_size].to(dev)).requires_grad_(True)
        extra = None if features is None else features[start : start + batch_size].to(dev)
        (grad,) = torch.autograd.grad(forward(model, x, extra)[:, target].sum(), x)
        yield x.detach(), grad


def saliency(model, codes, target, batch_size=256, features=None):
    """Gradient x input: (N, L) contribution of the observed base at each position (0 at N).

    The gradient is of the raw output ``target`` (the logit for classification models), which
    does not saturate the way the probability does for confidently predicted sequences.
    ``features`` (N, F) go beside the sequences to a model that takes them.
    """
    return np.concatenate([(grad * x).sum(dim=1).cpu().numpy()
                           for x, grad in input_gradients(model, codes, target, batch_size, features)])


def ism(model, codes, target, task, batch_size=512, features=None, span=None):
    """In-silico saturation mutagenesis: (N, L, 4) change of output ``target`` per substitution.

    The change is in probability for classification and in value for regression; the reference
    base's entry is 0 (a position holding N has no reference, so all four entries are changes).
    ``features`` (N, F) go beside each sequence's variants to a model that takes them. ``span``
    (start, stop) mutates only those positions: (N, stop - start, 4).
    """
    codes = np.asarray(codes, dtype=np.uint8)
    start, stop = span or (0, codes.shape[1])
    effects = np.zeros((len(codes), stop - start, 4), dtype=np.float32)
    for i, seq in enumerate(codes):
        variants = np.vstack([seq[None], _substitutions(seq, start, stop)])
        extra = None if features is None else np.repeat(np.asarray(features[i : i + 1]), len(variants), axis=0)
        preds = predict(model, variants, task=task, batch_size=batch_size, features=extra)[:, target]
        effects[i] = (preds[1:] - preds[0]).reshape(stop - start, 4)
        effects[i][is_reference(seq[start:stop])] = 0
    return effects


def ism_importance(effects, codes):
    """(..., L, 4) letter heights from ISM ``effects``: at each observed base, how much the
    output drops when it is mutated (minus the mean change of its three substitutions); 0 at N."""
    reference = is_reference(codes)
    return reference * (-np.asarray(effects).sum(axis=-1, keepdims=True) / 3)


def strongest_window(contributions, window):
    """Start of a ``window`` around the stretch with the largest total |contribution|.

    The window is centred on the contributions' centre of mass within the best window, so a
    narrow peak ends up in the middle rather than at the edge of the first window holding it.
    """
    weights = np.abs(contributions)
    if len(weights) <= window:
        return 0
    best = int(np.argmax(np.convolve(weights, np.ones(window), mode="valid")))
    inside = weights[best : best + window]
    centre = best + (np.average(np.arange(window), weights=inside) if inside.any() else window / 2)
    return int(np.clip(round(centre - window / 2), 0, len(weights) - window))


def _substitutions(seq, start, stop):
    """((stop - start) * 4, L) copies of ``seq``; row 4*i + b has base b at position start + i."""
    width = stop - start
    variants = np.repeat(seq[None], 4 * width, axis=0)
    variants[np.arange(4 * width), start + np.repeat(np.arange(width), 4)] = np.tile(np.arange(4), width)
    return variants


def is_reference(codes):
    """(..., 4) mask of the observed base of each position (all False at N)."""
    return np.asarray(codes)[..., None] == np.arange(4)


def top_examples(predictions, k):
    """Indices of the ``k`` largest of a 1-D array of predictions, largest first."""
    predictions = np.asarray(predictions)
    if predictions.ndim != 1:
        raise ValueError(f"top_examples takes one target's predictions (1-D), got shape {predictions.shape}")
    return np.argsort(-predictions, kind="stable")[:k]
