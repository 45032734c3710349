"""TF-MoDISco on attributions: the inputs it is given, and patterns that are the planted motifs."""

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from cisflow.config.settings import Interpret, Training
from cisflow.data.dataset import write_dataset
from cisflow.encode import decode, encode
from cisflow.interpret.modisco import discover_motifs, discover_patterns, hypothetical_contributions, trim
from cisflow.io.errors import ConfigError
from cisflow.training.train import train

INTERPRET = Interpret.from_mapping({"jaspar_release": "JASPAR2024", "tax_group": "vertebrates", "modisco": True,
                                    "modisco_target": None, "modisco_sequences": 500, "subsample": 5000, "seed": 0})
AP1_FAMILY = ("FOS", "JUN", "BATF", "ATF", "BACH", "NFE2")  # bZIPs whose JASPAR motifs hold TGA(C/G)TCA


class Linear(nn.Module):
    def __init__(self, length):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(2, 4, length, generator=torch.Generator().manual_seed(0)))

    def forward(self, x):
        return torch.einsum("tcl,bcl->bt", self.weight, x)


def test_hypothetical_contributions_are_the_gradient_centred_over_bases():
    model = Linear(12)
    codes = np.random.default_rng(0).integers(0, 4, (3, 12)).astype(np.uint8)
    weight = model.weight.detach().numpy()[1].T  # (L, 4): the gradient of output 1
    expected = weight - weight.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(hypothetical_contributions(model, codes, 1, batch_size=2), np.stack([expected] * 3),
                               atol=1e-6)


def test_trim_keeps_the_core_between_strong_columns():
    cwm = np.zeros((10, 4))
    cwm[3, 0], cwm[4, 1], cwm[6, 2], cwm[8, 3] = 1.0, -0.8, 0.5, 0.1  # column 8 is a weak flank
    probs = np.full((10, 4), 0.25)
    probs[3] = [2, 0, 0, 0]
    kept, kept_cwm = trim(probs, cwm)
    assert len(kept) == 4 and kept_cwm[0, 0] == 1.0 and kept_cwm[-1, 2] == 0.5
    np.testing.assert_allclose(kept.sum(axis=1), 1)
    np.testing.assert_allclose(kept[0], [1, 0, 0, 0])


def planted_attributions(n=400, length=120, motif="TGATAAGC", seed=0):
    """Random sequences each carrying ``motif``, its bases the only ones with attribution."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, (n, length)).astype(np.uint8)
    hypothetical = rng.normal(0, 0.02, (n, length, 4))
    bases = encode(motif)
    for i in range(n):
        at = rng.integers(10, length - 10 - len(motif))
        codes[i, at : at + len(motif)] = bases
        hypothetical[i, np.arange(at, at + len(motif)), bases] += 1.0
    return codes, hypothetical - hypothetical.mean(axis=2, keepdims=True)


def consensus(pattern):
    return decode(pattern.probs.argmax(axis=1).astype(np.uint8))


def test_discover_patterns_finds_the_planted_motif():
    codes, hypothetical = planted_attributions()
    patterns = discover_patterns(codes, hypothetical, leiden_runs=2)
    positive = [p for p in patterns if p.sign == 1]
    assert positive and all(p.name.startswith("pos_pattern_") for p in positive)
    assert any("TGATAAGC" in consensus(p) or "GCTTATCA" in consensus(p) for p in positive), \
        [consensus(p) for p in positive]
    assert all(len(p.probs) < 20 for p in positive)  # trimmed to the core, not TF-MoDISco's 50-base windows


@pytest.fixture
def ap1_dataset(tmp_path):
    """3,200 random 100-mers; half carry AP-1's TGACTCA (target 1) at a random place; 1,000 held out.

    Enough to train on that the model learns the site on any CPU's floating-point path (with 500
    training sequences an AVX2-only machine trained a model whose attributions gave TF-MoDISco no
    pattern at all)."""
    rng = np.random.default_rng(2)
    codes = rng.integers(0, 4, (3200, 100)).astype(np.uint8)
    labels = np.arange(3200) % 2
    for i in np.flatnonzero(labels):
        at = rng.integers(20, 100 - 27)
        codes[i, at : at + 7] = encode("TGACTCA")
    split = np.array([0] * 2000 + [1] * 200 + [2] * 1000)
    write_dataset(tmp_path / "ds", codes, labels[:, None], split, [f"s{i}" for i in range(3200)],
                  {"task": "classification", "targets": ["bound"]})
    return tmp_path / "ds"


def test_discover_motifs_matches_the_planted_ap1_site(tmp_path, ap1_dataset):
    training = Training.from_mapping({"epochs": 6, "batch_size": 32, "optimizer": "adam", "lr": 0.01,
                                      "weight_decay": 0.0, "patience": 10, "lr_patience": 3,
                                      "reverse_complement": True, "seed": 3, "resident_limit_gb": 16, "shift": 0,
                                      "selection": "auto"})
    model = {"conv": [{"filters": 8, "width": 9}], "global_pool": "max", "dense": [8]}
    train(ap1_dataset, "basset", model, training, tmp_path / "m.pt", tmp_path / "h.tsv", tmp_path / "r.pt")
    assert pd.read_csv(tmp_path / "h.tsv", sep="\t")["valid_score"].max() > 0.95  # the model learned the site
    out = [tmp_path / "p.meme", tmp_path / "p.tsv", tmp_path / "p.png"]
    patterns, matches = discover_motifs(tmp_path / "m.pt", ap1_dataset, INTERPRET, *out)
    assert all(path.exists() for path in out)
    assert out[0].read_text().count("MOTIF pos_pattern_") == sum(p.sign == 1 for p in patterns)
    table = pd.read_csv(out[1], sep="\t")
    assert {"pattern", "pattern_name", "sign", "n_seqlets", "jaspar_id", "q_value", "shuffle_p_value"} <= set(table)
    # Tomtom's q, not the shuffle control: a 7-base core shuffled keeps its composition, so its
    # shuffle p (resolution 1/101) sits near 0.05 and would turn on the last bit of the attributions
    significant = table[(table["rank"] <= 3) & (table["q_value"] < 0.05)]
    assert significant["name"].str.upper().str.startswith(AP1_FAMILY).any(), table.head(10)
    found = [consensus(p) for p in patterns if p.sign == 1]
    assert any(re.search("TGA[CG]TCA", seq) for seq in found), found


def test_discover_motifs_names_a_target_the_model_lacks(tmp_path, ap1_dataset):
    training = Training.from_mapping({"epochs": 1, "batch_size": 64, "optimizer": "adam", "lr": 0.01,
                                      "weight_decay": 0.0, "patience": 10, "lr_patience": 3,
                                      "reverse_complement": False, "seed": 3, "resident_limit_gb": 16, "shift": 0,
                                      "selection": "auto"})
    train(ap1_dataset, "basset", {"conv": [{"filters": 4, "width": 5}], "global_pool": "max", "dense": [4]},
          training, tmp_path / "m.pt", tmp_path / "h.tsv", tmp_path / "r.pt")
    with pytest.raises(ConfigError, match=r"^interpret.modisco_target: 'K562' is not a target of the model \(bound\)$"):
        discover_motifs(tmp_path / "m.pt", ap1_dataset, dataclasses.replace(INTERPRET, modisco_target="K562"),
                        tmp_path / "p.meme", tmp_path / "p.tsv", tmp_path / "p.png")
