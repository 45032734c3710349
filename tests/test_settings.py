"""The config's sections (cisflow.config.settings) against the schema: every key a field, every default the
schema's, and the mapping the workflow hands its scripts the one the schema fills."""

import dataclasses
from pathlib import Path

import pytest
import yaml

from cisflow.config import settings
from cisflow.config.schema import CONFIG_SCHEMA, key_schema, validate
from cisflow.io.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = [cls for cls in vars(settings).values()
            if isinstance(cls, type) and issubclass(cls, settings.Section) and cls is not settings.Section]


def test_every_section_of_the_issue_has_a_class():
    assert {cls.__name__ for cls in SECTIONS} == {
        "Training", "Interpret", "Tracks", "Experiment", "Background", "Ism", "VariantSet", "PeaksDataset",
        "TableDataset", "PromotersDataset", "PromoterFeatures", "FastaDataset"}
    assert {cls.KEY.removeprefix("$defs.") for cls in settings.DATASET_KINDS.values()} == {
        f"{kind}_dataset" for kind in settings.DATASET_KINDS}


@pytest.mark.parametrize("cls", SECTIONS, ids=lambda cls: cls.__name__)
def test_a_section_has_one_field_a_key_and_no_default_of_its_own(cls):
    """Defaults are the schema's alone: a field defaults to None exactly where its key is optional with no default."""
    schema = key_schema(cls.KEY)
    fields = {field.name: field for field in dataclasses.fields(cls)}
    assert set(fields) == set(schema["properties"])
    for name, field in fields.items():
        optional = name not in schema.get("required", []) and "default" not in schema["properties"][name]
        assert field.default is (None if optional else dataclasses.MISSING), name
        assert field.default_factory is dataclasses.MISSING, name


@pytest.mark.parametrize("path", sorted((ROOT / "config").glob("*.yaml")), ids=lambda path: path.name)
def test_every_study_config_builds_and_maps_back_to_what_the_schema_filled(path):
    config = validate(yaml.safe_load(path.read_text()), CONFIG_SCHEMA, path.name)
    sections = settings.Config.from_validated(config)
    for key in ("experiments", "datasets", "variants"):
        for name, section in getattr(sections, key).items():
            assert section.to_mapping() == config[key][name], f"{key}.{name}"
            assert type(section).from_mapping(section.to_mapping()) == section
    for name, experiment in sections.experiments.items():
        assert experiment.training.batch_size == config["experiments"][name]["training"]["batch_size"]


def test_a_section_from_a_few_keys_takes_the_schemas_defaults():
    schema = key_schema("variants.*.background")["properties"]
    background = settings.Background.from_mapping({"per_variant": 0})
    assert background == settings.Background(per_variant=0, max=schema["max"]["default"],
                                             reference=schema["reference"]["default"], seed=schema["seed"]["default"])
    training = settings.Training.from_mapping({})
    assert training.loss is None and training.epochs == key_schema("experiments.*.training.epochs")["default"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        training.epochs = 3  # type: ignore[misc]


def test_a_bad_value_is_refused_naming_its_place():
    with pytest.raises(ConfigError, match=r"^variants\.x\.ism: top: -2 is less than the minimum of 0"):
        settings.Ism.from_mapping({"top": -2}, "variants.x.ism")
    with pytest.raises(ConfigError, match=r"^experiments\.e\.training: epochs: 'ten' is not of type 'integer'"):
        settings.Training.from_mapping({"epochs": "ten"}, "experiments.e.training")
    with pytest.raises(ConfigError, match=r"^datasets\.d\.kind: 'bam' is not one of"):
        settings.dataset_from_mapping({"kind": "bam"}, "datasets.d")
    with pytest.raises(ConfigError, match=r"^datasets\.d: 'split' is a required property"):
        settings.dataset_from_mapping({"kind": "peaks", "width": 100}, "datasets.d")


def test_a_variant_set_knows_its_kind_from_the_schema():
    entry = {"gwas_catalog": {"url": "x.tsv"}, "traits": ["height"]}
    variant_set = settings.VariantSet.from_mapping(entry, "variants.v")
    assert variant_set.kind == "gwas_catalog" and variant_set.source == {"url": "x.tsv"}
    assert variant_set.background.per_variant == key_schema("variants.*.background.per_variant")["default"]
    assert set(settings.VariantSet.kinds()) == {"vcf", "table", "gwas_catalog", "credible_sets", "sumstats"}


def test_only_the_alternative_that_applies_fills_its_defaults():
    """A chromosome split gets no seed from the random split's branch of the same oneOf: the filled config
    stays valid, and the script's section built from the rule's mapping equals the workflow's."""
    promoters = {"kind": "promoters", "tss": {"url": "tss.bed"}, "upstream": 10, "downstream": 10,
                 "expression": {"table": "t", "id_column": "gene", "target_columns": ["x"]},
                 "split": {"valid": ["chr21"], "test": ["chr22"]}}
    by_chromosome = settings.dataset_from_mapping(promoters, "datasets.p")
    assert by_chromosome.split == {"valid": ["chr21"], "test": ["chr22"]}
    assert settings.dataset_from_mapping(by_chromosome.to_mapping(), "datasets.p") == by_chromosome
    at_random = settings.dataset_from_mapping({**promoters, "split": {"valid": 0.1, "test": 0.1}}, "datasets.p")
    assert at_random.split == {"valid": 0.1, "test": 0.1, "seed": key_schema("$defs.split_random.seed")["default"]}
