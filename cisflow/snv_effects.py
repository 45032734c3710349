"""Ref and alt predictions of single-base substitutions without recomputing what they share.

A SNV changes one input position, so in each conv block of a ``ConvNet`` only the outputs whose
receptive field holds it change. The ref window goes through the model in full, keeping every
block's activations; the alt window reuses them and recomputes only the changed span, block by
block (for Basset's 600-bp model about a tenth of the arithmetic of a forward pass). Pointwise
layers (batch norm in eval mode, activations, dropout) follow the span; max pooling recomputes
the pooled windows it touches. The dense head then runs on the full alt features. Results equal
a plain forward pass (tests compare them); models that are not ``ConvNet`` fall back to one.
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cisflow.models.convnet import ConvNet
from cisflow.torch_utils import ACTIVATIONS, one_hot, predict, reverse_complement


@torch.no_grad()
def snv_pair_predictions(model, ref_codes, alt_bases, task, batch_size=256):
    """(ref, alt) predictions, both strands averaged, of SNVs at the centre of ``ref_codes``.

    ``ref_codes`` (n, L) uint8 windows, ``alt_bases`` (n,) the alt base codes at index L // 2.
    """
    ref_codes = np.asarray(ref_codes, dtype=np.uint8)
    alt_bases = np.asarray(alt_bases, dtype=np.uint8)
    centre = ref_codes.shape[1] // 2
    if not isinstance(model, ConvNet):
        alt_codes = ref_codes.copy()
        alt_codes[:, centre] = alt_bases
        pairs = np.stack([ref_codes, alt_codes], axis=1).reshape(-1, ref_codes.shape[1])
        out = predict(model, pairs, task, batch_size, both_strands=True)
        return out[0::2], out[1::2]
    activation = ACTIVATIONS[task]
    dev = next(model.parameters()).device
    model.eval()
    refs, alts = [], []
    for start in range(0, len(ref_codes), batch_size):
        codes = torch.from_numpy(ref_codes[start : start + batch_size]).to(dev)
        bases = torch.from_numpy(alt_bases[start : start + batch_size]).to(dev)
        flipped = reverse_complement(codes)
        strands = [(codes, bases, centre), (flipped, reverse_complement(bases[:, None])[:, 0],
                                            codes.shape[1] - 1 - centre)]
        ref_sum, alt_sum = 0, 0
        for strand_codes, strand_bases, position in strands:
            ref_out, alt_out = _ref_and_alt(model, strand_codes, strand_bases, position)
            ref_sum = ref_sum + activation(ref_out)
            alt_sum = alt_sum + activation(alt_out)
        refs.append((ref_sum / 2).float().cpu())
        alts.append((alt_sum / 2).float().cpu())
    return torch.cat(refs).numpy(), torch.cat(alts).numpy()


def _ref_and_alt(model, codes, alt_bases, position):
    x = one_hot(codes)
    x_alt = x.clone()
    x_alt[:, :, position] = 0
    known = alt_bases < 4
    x_alt[known.nonzero().squeeze(1), alt_bases[known].long(), position] = 1
    lo = hi = position
    for index, block in enumerate(model.blocks):
        x, x_alt, (lo, hi) = _block_pair(block, x, x_alt, lo, hi)
        if lo is None:  # the change no longer reaches anything: alt is ref from here on
            for rest in model.blocks[index + 1 :]:
                x = rest(x)
            out = _head(model, x)
            return out, out
    return _head(model, x), _head(model, x_alt)


def _head(model, x):
    x = model.global_pool(x) if model.global_pool is not None else x.flatten(1)
    return model.head(x)


def _block_pair(block, x, x_alt, lo, hi):
    """The block's ref output in full and its alt output recomputed over the changed span only;
    returns them with the span of changed output positions."""
    layers = list(block)
    pad = layers.pop(0) if isinstance(layers[0], nn.ConstantPad1d) else None
    conv = layers.pop(0)
    pool = next((layer for layer in layers if isinstance(layer, nn.MaxPool1d)), None)
    pointwise = [layer for layer in layers if not isinstance(layer, (nn.MaxPool1d, nn.Dropout))]
    left, right = pad.padding if pad is not None else (conv.padding[0], conv.padding[0])
    width, length = conv.kernel_size[0], x.shape[-1]

    def finish(values):
        for layer in pointwise:
            values = layer(values)
        return values

    full = finish(F.conv1d(F.pad(x, (left, right)), conv.weight, conv.bias))
    out_len = full.shape[-1]
    j0, j1 = max(lo + left - width + 1, 0), min(hi + left, out_len - 1)
    s0, s1 = j0 - left, j1 - left + width - 1  # the unpadded input positions these outputs read
    piece = F.pad(x_alt[:, :, max(s0, 0) : min(s1, length - 1) + 1], (max(-s0, 0), max(s1 - (length - 1), 0)))
    full_alt = full.clone()
    full_alt[:, :, j0 : j1 + 1] = finish(F.conv1d(piece, conv.weight, conv.bias))
    if pool is None:
        return full, full_alt, (j0, j1)
    k = pool.kernel_size
    pooled = pool(full)
    p0, p1 = j0 // k, min(j1 // k, pooled.shape[-1] - 1)
    if p0 > p1:  # the change fell in the tail that pooling drops
        return pooled, None, (None, None)
    pooled_alt = pooled.clone()
    pooled_alt[:, :, p0 : p1 + 1] = pool(full_alt[:, :, p0 * k : (p1 + 1) * k])
    return pooled, pooled_alt, (p0, p1)
