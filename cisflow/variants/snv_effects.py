"""Ref and alt predictions of single-base substitutions without recomputing what they share.

A SNV changes one input position, so a model that supports it
(``cisflow.models.span_recompute.supports_span_recompute``) runs the ref window in full and
recomputes only the span the change reaches, layer by layer; results equal a plain forward pass
(tests compare them). Any other model gets plain forward passes of both alleles.

With ``bf16`` the full ref pass runs in bfloat16 (AMX or AVX512-BF16 on CPU, tensor cores on
GPU), but both alleles' changed spans are recomputed in fp32 from the same context: ref and alt
then differ only by fp32 arithmetic, and the effect (alt - ref) keeps fp32 accuracy although the
shared context carries bf16 rounding. Computing ref and alt each in bf16 would not: the rounding
differences swamp effects a hundred times smaller than the activations.
"""

import logging

import numpy as np
import torch

from cisflow.models.predict import predict_strands, strand_mean
from cisflow.models.span_recompute import SpanRecompute, supports_span_recompute

log = logging.getLogger(__name__)


def use_bf16(precision: str, dev: torch.device) -> bool:
    """Whether to score in bf16: ``precision`` 'bf16', or 'auto' where ``bf16_is_fast``; 'fp32'
    never. The choice and its reason are logged (``precision_note``)."""
    bf16, note = precision_choice(precision, dev)
    (log.warning if "emulated" in note else log.info)("%s", note)
    return bf16


def precision_choice(precision: str, dev: torch.device) -> tuple[bool, str]:
    """(bf16, note): whether ``precision`` runs bf16 on ``dev``, and the line that says so and why."""
    if precision not in ("auto", "bf16", "fp32"):
        raise ValueError(f"precision must be auto, bf16 or fp32, not {precision!r}")
    fast = bf16_is_fast(dev)
    bf16 = precision == "bf16" or (precision == "auto" and fast)
    return bf16, precision_note(precision, bf16, fast, dev)


def precision_note(precision: str, bf16: bool, fast: bool, dev: torch.device) -> str:
    """One line for the log and the report: what precision ``precision`` led to on ``dev``, and why."""
    hardware = "this GPU" if dev.type == "cuda" else "this CPU"
    native = ("native bf16" if fast else "no native bf16") + (
        "" if dev.type == "cuda" else (" (AMX or AVX512-BF16)" if fast else " (neither AMX nor AVX512-BF16)"))
    if not bf16:
        reason = "asked for" if precision == "fp32" else f"{hardware} has {native}"
        return f"precision {precision}: fp32 throughout ({reason})"
    mode = "shared ref pass in bf16, both alleles' changed spans in fp32"
    if precision == "bf16" and not fast:
        return f"precision bf16: {mode}, but {hardware} has {native}, so bf16 is emulated and slow"
    return f"precision {precision}: {mode} ({hardware} has {native})"


def bf16_is_fast(dev: torch.device) -> bool:
    """Whether bfloat16 convolutions run natively: CUDA with bf16, or a CPU with AMX or AVX512-BF16."""
    if dev.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return dev.type == "cpu" and torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()


def snv_pair_predictions(model: torch.nn.Module, ref_codes: np.ndarray, alt_bases: np.ndarray, task: str,
                         batch_size: int = 256, bf16: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(ref, alt) predictions, both strands averaged, of SNVs at the centre of ``ref_codes``.

    ``ref_codes`` (n, L) uint8 windows, ``alt_bases`` (n,) the alt base codes at index L // 2;
    ``bf16`` runs the shared ref pass in bfloat16 (module docstring). Returns two (n, T) arrays.
    """
    ref, alt = SnvScorer(model, bf16)(ref_codes, alt_bases, batch_size)
    return strand_mean(ref, task), strand_mean(alt, task)


class SnvScorer:
    """Raw outputs of both alleles of SNVs for one model (an ensemble's member), prepared once
    (``cisflow.models.span_recompute.SpanRecompute``, where it supports the model) for every chunk
    of windows it is called on.

    Called with (m, L) uint8 ref windows, (n,) alt base codes at index L // 2 and, optionally,
    ``window_of`` (n,), the window of each alt (default: one alt a window), it returns the
    (n, 2, T) raw outputs (logits for classification) of ref and of alt, forward strand then
    reverse complement. Several alts of one window (a site whose other allele is unknown, scored
    as all three substitutions) share its ref pass: each adds only the span it changes.
    """

    def __init__(self, model: torch.nn.Module, bf16: bool = False) -> None:
        self.model = model
        self.spans = SpanRecompute(model, bf16) if supports_span_recompute(model) else None

    def __call__(self, ref_codes: np.ndarray, alt_bases: np.ndarray, batch_size: int = 256,
                 window_of: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        ref_codes = np.asarray(ref_codes, dtype=np.uint8)
        alt_bases = np.asarray(alt_bases, dtype=np.uint8)
        window_of = np.arange(len(alt_bases)) if window_of is None else np.asarray(window_of, dtype=np.int64)
        if self.spans is not None:
            return self.spans(ref_codes, alt_bases, window_of, batch_size)
        alt_codes = ref_codes[window_of]
        alt_codes[:, ref_codes.shape[1] // 2] = alt_bases
        pairs = np.stack([ref_codes[window_of], alt_codes], axis=1).reshape(-1, ref_codes.shape[1])
        out = predict_strands(self.model, pairs, batch_size, both_strands=True)
        return out[0::2], out[1::2]
