"""An experiment's members as one model file: predictions on the logit scale, members that differ refused,
and the file taken by `cisflow predict` as a single model is."""

import numpy as np
import pytest
import torch

from cisflow.cli import main
from cisflow.io.errors import InputError
from cisflow.models.checkpoint import load_model, save_model
from cisflow.models.ensemble import Ensemble, file_digest, member_names, members_of, save_ensemble
from cisflow.models.predict import predict
from cisflow.models.registry import build_for_dataset

PARAMS = {"conv": [{"filters": 8, "width": 7, "pool": 2}], "dense": [8]}
ATTRS = {"task": "classification", "targets": ["K562", "HepG2"], "seq_len": 40, "source": "peaks"}


def member_file(path, seed, attrs=ATTRS, training=None, name="basset", params=PARAMS):
    """A model file of random weights (seeded), scaled up so that its logits are far apart from
    another seed's: an average on the wrong scale would show."""
    torch.manual_seed(seed)
    model = build_for_dataset(name, attrs, params)
    with torch.no_grad():
        model.output_layer.weight.mul_(30.0)
    save_model(path, model, name, params, attrs, training=training or {"reverse_complement": True},
               member={"name": f"seed{seed}", "seed": seed, "fold": None})
    return path


@pytest.fixture
def members(tmp_path):
    return [member_file(tmp_path / f"m{seed}.pt", seed) for seed in (1, 2, 3)]


def codes(n=64, length=40, seed=0):
    return np.random.default_rng(seed).integers(0, 5, (n, length)).astype(np.uint8)


def test_the_ensemble_averages_its_members_log_odds(tmp_path, members):
    save_ensemble(tmp_path / "ensemble.pt", members, ["seed1", "seed2", "seed3"])
    model, meta = load_model(tmp_path / "ensemble.pt")
    assert isinstance(model, Ensemble) and member_names(meta) == ["seed1", "seed2", "seed3"]
    assert [m["sha256"] for m in meta["members"]] == [file_digest(path) for path in members]
    assert meta["dataset"]["targets"] == ["K562", "HepG2"] and meta["training"]["reverse_complement"] is True
    singles = [load_model(path)[0] for path in members]
    x = torch.from_numpy(codes())
    logits = np.stack([predict(m, x, "regression") for m in singles])  # raw outputs: the logits
    expected = 1 / (1 + np.exp(-logits.mean(axis=0)))
    np.testing.assert_allclose(predict(model, x, "classification"), expected, rtol=1e-5, atol=1e-6)
    probability_mean = 1 / (1 + np.exp(-logits))
    assert np.abs(probability_mean.mean(axis=0) - expected).max() > 0.01  # the two scales do differ here
    assert len(members_of(model)) == 3 and members_of(singles[0]) == [singles[0]]


def test_regression_members_average_their_values(tmp_path):
    attrs = {**ATTRS, "task": "regression", "targets": ["activity"]}
    paths = [member_file(tmp_path / f"r{seed}.pt", seed, attrs) for seed in (1, 2)]
    save_ensemble(tmp_path / "ensemble.pt", paths, ["a", "b"])
    model, _ = load_model(tmp_path / "ensemble.pt")
    x = codes()
    expected = np.mean([predict(load_model(path)[0], x, "regression") for path in paths], axis=0)
    np.testing.assert_allclose(predict(model, x, "regression"), expected, rtol=1e-5, atol=1e-6)


def test_one_member_is_written_as_the_single_model_it_is(tmp_path, members):
    save_ensemble(tmp_path / "one.pt", members[:1], ["seed1"])
    model, meta = load_model(tmp_path / "one.pt")
    assert not isinstance(model, Ensemble) and member_names(meta) == ["seed1"]
    x = codes()
    np.testing.assert_array_equal(predict(model, x), predict(load_model(members[0])[0], x))


@pytest.mark.parametrize("change, message", [
    ({"attrs": {**ATTRS, "targets": ["K562", "GM12878"]}}, "member b: its targets are ['K562', 'GM12878'], member a's "
                                                           "['K562', 'HepG2']"),
    ({"attrs": {**ATTRS, "seq_len": 50}}, "member b: its seq_len is 50, member a's 40"),
    ({"attrs": {**ATTRS, "task": "regression"}}, "member b: its task is 'regression', member a's 'classification'"),
    ({"training": {"reverse_complement": False}}, "member b: trained without reverse complements, member a with"),
])
def test_members_that_differ_are_refused_naming_the_member_and_the_difference(tmp_path, members, change, message):
    other = member_file(tmp_path / "other.pt", 5, change.get("attrs", ATTRS), change.get("training"))
    with pytest.raises(InputError) as caught:
        save_ensemble(tmp_path / "ensemble.pt", [members[0], other], ["a", "b"])
    assert message in str(caught.value) and caught.value.path == str(other)
    assert not (tmp_path / "ensemble.pt").exists()


def test_members_of_other_architectures_with_the_same_outputs_may_join(tmp_path, members):
    other = member_file(tmp_path / "deepbind.pt", 4, name="deepbind", params={})
    save_ensemble(tmp_path / "ensemble.pt", [members[0], other], ["basset", "deepbind"])
    model, meta = load_model(tmp_path / "ensemble.pt")
    assert meta["model_name"] == "ensemble of basset, deepbind" and predict(model, codes()).shape == (64, 2)


def test_a_damaged_member_in_an_ensemble_file_is_refused_naming_it(tmp_path, members):
    save_ensemble(tmp_path / "ensemble.pt", members, ["seed1", "seed2", "seed3"])
    payload = torch.load(tmp_path / "ensemble.pt", weights_only=True)
    weights = payload["ensemble"][1]["model"]["state_dict"]
    key = next(key for key, tensor in weights.items() if tensor.ndim == 3)  # the first convolution's
    weights[key] = weights[key][:1]
    torch.save(payload, tmp_path / "damaged.pt")
    with pytest.raises(InputError, match=r"\(member seed2\).*the weights do not fit the architecture"):
        load_model(tmp_path / "damaged.pt")
    payload["ensemble"] = "not a list"
    torch.save(payload, tmp_path / "damaged.pt")
    with pytest.raises(InputError, match="member list is damaged"):
        load_model(tmp_path / "damaged.pt")


def test_the_ensemble_command_and_predict_take_it_as_one_model(tmp_path, members):
    assert main(["ensemble", "--out", str(tmp_path / "ensemble.pt"), *map(str, members)]) == 0
    _, meta = load_model(tmp_path / "ensemble.pt")
    assert member_names(meta) == ["m1", "m2", "m3"]  # named after their files where their folders are alike
    fasta = tmp_path / "seqs.fa"
    fasta.write_text(">a\n" + "ACGT" * 10 + "\n>b\n" + "TTGA" * 9 + "\n")
    assert main(["predict", "--model", str(tmp_path / "ensemble.pt"), "--fasta", str(fasta), "--out",
                 str(tmp_path / "pred.tsv")]) == 0
    assert (tmp_path / "pred.tsv").read_text().splitlines()[0] == "id\tK562\tHepG2"
    other = member_file(tmp_path / "other.pt", 5, {**ATTRS, "seq_len": 50})
    assert main(["ensemble", "--out", str(tmp_path / "bad.pt"), str(members[0]), str(other)]) == 1
    assert not (tmp_path / "bad.pt").exists()
