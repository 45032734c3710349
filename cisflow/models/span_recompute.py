"""Both alleles of single-base substitutions through a ``ConvNet`` without recomputing what they share.

A SNV changes one input position, so in each conv block of a ``ConvNet`` only the outputs whose
receptive field holds it change. The ref window goes through the model in full, keeping every
block's activations; the alt window reuses them and recomputes only the changed span, block by
block (for Basset's 600-bp model about a tenth of the arithmetic of a forward pass). Pointwise
layers (batch norm in eval mode, folded into the convolutions first; activations, dropout) follow
the span; max pooling recomputes the pooled windows it touches. The dense head then runs on the
full alt features. Results equal a plain forward pass (tests/test_snv_effects.py compares them).

With ``bf16`` the full ref pass runs in bfloat16, but both alleles' changed spans are recomputed
in fp32 from the same context: ref and alt then differ only by fp32 arithmetic, and the effect
(alt - ref) keeps fp32 accuracy although the shared context carries bf16 rounding. A block runs in
bf16 only where a probe on this machine agrees with fp32: oneDNN (torch 2.13 CPU) returns wrong
bf16 convolutions for 4 input channels with widths 16 and 24, DeepBind's first layer among them.

The variant stage asks ``supports_span_recompute`` and scores through ``SpanRecompute``; it knows
nothing of a model's blocks. A model that is not a ``ConvNet`` gets plain forward passes there.
"""

import copy

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from cisflow.encode import reverse_complement
from cisflow.models.convnet import ConvNet
from cisflow.models.predict import model_device, one_hot


def supports_span_recompute(model: nn.Module) -> bool:
    """Whether ``SpanRecompute`` can score single-base changes of ``model`` (a ``ConvNet``; an
    ensemble's members are asked one at a time)."""
    return isinstance(model, ConvNet)


class SpanRecompute:
    """A ``ConvNet`` prepared once (batch norm folded, the bf16 probe run) to give both alleles'
    raw outputs of SNVs at the centre of their windows, recomputing only the changed spans.

    Parameters
    ----------
    model : ConvNet
        The model (``supports_span_recompute``); it is copied, not changed.
    bf16 : bool
        Run the shared ref pass in bfloat16 where the probe agrees with fp32 (module docstring).
    """

    def __init__(self, model: nn.Module, bf16: bool = False) -> None:
        if not supports_span_recompute(model):
            raise TypeError(f"span recompute needs a ConvNet, not a {type(model).__name__}")
        self.model = _batch_norm_folded(model.eval())
        self.in_bf16 = _bf16_blocks(self.model) if bf16 else [False] * len(self.model.blocks)

    def __call__(self, ref_codes: np.ndarray, alt_bases: np.ndarray, window_of: np.ndarray,
                 batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """Raw outputs (logits for classification) of both alleles.

        Parameters
        ----------
        ref_codes : numpy.ndarray
            (m, L) uint8 ref windows.
        alt_bases : numpy.ndarray
            (n,) uint8 alt base codes at index L // 2.
        window_of : numpy.ndarray
            (n,) int64, the window of each alt: alts of one window share its ref pass.
        batch_size : int
            Windows a batch.

        Returns
        -------
        (numpy.ndarray, numpy.ndarray)
            (n, 2, T) outputs of ref and of alt, forward strand then reverse complement.
        """
        order = np.argsort(window_of, kind="stable")
        ref, alt = _pairs(self.model, self.in_bf16, ref_codes, alt_bases[order], window_of[order], batch_size)
        ref[order], alt[order] = ref.copy(), alt.copy()
        return ref, alt


@torch.no_grad()
def _pairs(model, in_bf16, ref_codes, alt_bases, window_of, batch_size):
    """``SpanRecompute`` on alts sorted by window; ``batch_size`` windows a batch."""
    dev = model_device(model)
    centre = ref_codes.shape[1] // 2
    refs, alts = [], []
    for start in range(0, len(ref_codes), batch_size):
        stop = min(start + batch_size, len(ref_codes))
        first, last = np.searchsorted(window_of, [start, stop])
        if first == last:
            continue
        codes = torch.from_numpy(ref_codes[start:stop]).to(dev)
        bases = torch.from_numpy(alt_bases[first:last]).to(dev)
        index = torch.from_numpy(window_of[first:last] - start).to(dev)
        flipped = reverse_complement(codes)
        strands = [(codes, bases, centre), (flipped, reverse_complement(bases[:, None])[:, 0],
                                            codes.shape[1] - 1 - centre)]
        outs = [_ref_and_alt(model, strand_codes, strand_bases, position, in_bf16, index)
                for strand_codes, strand_bases, position in strands]
        refs.append(torch.stack([ref for ref, _ in outs], dim=1).float().cpu())
        alts.append(torch.stack([alt for _, alt in outs], dim=1).float().cpu())
    return torch.cat(refs).numpy(), torch.cat(alts).numpy()


def _batch_norm_folded(model):
    """A copy of ``model`` whose batch norms (eval mode) are folded into the convolutions before
    them: the same function with one pass less over the largest activations."""
    folded = copy.deepcopy(model)
    for block in folded.blocks:
        for index in range(1, len(block)):
            if isinstance(block[index], nn.BatchNorm1d) and isinstance(block[index - 1], nn.Conv1d):
                block[index - 1] = fuse_conv_bn_eval(block[index - 1], block[index])
                block[index] = nn.Identity()
    return folded


@torch.no_grad()
def _bf16_blocks(model):
    """Per conv block of ``model``, whether its convolution in bf16 agrees with fp32 here (to 2 %
    of the output's scale, on random input); bf16 rounding alone is about 0.4 %."""
    agrees = []
    generator = torch.Generator().manual_seed(0)
    for block in model.blocks:
        conv = next(layer for layer in block if isinstance(layer, nn.Conv1d))
        probe = torch.randn(2, conv.in_channels, 4 * conv.kernel_size[0] + 64, generator=generator)
        probe = probe.to(conv.weight.device)
        exact = conv(probe)
        with torch.autocast(probe.device.type, dtype=torch.bfloat16):
            rounded = conv(probe).float()
        agrees.append(bool((rounded - exact).abs().max() <= 0.02 * exact.abs().max()))
    return agrees


def _ref_and_alt(model, codes, alt_bases, position, in_bf16, index):
    """Both alleles' model outputs, one row per alt. The ref windows ``codes`` go through each
    block in full (block i in bf16 where ``in_bf16[i]``); each alt, on window ``index[i]``, is
    carried with its window's ref as patches over the changed span: ``(lo, ref_patch, alt_patch)``."""
    x = one_hot(codes)
    ref_patch = x[index, :, position : position + 1]
    alt_patch = torch.zeros_like(ref_patch)
    known = alt_bases < 4
    alt_patch[known.nonzero().squeeze(1), alt_bases[known].long(), 0] = 1
    lo = position
    for number, block in enumerate(model.blocks):
        x, lo, ref_patch, alt_patch = _block_pair(block, x, lo, ref_patch, alt_patch, in_bf16[number],
                                                  any(in_bf16[: number + 1]), index)
        if lo is None:  # the change no longer reaches anything: alt is ref from here on
            for later, rest in enumerate(model.blocks[number + 1 :], number + 1):
                with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=in_bf16[later]):
                    x = rest(x if in_bf16[later] else x.float())
            out = _head(model, x.float())[index]
            return out, out
    context = x[index]
    return _head(model, _overlay(context, lo, ref_patch)), _head(model, _overlay(context, lo, alt_patch))


def _overlay(values, offset, patch):
    """An fp32 copy of ``values`` with ``patch`` written from position ``offset`` on (clipped)."""
    out = values.to(torch.float32, copy=True)
    start, stop = max(offset, 0), min(offset + patch.shape[-1], out.shape[-1])
    out[:, :, start:stop] = patch[:, :, start - offset : stop - offset]
    return out


def _head(model, x):
    x = model.global_pool(x) if model.global_pool is not None else x.flatten(1)
    return model.head(x)


def _block_pair(block, x, lo, ref_patch, alt_patch, in_bf16, recompute_ref, index):
    """The block's ref output in full (one row a window) and both alleles' outputs over the
    changed span (one row an alt, of window ``index``), as ``(full, lo, ref_patch, alt_patch)``;
    ``lo`` is None when the change no longer reaches the output. With ``in_bf16`` the full output
    is bfloat16; both patches are computed in fp32 from the same context, the ref's too where
    ``recompute_ref`` (a bf16 block so far), so alt - ref keeps fp32 accuracy."""
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

    with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=in_bf16):
        inputs = x if in_bf16 else x.float()
        padded = F.conv1d(inputs, conv.weight, conv.bias, padding=left) if left == right else \
            F.conv1d(F.pad(inputs, (left, right)), conv.weight, conv.bias)
        full = finish(padded)
    hi = lo + ref_patch.shape[-1] - 1
    j0, j1 = max(lo + left - width + 1, 0), min(hi + left, full.shape[-1] - 1)
    s0, s1 = j0 - left, j1 - left + width - 1  # the unpadded input positions these outputs read
    first, last = max(s0, 0), min(s1, length - 1)

    def span(patch):
        piece = F.pad(_overlay(x[index, :, first : last + 1], lo - first, patch), (first - s0, s1 - last))
        return finish(F.conv1d(piece, conv.weight, conv.bias))

    ref_out = span(ref_patch) if recompute_ref else full[index, :, j0 : j1 + 1]
    alt_out = span(alt_patch)
    if pool is None:
        return full, j0, ref_out, alt_out
    k = pool.kernel_size
    pooled = pool(full)
    p0, p1 = j0 // k, min(j1 // k, pooled.shape[-1] - 1)
    if p0 > p1:  # the change fell in the tail that pooling drops
        return pooled, None, None, None
    window = full[index, :, p0 * k : (p1 + 1) * k]  # the outputs that the touched pooled positions read
    return pooled, p0, pool(_overlay(window, j0 - p0 * k, ref_out)), pool(_overlay(window, j0 - p0 * k, alt_out))
