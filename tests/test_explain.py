import numpy as np
import pandas as pd

from cisflow.interpret.attribution import ism
from cisflow.interpret.interpret import run as explain
from cisflow.interpret.interpret import top_attributions
from cisflow.interpret.matches import best_matches
from cisflow.models.checkpoint import load_model
from cisflow.training.train import train

MODEL = {"conv": [{"filters": 8, "width": 9}], "global_pool": "max", "dense": [8]}
TRAINING = {"epochs": 8, "batch_size": 32, "optimizer": "adam", "lr": 0.01, "weight_decay": 0.0, "patience": 10,
            "lr_patience": 3, "reverse_complement": True, "seed": 3, "resident_limit_gb": 16,
            "shift": 0, "selection": "auto"}
SPEC = {"activation_threshold": 0.7, "jaspar_release": "JASPAR2024", "tax_group": "vertebrates",
        "saliency_examples": 2, "influence_examples": 100, "subsample": 5000, "seed": 0}


OUTPUTS = ("f.meme", "m.tsv", "motifs.png", "saliency.png", "influence.tsv", "reproducibility.tsv")


def test_explain_finds_the_planted_ap1_site(tmp_path, planted):
    train(planted, "basset", MODEL, TRAINING, tmp_path / "m.pt", tmp_path / "h.tsv", tmp_path / "r.pt")
    out = {name: tmp_path / name for name in OUTPUTS}
    matches = explain(tmp_path / "m.pt", planted, SPEC, *out.values())
    assert all(path.exists() for path in out.values())
    table = pd.read_csv(out["m.tsv"], sep="\t")
    assert len(table) == len(matches) and set(table["filter"]) == set(range(8)) and set(table["member"]) == {"model"}
    names = set(matches.loc[matches["q_value"] < 0.05, "name"])
    assert any(name.startswith(("FOS", "JUN", "BATF", "ATF")) for name in names), names  # TGACTCA is AP-1
    influence = pd.read_csv(out["influence.tsv"], sep="\t", keep_default_na=False)
    assert sorted(influence["filter"]) == list(range(8)) and influence["influence"].is_monotonic_decreasing
    top = influence.iloc[0]
    assert top["change_bound"] < 0  # silencing the most influential filter lowers the binding prediction
    best = matches[(matches["filter"] == top["filter"]) & (matches["rank"] == 1)]
    assert best["name"].iloc[0].upper().startswith(("FOS", "JUN", "BATF", "ATF"))  # ... and it is the AP-1 filter


def test_an_ensembles_filters_are_matched_member_by_member_and_counted_as_reproducibility(tmp_path, planted):
    """Filter 3 of one member is not filter 3 of another: every member's filters get their own rows,
    and each motif is counted by the members that learned it; ISM is the members' mean."""
    from cisflow.models.ensemble import save_ensemble

    for seed in (3, 4):
        train(planted, "basset", MODEL, {**TRAINING, "seed": seed}, tmp_path / f"seed{seed}" / "model.pt",
              tmp_path / f"seed{seed}" / "h.tsv", tmp_path / f"seed{seed}" / "r.pt",
              member={"name": f"seed{seed}", "seed": seed, "fold": None})
    save_ensemble(tmp_path / "m.pt", [tmp_path / "seed3" / "model.pt", tmp_path / "seed4" / "model.pt"],
                  ["seed3", "seed4"])
    out = {name: tmp_path / name for name in OUTPUTS}
    matches = explain(tmp_path / "m.pt", planted, SPEC, *out.values())
    table = pd.read_csv(out["m.tsv"], sep="\t")
    assert len(table) == len(matches) and table.groupby("member")["filter"].nunique().to_dict() == {"seed3": 8,
                                                                                                     "seed4": 8}
    meme = out["f.meme"].read_text()
    assert "MOTIF seed3.filter0" in meme or "MOTIF seed4.filter0" in meme
    found = pd.read_csv(out["reproducibility.tsv"], sep="\t")
    best = best_matches(table)
    for row in found.itertuples():
        members = set(best.loc[best["name"] == row.name, "member"])
        assert row.members == len(members) and row.of == 2 and set(row.found_in.split(",")) == members
    assert list(found["members"]) == sorted(found["members"], reverse=True)
    influence = pd.read_csv(out["influence.tsv"], sep="\t", keep_default_na=False)
    assert len(influence) == 16 and influence["influence"].is_monotonic_decreasing
    ensemble, meta = load_model(tmp_path / "m.pt")
    seqs = np.random.default_rng(0).integers(0, 4, (2, 40)).astype(np.uint8)
    each = [ism(load_model(tmp_path / f"seed{s}" / "model.pt")[0], seqs, 0, "classification") for s in (3, 4)]
    np.testing.assert_allclose(ism(ensemble, seqs, 0, "classification"), np.mean(each, axis=0), atol=1e-6)


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
