import pytest
import torch

from cisflow.models import REGISTRY, build


def trainable(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def test_camformer_has_the_published_parameter_count():
    model = build("camformer", seq_len=110, n_targets=1)
    assert trainable(model) == 16_611_073
    model.eval()
    assert model(torch.zeros(3, 4, 110)).shape == (3, 1)
    assert model.first_layer(torch.zeros(2, 4, 110)).shape == (2, 512, 110)


@pytest.mark.parametrize("name", sorted(REGISTRY))
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
    from cisflow.interpret import filter_pfms

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
