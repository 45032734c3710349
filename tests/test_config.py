import copy
import re
from pathlib import Path

import pytest
import yaml

from cisflow.config.samples import read_samples
from cisflow.config.schema import validate
from cisflow.io.errors import ConfigError, InputError
from cisflow.preflight import experiment_problems, load_config, name_problems, reference_problems

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "cisflow" / "schemas" / "config.schema.yaml"
SAMPLES_SCHEMA = ROOT / "cisflow" / "schemas" / "samples.schema.yaml"


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


def test_samples_sheet_column_names_lose_the_spaces_around_them(tmp_path):
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("sample\t url\tpeak_format \nK562\tk.bed\tbed12\n")
    assert read_samples(sheet, SAMPLES_SCHEMA) == [{"sample": "K562", "url": "k.bed", "peak_format": "bed12"}]


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


# Names that become file and folder names: one definition (config.schema.yaml's $defs/name) for all.
NAME_RULE = "(1 to 100 letters, digits, _ - . ; not starting with .)"
BAD_NAMES = ["..", ".", ".hidden", "../escape", "a/b", "", "x" * 101, "a name", "naïve"]
GOOD_NAMES = ["K562", "GI.S.INT.FET", "a-b_c.1", "-x", "x" * 100]


def _name_refs(schema, path=()):
    """(path, node) of every schema node that refers to $defs/name, in this file or in the config schema."""
    if isinstance(schema, dict):
        if schema.get("$ref") in ("#/$defs/name", "config.schema.yaml#/$defs/name"):
            yield ".".join(path), schema
        for key, value in schema.items():
            yield from _name_refs(value, (*path, key))
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            yield from _name_refs(value, (*path, str(i)))


def test_every_name_that_becomes_a_path_uses_the_one_definition():
    config_schema, samples_schema = (yaml.safe_load(path.read_text()) for path in (SCHEMA, SAMPLES_SCHEMA))
    refs = {f"config:{path}" for path, _ in _name_refs(config_schema)}
    refs |= {f"samples:{path}" for path, _ in _name_refs(samples_schema)}
    assert refs == {"config:properties.genome.properties.name", "config:properties.tables.propertyNames",
                    "config:properties.variants.propertyNames", "config:properties.datasets.propertyNames",
                    "config:properties.experiments.propertyNames", "samples:properties.sample"}
    # No second definition: the only patterns of letters are the definition's and the search space's
    # keys (dotted paths into an experiment, not names of files).
    names = config_schema["$defs"]["name"]
    space = config_schema["properties"]["experiments"]["additionalProperties"]["properties"]["search"]
    assert set(_patterns_of_letters(config_schema)) | set(_patterns_of_letters(samples_schema)) == {
        names["pattern"], space["properties"]["space"]["propertyNames"]["pattern"]}
    assert f"({names['description']})" == NAME_RULE


def _patterns_of_letters(schema):
    if isinstance(schema, dict):
        if "A-Za-z" in str(schema.get("pattern", "")):
            yield schema["pattern"]
        schema = list(schema.values())
    for value in schema if isinstance(schema, list) else []:
        yield from _patterns_of_letters(value)


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_name_that_is_no_file_name_is_refused_wherever_it_becomes_a_path(demo_config, name, tmp_path):
    for key in ("datasets", "experiments", "tables", "variants"):
        config = copy.deepcopy(demo_config)
        config[key][name] = config[key][next(iter(config[key]))] if config[key] else {"url": "t.tsv"}
        with pytest.raises(InputError) as refused:
            validate(config, SCHEMA, "config.yaml")
        assert f"\n  {key}.{name}: not a valid name {NAME_RULE}" in str(refused.value)
    demo_config["genome"]["name"] = name
    with pytest.raises(InputError, match=re.escape(f"genome.name: {name!r} is not a valid name {NAME_RULE}")):
        validate(demo_config, SCHEMA, "config.yaml")
    sheet = tmp_path / "samples.tsv"
    sheet.write_text(f"sample\turl\nK562\tk.bed\n{name}\th.bed\n")
    value = repr(name) if name else "nothing"  # an empty cell is read as None
    with pytest.raises(InputError, match=re.escape(f"samples.tsv:3: column sample: {value} is not a valid name")):
        read_samples(sheet, SAMPLES_SCHEMA)


def test_a_key_that_is_not_a_string_is_refused_as_a_name(demo_config):
    demo_config["variants"][3] = demo_config["variants"][next(iter(demo_config["variants"]))]
    with pytest.raises(InputError, match=re.escape(f"variants.3: not a valid name {NAME_RULE}")):
        validate(demo_config, SCHEMA, "config.yaml")


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_names_of_letters_digits_and_inner_dots_are_taken(demo_config, name, tmp_path):
    for key in ("datasets", "experiments", "variants"):
        demo_config[key][name] = copy.deepcopy(next(iter(demo_config[key].values())))
    demo_config["genome"]["name"] = name
    validate(demo_config, SCHEMA, "config.yaml")
    sheet = tmp_path / "samples.tsv"
    sheet.write_text(f"sample\turl\n{name}\th.bed\n")
    assert read_samples(sheet, SAMPLES_SCHEMA)[0]["sample"] == name


def test_names_that_would_share_files_are_named(demo_config):
    config = validate(demo_config, SCHEMA, "config.yaml")
    gwas = config["variants"]["demo_gwas"]
    config["variants"] |= {"demo_gwas.loci": gwas, "Demo_GWAS": gwas}
    config["tables"] |= {"activity.0": config["tables"]["activity"]}
    assert name_problems(config, ["K562", "GM12878", "k562", "K562.rep2"]) == [
        "tables.activity.0: begins with 'activity' and a dot: its files (activity.0.*) could clash with those of "
        "'activity', which the workflow names activity.<suffix>; rename one",
        "variants.Demo_GWAS: differs from 'demo_gwas' only in case: on a case-insensitive file system (macOS, "
        "Windows) the two share files",
        "variants.demo_gwas.loci: begins with 'demo_gwas' and a dot: its files (demo_gwas.loci.*) could clash with "
        "those of 'demo_gwas', which the workflow names demo_gwas.<suffix>; rename one",
        "samples: the sheet's sample 'k562' differs from 'K562' only in case: on a case-insensitive file system "
        "(macOS, Windows) the two share files"]


def test_references_to_missing_entries_and_keys_of_another_kind_are_named(demo_config):
    config = validate(demo_config, SCHEMA, "config.yaml")
    config["datasets"]["activity"]["table"] = "activty"
    config["experiments"]["peaks_basset"]["training"]["init_from"] = "peaks"
    config["experiments"]["activity_cnn"]["variants"] = ["demo_vcf", "demo_gwas"]
    config["variants"]["demo_gwas"]["trait"] = "height"
    assert reference_problems(config, []) == [
        "datasets.peaks: a peaks dataset needs a samples sheet (key 'samples')",
        "datasets.activity.table: no table 'activty' under 'tables'",
        "experiments.peaks_basset.training.init_from: no experiment 'peaks'",
        "experiments.activity_cnn.variants: no variant set 'demo_vcf' under 'variants'",
        "experiments.activity_cnn.variants: variant scoring needs a genomic (peaks) dataset",
        "variants.demo_gwas.trait: only for a sumstats input"]


def test_a_fasta_source_labelled_other_than_0_or_1_for_classification_is_named():
    path = ROOT / "config" / "janggu_oct4_mafk.yaml"
    config = validate(yaml.safe_load(path.read_text()), SCHEMA, path.name)
    config["datasets"]["oct4_mafk"]["sources"][0]["label"] = 0.5
    config["datasets"]["oct4_mafk"]["test_sources"][1]["label"] = [2]
    assert reference_problems(config, []) == [
        "datasets.oct4_mafk.sources.0.label: a classification label is 0 or 1, not 0.5",
        "datasets.oct4_mafk.test_sources.1.label: a classification label is 0 or 1, not [2]"]
    config["datasets"]["oct4_mafk"]["task"] = "regression"
    assert reference_problems(config, []) == []


def test_a_promoters_datasets_features_are_checked_against_its_annotation_and_tables():
    path = ROOT / "config" / "xpresso.yaml"
    config = yaml.safe_load(path.read_text())
    dataset = config["datasets"]["promoters"]
    dataset.pop("annotation")
    config["tables"]["primer"] = {"paste": [{"url": "a.txt"}, {"url": "b.txt"}]}
    dataset["features"]["tables"] = [
        {"table": "k562", "id_column": "transcript", "key": "gene_name", "columns": ["mean_half_life"]},
        {"table": "primer", "id_column": "0", "columns": ["utr5_gc"]}]
    config = validate(config, SCHEMA, path.name)
    assert reference_problems(config, []) == [
        "datasets.promoters.features.annotation: the dataset has no annotation (datasets.promoters.annotation: a GTF "
        "or GFF3) to derive them from",
        "datasets.promoters.features.tables.0.table: no table 'k562' under 'tables'",
        "datasets.promoters.features.tables.0.key: gene names are matched to the dataset's genes through its "
        "annotation, and datasets.promoters has none (annotation: a GTF or GFF3)",
        "datasets.promoters.features.tables.1.table: 'primer' is pasted; a features table is one file",
        "datasets.promoters.features: feature 'utr5_gc' comes from two sources; each feature is one column of the "
        "dataset, by name"]
    dataset = config["datasets"]["promoters"]
    dataset["features"] = {"missing": "impute"}
    with pytest.raises(InputError, match=r"datasets\.promoters\.features: .* is not valid under any of the given "
                                         r"schemas"):
        validate(config, SCHEMA, path.name)


@pytest.mark.parametrize("path", sorted((ROOT / "config").glob("*.yaml")), ids=lambda path: path.name)
def test_every_study_config_loads_with_every_check_passed(path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the configs' paths are relative to the repository
    config = yaml.safe_load(path.read_text())
    sections, samples = load_config(config, path.name)
    assert set(sections.experiments) == set(config["experiments"]) and sections.samples == config.get("samples")
    assert list(samples) == ([row["sample"] for row in read_samples(config["samples"], SAMPLES_SCHEMA)]
                             if "samples" in config else [])


def test_experiments_are_checked_against_their_models_replicates_init_and_search(demo_config, monkeypatch):
    """The checks the workflow runs before any job (cisflow.preflight.experiment_problems), one fault each."""
    monkeypatch.chdir(ROOT)
    config = validate(copy.deepcopy(demo_config), SCHEMA, "config.yaml")
    assert experiment_problems(config) == []
    peaks = config["experiments"]["peaks_basset"]
    peaks["model"]["params"]["no_such_size"] = 3
    peaks["replicates"] = {"folds": [{"valid": ["chr21"], "test": ["chr21"]}]}
    promoters = config["experiments"]["activity_cnn"]
    promoters["training"]["init_from"] = "peaks_basset"
    promoters["replicates"] = {"seeds": 2}
    peaks_members = {"seeds": 3}
    problems = experiment_problems(config)
    assert any(p.startswith("experiments.peaks_basset.model.params.no_such_size: ") for p in problems)
    assert any(p.startswith("experiments.peaks_basset.replicates.folds.0") for p in problems), problems
    peaks["replicates"], peaks["model"]["params"] = peaks_members, {}
    assert experiment_problems(config) == [
        "experiments.activity_cnn.training.init_from: 'peaks_basset' has 3 members and this experiment 2: each member "
        "starts from the member of the same place, or all from a single model"]
    promoters["training"].pop("init_from")
    peaks["search"] = validate_search({"trials": 2, "space": {"training.lr": {"type": "float", "low": -1, "high": 1}}})
    assert [p.split(":")[0] for p in experiment_problems(config)] == [
        "experiments.peaks_basset.search.space.training.lr.low"]


def validate_search(search):
    """A search section with its schema defaults."""
    from cisflow.config.schema import filled

    return filled("experiments.*.search", search, "search")


def test_a_config_with_faults_is_refused_naming_every_one(demo_config, monkeypatch):
    monkeypatch.chdir(ROOT)
    demo_config["experiments"]["peaks_basset"]["dataset"] = "nowhere"
    demo_config["experiments"]["peaks_basset"]["model"]["name"] = "bassett"
    with pytest.raises(ConfigError) as error:
        load_config(demo_config, "config.yaml")
    assert str(error.value).startswith("config.yaml: experiments.peaks_basset.dataset: no dataset 'nowhere'")
    assert "experiments.peaks_basset.model.name: " in str(error.value)


def set_key(config, key, value):
    """Set the dotted ``key`` of ``config`` to ``value``, making the mappings on the way."""
    *parents, last = key.split(".")
    node = config
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


@pytest.mark.parametrize("key, value, problem", [
    ("experiments.{experiment}.training.batch_size", 0, "0 is less than the minimum of 1 (allowed: at least 1)"),
    ("experiments.{experiment}.training.seed", -1, "-1 is less than the minimum of 0 (allowed: at least 0 and at most "
                                                   "2147483647)"),
    ("experiments.{experiment}.training.lr", float("nan"), "nan is not a finite number"),
    ("experiments.{experiment}.training.weight_decay", float("-inf"), "-inf is not a finite number"),
    ("experiments.{experiment}.training.epochs", 2.0, "2.0 is not of type 'integer'"),
    ("experiments.{experiment}.interpret.activation_threshold", 0, "0 is less than or equal to the minimum of 0 "
                                                                   "(allowed: above 0 and at most 1)"),
    ("experiments.{experiment}.search", {"trials": 0, "space": {"training.lr": {"type": "float", "low": 1e-4,
                                                                                "high": 1e-2}}},
     "0 is less than the minimum of 1"),
    ("variants.{variants}.max_ref_mismatch", 2, "2 is greater than the maximum of 1 (allowed: at least 0 and at "
                                                "most 1)"),
    ("variants.{variants}.background.per_variant", -1, "-1 is less than the minimum of 0 (allowed: at least 0)"),
    ("variants.{variants}.r2", 0, "0 is less than or equal to the minimum of 0 (allowed: above 0 and at most 1)"),
    ("variants.{variants}.p_threshold", 1.5, "1.5 is greater than the maximum of 1"),
    ("datasets.peaks.max_n_fraction", 1.5, "1.5 is greater than the maximum of 1 (allowed: at least 0 and at most 1)"),
    ("datasets.peaks.seed", -2, "-2 is less than the minimum of 0"),
])
def test_a_number_out_of_range_is_refused_naming_the_key_and_the_range(demo_config, key, value, problem):
    key = key.format(experiment=next(iter(demo_config["experiments"])), variants=next(iter(demo_config["variants"])))
    set_key(demo_config, key, value)
    where = key + (".trials" if key.endswith(".search") else "")
    with pytest.raises(InputError, match=re.escape(f"{where}: {problem}")):
        validate(demo_config, SCHEMA, "config.yaml")


@pytest.mark.parametrize("option, key, value", [
    ("--background", "variants.*.background.per_variant", "-1"), ("--r2", "variants.*.r2", "1.5"),
    ("--batch-size", "experiments.*.training.batch_size", "0"), ("--seed", "variants.*.background.seed", "-1"),
    ("--motif-p-value", "variants.*.motif_p_value", "nan")])
def test_a_command_line_option_is_refused_in_the_words_its_config_key_is(demo_config, option, key, value):
    """`cisflow`'s options take the schema of the key they set: the same range, the same message."""
    import argparse

    from cisflow.cli import _parser
    from cisflow.config.schema import number_option

    parse = number_option(key)
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        parse(value)
    name = next(iter(demo_config["variants" if key.startswith("variants") else "experiments"]))
    set_key(demo_config, key.replace("*", name), int(value) if parse.__name__ == "integer" else float(value))
    with pytest.raises(InputError) as config_refused:
        validate(demo_config, SCHEMA, "config.yaml")
    assert f"{key.replace('*', name)}: {refused.value}\n" in str(config_refused.value) + "\n"
    commands = next(action for action in _parser()._actions if action.choices).choices
    options = [action for command in commands.values() for action in command._actions
               if option in action.option_strings]
    assert options
    for action in options:
        with pytest.raises(argparse.ArgumentTypeError, match=re.escape(str(refused.value))):
            action.type(value)


def _numbers(schema, path=()):
    """(path, schema) of every number or integer the schema declares, at any depth."""
    if isinstance(schema, dict):
        kinds = schema.get("type") if isinstance(schema.get("type"), list) else [schema.get("type")]
        if {"number", "integer"} & {kind for kind in kinds if isinstance(kind, str)}:  # not a property named type
            yield path, schema
        for key, value in schema.items():
            yield from _numbers(value, (*path, key))
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from _numbers(value, (*path, str(index)))


# numbers whose every value can mean something: a FASTA source's target values (a regression's may be
# negative) and a search space's low, high and choices, which are values of another key (checked against
# that key's range: space_range_problems)
ANY_NUMBER = {"label", "low", "high", "choices"}


def test_every_number_in_the_schema_has_a_lower_bound():
    """So that the next number added cannot forget its range."""
    from cisflow.config.schema import load_schema

    numbers = list(_numbers(load_schema(SCHEMA)))
    assert len(numbers) > 50
    unbounded = ["/".join(path) for path, schema in numbers
                 if not {"minimum", "exclusiveMinimum"} & set(schema)
                 and not ANY_NUMBER & {path[i + 1] for i, part in enumerate(path[:-1]) if part == "properties"}]
    assert unbounded == []


def test_a_search_space_is_checked_against_the_range_of_the_key_it_sets():
    from cisflow.preflight import space_range_problems

    space = {"training.lr": {"type": "float", "low": -1.0, "high": 0.1},
             "training.batch_size": {"type": "int", "low": 0, "high": 64},
             "training.optimizer": {"type": "categorical", "choices": ["adam", "rmsprop"]},
             "training.dropout": {"type": "float", "low": 0.1, "high": 0.5},
             "model.params.dense_dropout": {"type": "float", "low": -5.0, "high": 0.5}}
    assert space_range_problems("experiments.x.search.space", space) == [
        "experiments.x.search.space.training.lr.low: -1.0 is less than or equal to the minimum of 0 (allowed: above 0)",
        "experiments.x.search.space.training.batch_size.low: 0 is less than the minimum of 1 (allowed: at least 1)",
        "experiments.x.search.space.training.optimizer.choices.1: 'rmsprop' is not one of ['adam', 'adamw', 'sgd']"]


def test_samples_sheet_lines_named_past_blank_lines_and_extra_fields_refused(tmp_path):
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("sample\turl\tsha256\nK562\tk.bed\t\n\nHeLa\th.bed\tnot-a-sum\n")
    with pytest.raises(InputError, match=r"samples.tsv:4: column sha256"):
        read_samples(sheet, SAMPLES_SCHEMA)
    sheet.write_text("sample\turl\nK562\tk.bed\nHeLa\th.bed\textra\n")
    with pytest.raises(InputError, match=r"samples.tsv:3: 3 fields, but the header has 2$"):
        read_samples(sheet, SAMPLES_SCHEMA)
    sheet.write_text("sample\turl\nK562\tk.bed\n\nK562\th.bed\n")
    with pytest.raises(InputError, match=r"samples.tsv:4: sample 'K562' appears twice"):
        read_samples(sheet, SAMPLES_SCHEMA)


def test_the_schemas_ship_with_the_package_for_the_cli():
    """The CLI's options take their ranges from the schema: a non-editable install must carry it."""
    import tomllib

    import cisflow
    from cisflow.config.schema import CONFIG_SCHEMA

    package = Path(cisflow.__file__).parent
    assert CONFIG_SCHEMA.is_relative_to(package) and (CONFIG_SCHEMA.parent / "samples.schema.yaml").exists()
    shipped = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["cisflow"]
    assert "schemas/*.yaml" in shipped


def test_tracks_need_a_peaks_dataset_and_regions_no_fold_trained_on(demo_config):
    demo_config["experiments"]["activity_cnn"]["tracks"] = {}
    demo_config["experiments"]["peaks_basset"]["replicates"] = {"folds": 3}
    config = validate(demo_config, SCHEMA, "config.yaml")
    problems = [problem for problem in reference_problems(config, ["K562"]) if ".tracks" in problem]
    assert problems == [
        "experiments.peaks_basset.tracks.regions: held_out is the dataset split's chromosomes, which the folds "
        "(replicates.folds) train on in turn: give a BED of loci ({url: ...})",
        "experiments.activity_cnn.tracks: genome browser tracks need a genomic (peaks) dataset, not a table one"]
    config["experiments"]["peaks_basset"]["tracks"]["regions"] = {"url": "loci.bed"}
    assert [problem for problem in reference_problems(config, ["K562"]) if "peaks_basset.tracks" in problem] == []
