"""A model file is user input: load_model loads cisflow's own payload and refuses anything else with
an InputError that says what the file should be, before building (let alone allocating) a model."""

import os
import pickle
import time
import zipfile

import pytest
import torch

from cisflow.io.errors import InputError
from cisflow.models.checkpoint import load_model, save_model
from cisflow.models.registry import build_for_dataset

PARAMS = {"conv": [{"filters": 8, "width": 7, "pool": 2}], "dense": [8]}
ATTRS = {"task": "classification", "targets": ["K562", "HepG2"], "seq_len": 40, "source": "peaks"}
EXPECTED = "expected a model.pt written by cisflow's train rule (results/models/<experiment>/model.pt)"


def model_file(path):
    torch.manual_seed(0)
    save_model(path, build_for_dataset("basset", ATTRS, PARAMS), "basset", PARAMS, ATTRS)
    return path


def refusal(path):
    with pytest.raises(InputError) as caught:
        load_model(path)
    assert caught.value.path == str(path) and EXPECTED in caught.value.problem
    assert "weights_only" not in str(caught.value)
    return caught.value.problem


class RunsACommand:
    """What a malicious pickle holds: unpickling it calls os.system."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def test_a_model_file_loads_with_its_metadata(tmp_path):
    model, meta = load_model(model_file(tmp_path / "model.pt"))
    assert not model.training and meta["dataset"] == ATTRS and "state_dict" not in meta
    assert model(torch.zeros(1, 4, 40)).shape == (1, 2)


def test_an_empty_a_truncated_and_a_missing_file(tmp_path):
    (tmp_path / "empty.pt").write_bytes(b"")
    assert refusal(tmp_path / "empty.pt").startswith("the file is empty, not a model;")
    whole = model_file(tmp_path / "model.pt").read_bytes()
    for size in (len(whole) // 2, len(whole) - 10):
        (tmp_path / "cut.pt").write_bytes(whole[:size])
        assert refusal(tmp_path / "cut.pt").startswith(
            f"a truncated or damaged model file: its {size:,} bytes do not read as a whole PyTorch file;")
    assert refusal(tmp_path / "missing.pt").startswith("cannot read the model file (No such file or directory);")
    assert refusal(tmp_path).startswith("cannot read the model file (Is a directory);")


def test_a_compressed_archive_is_not_inflated(tmp_path):
    """torch.load reads deflated entries too, so a small file could expand to terabytes: refused unread."""
    with zipfile.ZipFile(model_file(tmp_path / "model.pt")) as source, \
            zipfile.ZipFile(tmp_path / "packed.pt", "w", zipfile.ZIP_DEFLATED) as packed:
        for name in source.namelist():
            packed.writestr(name, source.read(name))
    problem = refusal(tmp_path / "packed.pt")
    assert problem.startswith("not a cisflow model: a zip archive with compressed entries (")
    assert "/data.pkl), which torch.save never writes; it was NOT loaded, since it could inflate" in problem


def test_a_fasta_given_as_the_model(tmp_path):
    (tmp_path / "seqs.fa").write_text(">seq1\nACGTACGT\n")
    assert refusal(tmp_path / "seqs.fa").startswith(
        "not a model file: neither a PyTorch zip archive nor a pickle (it starts with '>seq1');")


@pytest.mark.parametrize("protocol", [None, 2, 4])
def test_a_malicious_pickle_is_not_loaded(tmp_path, protocol):
    """Written by torch.save (None) or as a bare pickle: either way the command never runs."""
    marker = tmp_path / "marker"
    payload = {"model_name": "basset", "dataset": RunsACommand(f"echo pwned > {marker}")}
    if protocol is None:
        torch.save(payload, tmp_path / "evil.pt")
    else:
        with open(tmp_path / "evil.pt", "wb") as out:
            pickle.dump(payload, out, protocol=protocol)
    problem = refusal(tmp_path / "evil.pt")
    held = "a pickle of more than tensors and plain values (Unsupported operand 149)" if protocol == 4 else \
        "a Python object (posix.system) beside tensors and plain values"
    assert problem.startswith(f"not a cisflow model (or one written by an incompatible version): it holds {held}, "
                              "and was NOT loaded, since unpickling it could run code;")
    assert not marker.exists()


def test_a_torch_file_that_is_not_a_cisflow_model(tmp_path):
    torch.save({"weights": torch.zeros(3), "epoch": 4}, tmp_path / "other.pt")
    assert refusal(tmp_path / "other.pt").startswith(
        "a PyTorch file but not a cisflow model: it has no model_name, model_params, dataset, state_dict "
        "(its keys: weights, epoch);")
    torch.save([torch.zeros(3)], tmp_path / "list.pt")
    assert refusal(tmp_path / "list.pt").startswith("a PyTorch file holding a list, not a cisflow model;")


def crafted(tmp_path, change):
    """A model file whose payload ``change`` (payload -> None) altered."""
    payload = torch.load(model_file(tmp_path / "model.pt"), weights_only=True)
    change(payload)
    torch.save(payload, tmp_path / "crafted.pt")
    return tmp_path / "crafted.pt"


def resized(payload, key, shape):
    payload["state_dict"][key] = torch.zeros(shape)


@pytest.mark.parametrize("change, message", [
    (lambda p: resized(p, "head.0.weight", (8, 135)),
     "state_dict's head.0.weight is (8, 135) float32, but a basset built from the file's model_params and dataset "
     "needs (8, 136) float32: the weights do not fit the architecture;"),
    (lambda p: p["state_dict"].__setitem__("head.0.weight", p["state_dict"]["head.0.weight"].double()),
     "state_dict's head.0.weight is (8, 136) float64, but a basset built from the file's model_params and dataset "
     "needs (8, 136) float32"),
    (lambda p: p["state_dict"].pop("head.1.bias"),
     "state_dict has no head.1.bias, which a basset built from the file's model_params and dataset has;"),
    (lambda p: p["state_dict"].__setitem__("head.9.weight", torch.zeros(2)),
     "state_dict has head.9.weight, which a basset built from the file's model_params and dataset has not;"),
    (lambda p: p["state_dict"].__setitem__("head.1.bias", [0.0, 0.0]),
     "state_dict's head.1.bias is a list, not a tensor of weights;"),
    (lambda p: p.update(model_name="resnet9000", version="9.9"),
     "model_name 'resnet9000' is not an architecture of this cisflow (basset, camformer, cnn, cuperus, deepbind, "
     "primer, xpresso) (the file was written by cisflow 9.9, this is 0.1.0);"),
    (lambda p: p["model_params"].update(kernel=5),
     "its model_params do not build a basset for its dataset (ConvNet.__init__() got an unexpected keyword "
     "argument 'kernel');"),
    (lambda p: p.update(dataset=[40]), "dataset is a list, not a dict of named values;"),
    (lambda p: p["dataset"].update(seq_len=0), "the dataset's seq_len is 0, not a length from 1 to 100,000,000;"),
    (lambda p: p["dataset"].update(seq_len="40"), "the dataset's seq_len is '40', not a length from 1 to"),
    (lambda p: p["dataset"].update(targets=[]), "the dataset's targets are []: a model needs one or more;"),
    (lambda p: p["dataset"].update(task="ranking"),
     "the dataset's task is 'ranking', not one of classification, regression;"),
])
def test_a_payload_that_does_not_fit_is_refused_naming_what(tmp_path, change, message):
    assert refusal(crafted(tmp_path, change)).startswith(message)


@pytest.mark.parametrize("change, message", [
    (lambda p: p["model_params"].update(dense=[10**6, 10**6]),
     "state_dict's head.0.weight is (8, 136) float32, but a basset built from the file's model_params and dataset "
     "needs (1000000, 136) float32"),
    (lambda p: p["dataset"].update(seq_len=10**12),
     "the dataset's seq_len is 1000000000000, not a length from 1 to 100,000,000;"),
    (lambda p: p["dataset"].update(seq_len=10**7),
     "state_dict's head.0.weight is (8, 136) float32, but a basset built from the file's model_params and dataset "
     "needs (8, 39999976) float32"),
])
def test_sizes_that_would_allocate_terabytes_are_refused_before_building(tmp_path, change, message):
    """A dense layer of 10**6 x 10**6 (4 TB) is found on the meta device: nothing is allocated."""
    path = crafted(tmp_path, change)
    start = time.perf_counter()
    assert refusal(path).startswith(message)
    assert time.perf_counter() - start < 5


def poisoned(payload, key="blocks.0.0.weight", nan=3, inf=1):
    """``payload``'s tensor ``key`` with ``nan`` NaN and ``inf`` infinite values, as a diverged training leaves."""
    flat = payload["state_dict"][key].view(-1)
    flat[:nan] = float("nan")
    flat[nan : nan + inf] = float("inf")


def overflowing(payload):
    """``payload``'s weights made finite but overflowing float32 on every sequence: 136 x 3e38 in the dense layer."""
    payload["state_dict"]["blocks.0.0.bias"].fill_(3e38)
    payload["state_dict"]["head.0.weight"].fill_(1.0)


def test_weights_that_are_not_finite_are_refused_naming_the_tensor(tmp_path):
    path = crafted(tmp_path, poisoned)
    with pytest.raises(InputError) as caught:
        load_model(path)
    assert str(caught.value) == (f"{path}: tensor blocks.0.0.weight holds 3 NaN / 1 inf values: the model is unusable "
                                 "(a diverged training?); train it again, with a lower training.lr if it diverges "
                                 "again")
    path = crafted(tmp_path, lambda p: (poisoned(p, "head.4.bias", 0, 2), poisoned(p, "head.1.running_var", 1, 0)))
    with pytest.raises(InputError, match=r"tensor head.1.running_var holds 1 NaN / 0 inf values \(1 more tensors "
                                         r"too\): the model is unusable"):
        load_model(path)


def test_an_ensemble_member_whose_weights_are_not_finite_is_named(tmp_path):
    from cisflow.models.ensemble import save_ensemble

    good = model_file(tmp_path / "good.pt")
    bad = crafted(tmp_path, poisoned)
    with pytest.raises(InputError, match=rf"^{bad}: tensor blocks.0.0.weight holds 3 NaN / 1 inf values"):
        save_ensemble(tmp_path / "ensemble.pt", [good, bad], ["seed1", "seed2"])
    assert not (tmp_path / "ensemble.pt").exists()
    save_ensemble(tmp_path / "ensemble.pt", [good, model_file(tmp_path / "other.pt")], ["seed1", "seed2"])
    payload = torch.load(tmp_path / "ensemble.pt", weights_only=True)
    poisoned(payload["ensemble"][1]["model"])  # damaged after it was written
    torch.save(payload, tmp_path / "ensemble.pt")
    with pytest.raises(InputError, match=rf"^{tmp_path / 'ensemble.pt'} \(member seed2\): tensor blocks.0.0.weight "
                                         r"holds 3 NaN / 1 inf values: the model is unusable"):
        load_model(tmp_path / "ensemble.pt")


def test_a_model_whose_weights_are_not_finite_is_not_saved(tmp_path):
    model = build_for_dataset("basset", ATTRS, PARAMS)
    with torch.no_grad():
        model.head[4].bias.fill_(float("nan"))
    with pytest.raises(RuntimeError, match=rf"^{tmp_path / 'model.pt'}: not written: tensor head.4.bias holds 2 NaN "
                                           r"/ 0 inf values: the training diverged \(try a lower training.lr\)"):
        save_model(tmp_path / "model.pt", model, "basset", PARAMS, ATTRS)
    assert list(tmp_path.iterdir()) == []


def test_a_loaded_model_names_its_file_where_its_outputs_are_not_finite(tmp_path):
    """Finite weights whose arithmetic overflows: predict refuses them, naming the file, the count and the first."""
    from cisflow.models.predict import predict

    path = crafted(tmp_path, overflowing)
    model, meta = load_model(path)
    codes = torch.randint(0, 4, (7, 40), dtype=torch.uint8)
    with pytest.raises(InputError) as caught:
        predict(model, codes, "classification", ids=[f"s{i}" for i in range(7)])
    assert caught.value.path == str(path)
    assert caught.value.problem.startswith("the model's outputs are NaN or infinite for 7 of 7 sequences "
                                           "(s0, s1, s2, s3, s4, ...): its arithmetic overflows")
