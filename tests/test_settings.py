"""TrainingSettings names the config schema's training keys, no more and no fewer."""

from pathlib import Path

import yaml

from cisflow.training.settings import TrainingSettings

SCHEMA = Path(__file__).resolve().parents[1] / "cisflow" / "schemas" / "config.schema.yaml"


def schema_training():
    schema = yaml.safe_load(SCHEMA.read_text())
    return schema["properties"]["experiments"]["additionalProperties"]["properties"]["training"]["properties"]


def test_training_settings_name_every_schema_key():
    assert set(TrainingSettings.__annotations__) == set(schema_training())


def test_the_keys_without_a_default_are_the_optional_ones():
    """The workflow fills in the schema's defaults, so a key with one is always there."""
    without_default = {key for key, spec in schema_training().items() if "default" not in spec}
    assert TrainingSettings.__optional_keys__ == without_default
    assert TrainingSettings.__required_keys__ == set(schema_training()) - without_default
