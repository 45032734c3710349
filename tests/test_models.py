import json

import pytest
import torch

from cisflow.io.errors import ConfigError
from cisflow.models.registry import build, registered


def trainable(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def test_camformer_has_the_published_parameter_count():
    model = build("camformer", seq_len=110, n_targets=1)
    assert trainable(model) == 16_611_073
    model.eval()
    assert model(torch.zeros(3, 4, 110)).shape == (3, 1)
    assert model.first_layer(torch.zeros(2, 4, 110)).shape == (2, 512, 110)


@pytest.mark.parametrize("name", sorted(registered()))
def test_every_model_maps_one_hot_to_one_output_per_target(name):
    model = build(name, seq_len=600, n_targets=3).eval()
    out = model(torch.zeros(2, 4, 600))
    assert out.shape == (2, 3)
    assert model.first_conv.in_channels == 4 and model.output_layer.out_features == 3


def test_unknown_model_names_the_registered_ones():
    with pytest.raises(KeyError, match="unknown model 'bassett'; registered models: basset, camformer"):
        build("bassett", seq_len=10, n_targets=1)


def test_filter_motifs_align_on_the_camformers_even_width_padding():
    import numpy as np

    from cisflow.encode import decode, encode
    from cisflow.interpret.filters import filter_pfms

    kmer = "GATTAC"
    model = build("camformer", seq_len=40, n_targets=1, filters=2, width=6, dense=(4,)).eval()
    with torch.no_grad():
        weight = torch.zeros(2, 4, 6)
        weight[0, torch.from_numpy(encode(kmer).astype(np.int64)), torch.arange(6)] = 1.0
        model.convs[0].conv.weight.copy_(weight)
        model.convs[0].conv.bias.copy_(torch.tensor([-5.0, -100.0]))
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 4, (20, 40)).astype(np.uint8)
    codes[:, 10:16] = encode(kmer)
    pfm = filter_pfms(model, codes, threshold=0.5)[0]
    assert decode(pfm.counts.argmax(axis=1)) == kmer and pfm.n_sites >= 20


def test_basset_has_the_published_layers_and_parameter_count():
    model = build("basset", seq_len=600, n_targets=164).eval()
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv1d)]
    layers = [(c.out_channels, c.kernel_size[0], c.padding[0]) for c in convs]
    assert layers == [(300, 19, 0), (200, 11, 0), (200, 7, 0)]
    # 600 -19+1 -> 582, pool 3 -> 194, -11+1 -> 184, pool 4 -> 46, -7+1 -> 40, pool 4 -> 10: 200 x 10 into dense 1000
    assert model.head[0].in_features == 2000
    assert trainable(model) == 4_135_064
    assert model(torch.zeros(2, 4, 600)).shape == (2, 164)


def test_primer_is_the_notebooks_model_with_its_6226_parameters():
    # Conv1D(32, 12) without activation -> (39, 32), MaxPooling1D(4) -> (9, 32), Dense(16), Dense(2)
    model = build("primer", seq_len=50, n_targets=2).eval()
    assert trainable(model) == 6_226
    assert model.head[0].in_features == 9 * 32
    assert not any(isinstance(m, torch.nn.ReLU) for m in model.blocks[0])
    assert trainable(build("primer", seq_len=50, n_targets=1)) == 6_209  # one sigmoid output


def test_deepbind_scans_the_full_padded_sequence_and_pools_max_and_average():
    model = build("deepbind", seq_len=101, n_targets=1).eval()
    # 16 detectors of 4 x 24 (1,552), max + average of each -> 32 hidden (1,056), 1 output (33)
    assert trainable(model) == 2_641
    assert model.first_layer(torch.zeros(1, 4, 101)).shape == (1, 16, 101 + 23)
    assert model.first_layer_padding == 23
    x = torch.zeros(2, 4, 101)
    x[0, 0] = 1.0
    assert model(x).shape == (2, 1)


def test_cuperus_has_the_published_three_conv_layers_and_842753_parameters():
    model = build("cuperus", seq_len=50, n_targets=1).eval()
    convs = [(c.out_channels, c.kernel_size[0]) for c in model.modules() if isinstance(c, torch.nn.Conv1d)]
    assert convs == [(128, 13)] * 3
    assert model.head[0].in_features == 50 * 128 and model.head[0].out_features == 64
    assert trainable(model) == 842_753


def test_xpresso_concatenates_half_life_features_after_the_conv_stack():
    # 10,500 bp: conv(128, 6) 'same' -> pool 30 -> 350, conv(32, 9) -> pool 10 -> 35 x 32 = 1,120, + 8 features
    model = build("xpresso", seq_len=10_500, n_targets=1, n_features=8).eval()
    assert model.head[0].in_features == 1_120 + 8
    assert [m.out_features for m in model.head if isinstance(m, torch.nn.Linear)] == [64, 2, 1]
    assert trainable(model) == 3_200 + 36_896 + (1_128 * 64 + 64) + 130 + 3
    features = torch.randn(2, 8)
    assert model(torch.zeros(2, 4, 10_500), features).shape == (2, 1)
    with pytest.raises(ValueError, match="takes 8 per-sequence features"):
        model(torch.zeros(2, 4, 10_500))
    assert trainable(build("xpresso", seq_len=10_500, n_targets=1)) == 3_200 + 36_896 + 71_744 + 130 + 3


def test_even_widths_pad_one_more_on_the_right_and_keep_the_length():
    model = build("cnn", seq_len=30, n_targets=1, conv=[{"filters": 3, "width": 6}], dense=[]).eval()
    assert model.first_layer(torch.zeros(1, 4, 30)).shape == (1, 3, 30)
    assert model.first_layer_padding == 2


def test_models_name_what_does_not_fit():
    with pytest.raises(ConfigError, match="^model.name: camformer takes the sequence only"):
        build("camformer", seq_len=110, n_targets=1, n_features=3)
    with pytest.raises(ConfigError, match=r"^model.params.dense_dropout: 1 rates for 2 dense layers \(give one"):
        build("cnn", seq_len=50, n_targets=1, dense=[8, 8], dense_dropout=[0.1])
    with pytest.raises(ConfigError, match="^model.params.conv: a 200-long sequence is shorter than the conv/pool"):
        build("xpresso", seq_len=200, n_targets=1)


def test_the_config_checks_list_of_model_parameters_is_current():
    from cisflow.models.params import PARAMETERS, current

    assert json.loads(PARAMETERS.read_text()) == current(), \
        f"{PARAMETERS} is out of date with the model builders: run python -m cisflow.models.params"


def test_parameters_come_from_the_model_classes_and_layer_keys_from_the_layer_class():
    from cisflow.models.registry import parameters

    assert parameters("camformer") == dict.fromkeys(["filters", "width", "pool", "pool_stride", "dense", "dropout"])
    basset = parameters("basset")
    assert basset["conv"] == {"required": ["filters", "width"], "optional": ["activation", "dropout", "pool"]}
    assert "n_features" not in basset and "seq_len" not in basset and basset["dense"] is None


def test_a_conv_layer_without_its_optional_keys_takes_the_layer_class_defaults():
    from torch import nn

    model = build("cnn", seq_len=30, n_targets=1, conv=[{"filters": 3, "width": 5}], dense=[], batchnorm=False)
    assert [type(module) for module in model.blocks[0]] == [nn.Conv1d, nn.ReLU]  # relu, no pool, no dropout
    pooled = build("cnn", seq_len=30, n_targets=1, conv=[{"filters": 3, "width": 5, "pool": 2, "dropout": 0.1,
                                                          "activation": "linear"}], dense=[], batchnorm=False)
    assert [type(module) for module in pooled.blocks[0]] == [nn.Conv1d, nn.Identity, nn.MaxPool1d, nn.Dropout]
