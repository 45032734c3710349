"""Incremental alt predictions equal plain forward passes for every ConvNet layout."""

import numpy as np
import pytest
import torch

from cisflow.models import build
from cisflow.snv_effects import snv_pair_predictions
from cisflow.torch_utils import predict

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
