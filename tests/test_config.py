import copy
from pathlib import Path

import pytest
import yaml

from cisflow.io.config import validate
from cisflow.io.errors import InputError
from cisflow.io.samplesheet import read_samples

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schemas" / "config.schema.yaml"
SAMPLES_SCHEMA = ROOT / "schemas" / "samples.schema.yaml"


@pytest.fixture
def demo_config():
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def test_demo_config_is_valid_and_defaults_are_filled(demo_config):
    config = validate(copy.deepcopy(demo_config), SCHEMA, "config.yaml")
    experiment = next(iter(config["experiments"].values()))
    assert experiment["training"]["optimizer"] in {"adam", "adamw", "sgd"}
    assert "jaspar_release" in experiment["interpret"]


def test_error_names_the_key(demo_config):
    name = next(iter(demo_config["experiments"]))
    demo_config["experiments"][name].setdefault("training", {})["epochs"] = "ten"
    with pytest.raises(InputError, match=rf"experiments\.{name}\.training\.epochs: 'ten' is not of type 'integer'"):
        validate(demo_config, SCHEMA, "config.yaml")


def test_selection_names_known_metrics(demo_config):
    name = next(iter(demo_config["experiments"]))
    demo_config["experiments"][name].setdefault("training", {})["selection"] = "pearson+rho"
    with pytest.raises(InputError, match=rf"experiments\.{name}\.training\.selection: .pearson\+rho. does not match"):
        validate(demo_config, SCHEMA, "config.yaml")


def test_variant_ism_is_bounded_by_default_and_checked(demo_config):
    config = validate(copy.deepcopy(demo_config), SCHEMA, "config.yaml")
    assert all(entry["ism"] == {"top": 10, "flank": 10} for entry in config["variants"].values())
    name = next(iter(demo_config["variants"]))
    demo_config["variants"][name]["ism"] = {"top": -1}
    with pytest.raises(InputError, match=rf"variants\.{name}\.ism\.top: -1 is less than the minimum of 0"):
        validate(demo_config, SCHEMA, "config.yaml")


def test_unknown_key_is_reported(demo_config):
    demo_config["genome"]["shasum"] = "x"
    with pytest.raises(InputError, match=r"(?s)config.yaml: .*genome: Additional properties .*'shasum'"):
        validate(demo_config, SCHEMA, "config.yaml")


def test_samples_sheet_missing_column(tmp_path):
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("sample\tpath\nK562\tk.bed\n")
    with pytest.raises(InputError, match=r"samples.tsv:1: missing column\(s\) url"):
        read_samples(sheet, SAMPLES_SCHEMA)


def test_samples_sheet_bad_checksum_names_line(tmp_path):
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("sample\turl\tsha256\nK562\tk.bed\t\nHeLa\th.bed\tnot-a-sum\n")
    with pytest.raises(InputError, match=r"samples.tsv:3: column sha256"):
        read_samples(sheet, SAMPLES_SCHEMA)


def test_samples_sheet_duplicate_sample(tmp_path):
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("sample\turl\nK562\ta.bed\nK562\tb.bed\n")
    with pytest.raises(InputError, match=r"samples.tsv:3: sample 'K562' appears twice"):
        read_samples(sheet, SAMPLES_SCHEMA)


def test_samples_sheet_peak_format(tmp_path):
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("sample\turl\tpeak_format\nK562\tk.bed\t\nHeLa\th.bed\tbed12\n")
    assert [row["peak_format"] for row in read_samples(sheet, SAMPLES_SCHEMA)] == [None, "bed12"]
    sheet.write_text("sample\turl\tpeak_format\nK562\tk.bed\tBED12\n")
    with pytest.raises(InputError, match=r"samples.tsv:2: column peak_format: 'BED12' is not one of \['bed', "):
        read_samples(sheet, SAMPLES_SCHEMA)


def test_every_study_config_names_registered_models_and_their_parameters():
    from cisflow.models.params import model_problems

    for path in sorted((ROOT / "config").glob("*.yaml")):
        for name, spec in yaml.safe_load(path.read_text()).get("experiments", {}).items():
            assert model_problems(f"experiments.{name}.model", spec["model"]) == [], path


def test_unknown_model_names_and_parameters_are_named_with_the_valid_choices():
    from cisflow.models.params import model_problems

    key = "experiments.peaks_basset.model"
    assert model_problems(key, {"name": "bassett"}) == [
        f"{key}.name: no model 'bassett'; registered models: basset, camformer, cnn, cuperus, deepbind, primer, "
        "xpresso"]
    assert model_problems(key, {"name": "basset", "params": {"convs": [], "dense": [32], "seq_len": 100}}) == [
        f"{key}.params.convs: model basset takes no parameter 'convs'; its parameters: batchnorm, conv, dense, "
        "dense_dropout, global_pool, padding",
        f"{key}.params.seq_len: model basset takes no parameter 'seq_len'; its parameters: batchnorm, conv, dense, "
        "dense_dropout, global_pool, padding"]
    assert model_problems(key, {"name": "camformer", "params": {"filters": 64}}) == []


def test_conv_layer_keys_are_checked():
    from cisflow.models.params import model_problems

    layers = [{"filters": 8, "width": 5, "pool": 2, "dropout": 0.1, "activation": "linear"},
              {"filters": 8, "size": 5}, "conv8"]
    takes = "a layer takes filters, width and optionally activation, dropout, pool"
    assert model_problems("m", {"name": "cnn", "params": {"conv": layers}}) == [
        f"m.params.conv.1.size: unknown layer key 'size'; {takes}",
        f"m.params.conv.1: missing key 'width'; {takes}",
        f"m.params.conv.2: 'conv8' is not a mapping; {takes}"]
