"""Incremental alt predictions equal plain forward passes for every ConvNet layout."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from cisflow.models.predict import predict, predict_strands
from cisflow.models.registry import build
from cisflow.variants.snv_effects import SnvScorer, bf16_is_fast, precision_note, snv_pair_predictions, use_bf16

LAYOUTS = [
    ("basset", 600, {}),  # valid convolutions, batch norm, three pools
    ("deepbind", 101, {}),  # full padding, max + average global pooling
    ("cuperus", 50, {}),  # 'same' padding, dropout, no pooling
    ("primer", 50, {}),  # no activation, pooling drops a tail
    ("cnn", 101, {"conv": [{"filters": 8, "width": 6, "pool": 3}, {"filters": 8, "width": 5, "pool": 2}],
                  "dense": [8]}),  # even width: one more padding on the right
    ("cnn", 40, {"conv": [{"filters": 8, "width": 7, "pool": 4}], "dense": [8], "global_pool": "max"}),
]


@pytest.mark.parametrize("name, length, params", LAYOUTS)
def test_incremental_alt_equals_a_full_forward_pass(name, length, params):
    torch.manual_seed(0)
    model = build(name, seq_len=length, n_targets=3, **params).eval()
    for module in model.modules():  # batch norm statistics that are not the identity
        if isinstance(module, torch.nn.BatchNorm1d):
            module.running_mean.normal_()
            module.running_var.uniform_(0.5, 2.0)
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 4, (37, length)).astype(np.uint8)
    codes[3, 5] = 4  # an N elsewhere in a window
    alt = ((codes[:, length // 2] + 1) % 4).astype(np.uint8)
    ref_out, alt_out = snv_pair_predictions(model, codes, alt, "classification", batch_size=16)
    alt_codes = codes.copy()
    alt_codes[:, length // 2] = alt
    np.testing.assert_allclose(ref_out, predict(model, codes, "classification", both_strands=True), atol=1e-6)
    np.testing.assert_allclose(alt_out, predict(model, alt_codes, "classification", both_strands=True), atol=1e-6)


def _model_and_snvs(name, length, params, n=37):
    torch.manual_seed(0)
    model = build(name, seq_len=length, n_targets=3, **params).eval()
    for module in model.modules():  # batch norm statistics that are not the identity
        if isinstance(module, torch.nn.BatchNorm1d):
            module.running_mean.normal_(0, 0.1)
            module.running_var.uniform_(0.5, 2.0)
    codes = np.random.default_rng(1).integers(0, 4, (n, length)).astype(np.uint8)
    alt = ((codes[:, length // 2] + 1) % 4).astype(np.uint8)
    alt_codes = codes.copy()
    alt_codes[:, length // 2] = alt
    return model, codes, alt, alt_codes


def _relative_error(estimate, exact):
    return np.linalg.norm(estimate - exact) / np.linalg.norm(exact)


@pytest.mark.parametrize("name, length, params", LAYOUTS)
def test_alts_sharing_a_window_equal_full_passes(name, length, params):
    """Three substitutions at each of some windows and one at others, in shuffled order: each
    window's ref pass is shared, and every alt still equals a full forward pass."""
    model, codes, _, _ = _model_and_snvs(name, length, params, n=9)
    rng = np.random.default_rng(2)
    window_of = rng.permutation(np.r_[np.repeat(np.arange(5), 3), np.arange(5, 9)])
    alt = ((codes[window_of, length // 2] + 1 + rng.integers(0, 3, len(window_of))) % 4).astype(np.uint8)
    alt_codes = codes[window_of].copy()
    alt_codes[:, length // 2] = alt
    ref_raw, alt_raw = SnvScorer(model)(codes, alt, batch_size=4, window_of=window_of)
    np.testing.assert_allclose(ref_raw, predict_strands(model, codes[window_of], both_strands=True), atol=1e-4)
    np.testing.assert_allclose(alt_raw, predict_strands(model, alt_codes, both_strands=True), atol=1e-4)


@pytest.mark.parametrize("name, length, params", LAYOUTS)
def test_bf16_shared_pass_keeps_effects_at_fp32_accuracy(name, length, params):
    model, codes, alt, alt_codes = _model_and_snvs(name, length, params)
    ref_exact = predict(model, codes, "classification", both_strands=True)
    sad_exact = predict(model, alt_codes, "classification", both_strands=True) - ref_exact
    ref_out, alt_out = snv_pair_predictions(model, codes, alt, "classification", batch_size=16, bf16=True)
    np.testing.assert_allclose(ref_out, ref_exact, atol=2e-2)  # the ref itself carries bf16 rounding
    assert _relative_error(alt_out - ref_out, sad_exact) < 0.05


def test_bf16_for_each_allele_alone_would_swamp_the_effects():
    """Why both alleles' spans are recomputed in fp32: Basset's effects of random SNVs are about a
    hundredth of its activations, below what bf16 resolves when ref and alt are rounded apart."""
    model, codes, alt, alt_codes = _model_and_snvs("basset", 600, {}, n=24)
    ref_exact = predict(model, codes, "classification", both_strands=True)
    sad_exact = predict(model, alt_codes, "classification", both_strands=True) - ref_exact
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ref_naive = predict(model, codes, "classification", both_strands=True)
        sad_naive = predict(model, alt_codes, "classification", both_strands=True) - ref_naive
    ref_out, alt_out = snv_pair_predictions(model, codes, alt, "classification", batch_size=16, bf16=True)
    assert _relative_error(sad_naive, sad_exact) > 0.5
    assert _relative_error(alt_out - ref_out, sad_exact) < 0.05


def test_precision_choice():
    cpu = torch.device("cpu")
    assert use_bf16("bf16", cpu) and not use_bf16("fp32", cpu)
    assert use_bf16("auto", cpu) == bf16_is_fast(cpu)
    with pytest.raises(ValueError, match="precision must be auto, bf16 or fp32"):
        use_bf16("fp16", cpu)


def test_auto_precision_is_fp32_on_a_cpu_without_native_bf16_and_says_so():
    """oneDNN held to AVX2 (as on a CPU with neither AMX nor AVX512-BF16): 'auto' scores in fp32
    and the log says why; 'bf16' still runs, with a warning that it is emulated."""
    code = ("import logging, torch; logging.basicConfig(level=logging.INFO, format='%(message)s'); "
            "from cisflow.variants.snv_effects import use_bf16; cpu = torch.device('cpu'); "
            "print(use_bf16('auto', cpu), use_bf16('bf16', cpu))")
    env = {**os.environ, "ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]
    note = "precision auto: fp32 throughout (this CPU has no native bf16 (neither AMX nor AVX512-BF16))"
    assert note in result.stderr
    assert "bf16 is emulated and slow" in result.stderr


def test_precision_note_names_the_choice_and_the_reason():
    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    assert precision_note("fp32", False, True, cpu) == "precision fp32: fp32 throughout (asked for)"
    assert precision_note("auto", True, True, gpu) == ("precision auto: shared ref pass in bf16, both alleles' "
                                                       "changed spans in fp32 (this GPU has native bf16)")


def test_a_model_that_is_not_a_convnet_scores_shared_windows_by_full_passes():
    torch.manual_seed(0)
    model = build("camformer", seq_len=40, n_targets=2, filters=4, width=6, dense=(4,)).eval()
    codes = np.random.default_rng(3).integers(0, 4, (3, 40)).astype(np.uint8)
    window_of = np.array([2, 0, 2, 2, 1])
    alt = ((codes[window_of, 20] + np.array([1, 1, 2, 3, 2])) % 4).astype(np.uint8)
    alt_codes = codes[window_of].copy()
    alt_codes[:, 20] = alt
    ref_raw, alt_raw = SnvScorer(model)(codes, alt, window_of=window_of)
    np.testing.assert_allclose(ref_raw, predict_strands(model, codes[window_of], both_strands=True), atol=1e-5)
    np.testing.assert_allclose(alt_raw, predict_strands(model, alt_codes, both_strands=True), atol=1e-5)
