"""The variants stage's input kinds (cisflow.variants.inputs): the config schema's, each with the settings
that apply to it alone, as the config's checks and the command line take them."""

import copy

from cisflow.config.schema import CONFIG_SCHEMA, load_schema, validate
from cisflow.config.settings import VariantSet
from cisflow.preflight import reference_problems
from cisflow.variants.inputs import INPUT_KINDS
from tests.workflow_helpers import demo_config

OPTIONS = {"traits": ["LDL"], "trait": "LDL", "p_threshold": 1e-5, "dbsnp": {"url": "dbsnp.vcf.gz"}}


def test_the_kinds_are_the_schemas_each_with_its_option():
    schema = load_schema(CONFIG_SCHEMA)["properties"]["variants"]["additionalProperties"]
    assert [one["required"] for one in schema["oneOf"]] == [[kind.key] for kind in INPUT_KINDS]
    assert [kind.key for kind in INPUT_KINDS] == VariantSet.kinds()
    assert [kind.flag for kind in INPUT_KINDS] == ["--vcf", "--table", "--gwas-catalog", "--sumstats",
                                                  "--credible-sets"]
    assert all(kind.help for kind in INPUT_KINDS)


def test_the_config_takes_each_kind_and_its_options_only_for_it():
    schema = load_schema(CONFIG_SCHEMA)["properties"]["variants"]["additionalProperties"]
    config = validate(demo_config(), CONFIG_SCHEMA, "config.yaml")
    for kind in INPUT_KINDS:
        for option, value in OPTIONS.items():
            config = {**config, "variants": {"set": {kind.key: {"url": "in"}, option: copy.deepcopy(value)}}}
            problems = [problem for problem in reference_problems(config, []) if problem.startswith("variants.")]
            takers = " or ".join(other.key for other in INPUT_KINDS if option in other.options)
            expected = [] if option in kind.options else [f"variants.set.{option}: only for a {takers} input"]
            assert problems == expected, (kind.key, option)
    assert {option for kind in INPUT_KINDS for option in kind.options} == set(OPTIONS)
    assert all(set(kind.options) <= set(schema["properties"]) for kind in INPUT_KINDS)
