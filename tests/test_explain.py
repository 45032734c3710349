import numpy as np
import pandas as pd

from cisflow.interpret.attribution import ism
from cisflow.interpret.interpret import run as explain
from cisflow.interpret.interpret import top_attributions
from cisflow.models.checkpoint import load_model
from cisflow.training.train import train

MODEL = {"conv": [{"filters": 8, "width": 9}], "global_pool": "max", "dense": [8]}
TRAINING = {"epochs": 8, "batch_size": 32, "optimizer": "adam", "lr": 0.01, "weight_decay": 0.0, "patience": 10,
            "lr_patience": 3, "reverse_complement": True, "seed": 3, "resident_limit_gb": 16,
            "shift": 0, "selection": "auto"}
SPEC = {"activation_threshold": 0.7, "jaspar_release": "JASPAR2024", "tax_group": "vertebrates",
        "saliency_examples": 2, "influence_examples": 100, "subsample": 5000, "seed": 0}


def test_explain_finds_the_planted_ap1_site(tmp_path, planted):
    train(planted, "basset", MODEL, TRAINING, tmp_path / "m.pt", tmp_path / "h.tsv", tmp_path / "r.pt")
    out = {name: tmp_path / name for name in ("f.meme", "m.tsv", "motifs.png", "saliency.png", "influence.tsv")}
    matches = explain(tmp_path / "m.pt", planted, SPEC, *out.values())
    assert all(path.exists() for path in out.values())
    table = pd.read_csv(out["m.tsv"], sep="\t")
    assert len(table) == len(matches) and set(table["filter"]) == set(range(8))
    names = set(matches.loc[matches["q_value"] < 0.05, "name"])
    assert any(name.startswith(("FOS", "JUN", "BATF", "ATF")) for name in names), names  # TGACTCA is AP-1
    influence = pd.read_csv(out["influence.tsv"], sep="\t", keep_default_na=False)
    assert sorted(influence["filter"]) == list(range(8)) and influence["influence"].is_monotonic_decreasing
    top = influence.iloc[0]
    assert top["change_bound"] < 0  # silencing the most influential filter lowers the binding prediction
    best = matches[(matches["filter"] == top["filter"]) & (matches["rank"] == 1)]
    assert best["name"].iloc[0].upper().startswith(("FOS", "JUN", "BATF", "ATF"))  # ... and it is the AP-1 filter


def test_top_attributions_takes_targets_in_turn_and_never_repeats(tmp_path, planted):
    train(planted, "basset", MODEL, {**TRAINING, "epochs": 2}, tmp_path / "m.pt", tmp_path / "h.tsv",
          tmp_path / "r.pt")
    model, meta = load_model(tmp_path / "m.pt")
    codes = np.random.default_rng(0).integers(0, 4, (5, 40)).astype(np.uint8)
    panels = top_attributions(model, meta, codes, 3, [f"s{i}" for i in range(5)])
    titles = [p["title"].split(":")[0] for p in panels]
    assert len(panels) == 3 and len(set(titles)) == 3
    assert all(p["contributions"].shape == (40,) for p in panels)
    assert all(p["ism"].shape == (40, 4) and p["ism_start"] == 0 for p in panels)  # 40 < the 60-base window
    index = int(panels[0]["title"].split(":")[0][1:])
    target = meta["dataset"]["targets"].index(panels[0]["title"].split(": ")[1].split(" prediction")[0])
    np.testing.assert_allclose(panels[0]["ism"], ism(model, codes[index : index + 1], target,
                                                     meta["dataset"]["task"])[0], atol=1e-6)
