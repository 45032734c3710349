"""Validate a workflow config or sample sheet against its JSON schema, with messages that name the key.

jsonschema's own message says what is wrong but buries where; a user editing a YAML file needs
``experiments.peaks.training.epochs: 'ten' is not of type 'integer'``. Defaults declared in the
schema are filled in, so rules and scripts never guess. A number is also refused where it is not
finite (.nan, .inf) and an integer where it is written as a float (3.0).

Each number's range is declared once, in the schema: the config is validated against it, and
the `cisflow` command's options that set the same settings take it from there (``number_option``),
so a value refused in one is refused in the other with the same words.

Every name that becomes a file or folder name (genome, samples, tables, datasets, experiments,
variant sets) is one definition, the schemas' ``$defs/name``; ``name_problems`` finds names that
would share files and ``reference_problems`` names that point at nothing, both before any job.
"""

import argparse
import copy
import functools
import math
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import referencing
import referencing.exceptions
import yaml

from cisflow.io.errors import InputError
from cisflow.io.truth import read_truth
from cisflow.types import PathLike

CONFIG_SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"
# a bound's validator -> how the allowed range says it
_BOUNDS = {"minimum": "at least {}", "exclusiveMinimum": "above {}", "maximum": "at most {}",
           "exclusiveMaximum": "below {}"}

# libyaml's parser where PyYAML has it: the config schema in 10 ms instead of 60, at every start
# of snakemake (a dry run included).
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_schema(path: PathLike) -> dict[str, Any]:
    with open(path) as handle:
        return yaml.load(handle, Loader=_SafeLoader)


def _key_path(error):
    """The dotted key of an error; a key refused as a name (propertyNames) ends the path."""
    parts = list(error.absolute_path) + ([error.instance] if _names_a_key(error) else [])
    return ".".join(str(part) for part in parts) or "(top level)"


def _names_a_key(error):
    return "propertyNames" in error.absolute_schema_path


def _schemas_beside(schema_path):
    """A registry of the schema files in ``schema_path``'s folder, by file name: a ``$ref`` into another
    schema (samples.schema.yaml takes its sample names from config.schema.yaml's ``$defs/name``)."""
    folder = Path(schema_path).parent

    def retrieve(uri):
        path = folder / uri
        if "/" in uri or not path.is_file():
            raise referencing.exceptions.NoSuchResource(ref=uri)
        return referencing.Resource.from_contents(load_schema(path))

    return referencing.Registry(retrieve=retrieve)


def allowed_range(schema: Mapping[str, Any]) -> str:
    """The bounds a number's schema sets, in words (``"above 0 and at most 1"``; empty if none).

    Parameters
    ----------
    schema : dict
        The schema of one number (its ``minimum``, ``exclusiveMinimum``, ``maximum``, ``exclusiveMaximum``).

    Returns
    -------
    str
    """
    return " and ".join(words.format(schema[bound]) for bound, words in _BOUNDS.items() if bound in schema)


def _problem(error):
    """A validation error's message; a value out of range also gets the range allowed."""
    if error.validator in _BOUNDS:
        return f"{error.message} (allowed: {allowed_range(error.schema)})"
    if isinstance(error.schema, dict) and error.schema.get("title") == "name":  # the schemas' $defs/name
        value = "nothing" if error.instance is None else repr(error.instance)  # None: an empty cell of a sheet
        refused = "not a valid name" if _names_a_key(error) else f"{value} is not a valid name"
        return f"{refused} ({error.schema['description']})"
    return error.message


def _finite_numbers(validator_class):
    """A validator class whose integers are ints (not 3.0) and whose numbers are finite (not .nan, .inf)."""
    integers = validator_class.TYPE_CHECKER.redefine(
        "integer", lambda checker, value: isinstance(value, int) and not isinstance(value, bool))
    validate_type = validator_class.VALIDATORS["type"]

    def type_and_finite(validator, types, instance, schema):
        errors = list(validate_type(validator, types, instance, schema))
        yield from errors
        if not errors and isinstance(instance, float) and not math.isfinite(instance):
            yield jsonschema.ValidationError(f"{instance} is not a finite number")

    return jsonschema.validators.extend(validator_class, {"type": type_and_finite}, type_checker=integers)


def _with_defaults(validator_class):
    """A validator class that also writes each property's schema default into the instance."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    instance[name] = subschema["default"]
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_Validator = _with_defaults(_finite_numbers(jsonschema.Draft202012Validator))


def validate(instance: dict[str, Any], schema_path: PathLike, source: PathLike) -> dict[str, Any]:
    """Validate ``instance`` (filling defaults); raise InputError naming ``source`` and every bad key."""
    schema = load_schema(schema_path)
    validator = _Validator(schema, registry=_schemas_beside(schema_path))
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{_key_path(e)}: {_problem(e)}" for e in errors]
        raise InputError(source, "invalid configuration:\n  " + "\n  ".join(lines))
    return instance


def validate_rows(rows: list[dict[str, Any]], schema_path: PathLike, source: PathLike) -> list[dict[str, Any]]:
    """Validate each row (dict) of a sample sheet; errors name the sheet's line (header is line 1)."""
    validator = _Validator(load_schema(schema_path), registry=_schemas_beside(schema_path))
    for index, row in enumerate(rows):
        errors = list(validator.iter_errors(row))
        if errors:
            problems = "; ".join(f"column {_key_path(e)}: {_problem(e)}" for e in errors)
            raise InputError(source, problems, line=index + 2)
    return rows


# Keys whose names get a suffix in their files (results/variants/<experiment>/<set>.loci.tsv.gz,
# resources/downloads/tables/<table>.0, logs/interpret/<experiment>.modisco.log): a name of one of
# them may not be another name of the same key and a dot.
SUFFIXED_NAMES = ("tables", "datasets", "experiments", "variants")


def name_problems(config: Mapping[str, Any], samples: Iterable[str]) -> list[str]:
    """Names that would share a file: one that is another of its key and a dot (a table ``peaks.0``
    beside a pasted table ``peaks``), and two that differ only in case (one file on macOS and Windows).

    Parameters
    ----------
    config : dict
        The workflow config, validated (each name matches the schemas' ``$defs/name``).
    samples : iterable of str
        The samples sheet's sample names.

    Returns
    -------
    list of str
        ``key.name: problem``, one a clash; empty if none.
    """
    problems = []
    for key in SUFFIXED_NAMES:
        names = list(config.get(key, {}))
        problems += [f"{key}.{name}: {_differs_in_case(twin)}" for name, twin in _case_twins(names)]
        problems += [f"{key}.{name}: begins with {other!r} and a dot: its files ({name}.*) could clash with those of "
                     f"{other!r}, which the workflow names {other}.<suffix>; rename one"
                     for name in names for other in names if name.startswith(f"{other}.")]
    return problems + [f"samples: the sheet's sample {name!r} {_differs_in_case(twin)}"
                       for name, twin in _case_twins(samples)]


def _case_twins(names: Iterable[str]) -> list[tuple[str, str]]:
    """(name, the first name equal to it but for case) for each such name."""
    first: dict[str, str] = {}
    return [(name, first[name.lower()]) for name in names if first.setdefault(name.lower(), name) != name]


def _differs_in_case(twin):
    return f"differs from {twin!r} only in case: on a case-insensitive file system (macOS, Windows) the two share files"


def reference_problems(config: Mapping[str, Any], samples: Iterable[str]) -> list[str]:
    """Names that must point at config entries (a dataset's table, an experiment's dataset, variant
    sets and init_from), keys that belong to another kind of entry, and a local truth table that cannot
    be read: caught before any job runs (a downloaded truth table is checked before scoring).

    Parameters
    ----------
    config : dict
        The workflow config, validated.
    samples : iterable of str
        The samples sheet's sample names (empty without a sheet).

    Returns
    -------
    list of str
        ``key: problem``, one a fault; empty if none.
    """
    has_samples = bool(list(samples))
    problems = []
    for name, spec in config["datasets"].items():
        problems += _dataset_problems(config, name, spec, has_samples)
    for name, spec in config["experiments"].items():
        problems += _experiment_problems(config, name, spec)
    for name, entry in config["variants"].items():
        problems += _variant_set_problems(name, entry)
    return problems


def _dataset_problems(config, name, spec, has_samples):
    problems = []
    if spec["kind"] in ("peaks", "promoters") and "genome" not in config:
        problems.append(f"datasets.{name}: a {spec['kind']} dataset needs a genome (key 'genome')")
    for role in ("expression", "features"):
        if role in spec and spec[role]["table"] not in config["tables"]:
            problems.append(f"datasets.{name}.{role}.table: no table {spec[role]['table']!r} under 'tables'")
    if spec["kind"] == "peaks" and not has_samples:
        problems.append(f"datasets.{name}: a peaks dataset needs a samples sheet (key 'samples')")
    if spec["kind"] == "table" and spec["table"] not in config["tables"]:
        problems.append(f"datasets.{name}.table: no table {spec['table']!r} under 'tables'")
    if spec["kind"] == "fasta":
        problems += _fasta_problems(config, name, spec)
    return problems


def _fasta_problems(config, name, spec):
    """A fasta dataset's sources must be single files under tables, with one value per target (0 or 1 for
    classification)."""
    problems = []
    for role in ("sources", "test_sources"):
        for i, source in enumerate(spec.get(role, [])):
            key = f"datasets.{name}.{role}.{i}"
            table = config["tables"].get(source["table"])
            if table is None:
                problems.append(f"{key}.table: no table {source['table']!r} under 'tables'")
            elif "paste" in table:
                problems.append(f"{key}.table: {source['table']!r} is pasted; a FASTA source is one file")
            label = source["label"]
            if isinstance(label, list) and len(label) != len(spec["targets"]):
                problems.append(f"{key}.label: {len(label)} values for {len(spec['targets'])} targets")
            if spec["task"] == "classification" and not {*(label if isinstance(label, list) else [label])} <= {0, 1}:
                problems.append(f"{key}.label: a classification label is 0 or 1, not {label}")
    return problems


def _experiment_problems(config, name, spec):
    problems = []
    dataset = config["datasets"].get(spec["dataset"])
    if dataset is None:
        problems.append(f"experiments.{name}.dataset: no dataset {spec['dataset']!r} under 'datasets'")
    init = spec["training"].get("init_from")
    if init is not None and init not in config["experiments"]:
        problems.append(f"experiments.{name}.training.init_from: no experiment {init!r}")
    for variant_set in spec["variants"]:
        if variant_set not in config["variants"]:
            problems.append(f"experiments.{name}.variants: no variant set {variant_set!r} under 'variants'")
        elif (dataset or {}).get("kind") != "peaks":
            problems.append(f"experiments.{name}.variants: variant scoring needs a genomic (peaks) dataset")
    return problems


def _variant_set_problems(name, entry):
    """Keys that belong to another kind of variant input, and a local truth table that cannot be read."""
    problems = []
    for key, kinds in (("traits", ("gwas_catalog", "credible_sets")), ("dbsnp", ("gwas_catalog",)),
                       ("trait", ("sumstats",)), ("p_threshold", ("sumstats",))):
        if key in entry and not any(kind in entry for kind in kinds):
            problems.append(f"variants.{name}.{key}: only for a {' or '.join(kinds)} input")
    for key in ("proxies", "ld_panel_index"):
        if key in entry and "ld_panel" not in entry:
            problems.append(f"variants.{name}.{key}: needs a reference panel (ld_panel)")
    truth = entry.get("truth", {}).get("url", "")
    if truth and "://" not in truth and Path(truth).is_file():
        try:
            read_truth(truth)
        except InputError as error:
            problems.append(f"variants.{name}.truth: {error}")
    return problems


@functools.cache
def config_schema() -> dict[str, Any]:
    """The workflow config's schema (cisflow/schemas/config.schema.yaml, shipped with the package), read once."""
    return load_schema(CONFIG_SCHEMA)


def key_schema(key: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """The schema of one config key.

    Parameters
    ----------
    key : str
        Dotted, ``*`` standing for any name: ``variants.*.background.per_variant``.
    schema : dict, optional
        The whole schema (default ``config_schema()``).

    Returns
    -------
    dict
        The key's schema, references followed.
    """
    root = schema or config_schema()
    node = root
    for part in key.split("."):
        node = node["additionalProperties"] if part == "*" else node["properties"][part]
        while "$ref" in node:  # the reference's schema, under the keys written beside it (a default)
            target = functools.reduce(dict.__getitem__, node["$ref"].removeprefix("#/").split("/"), root)
            node = {**target, **{name: value for name, value in node.items() if name != "$ref"}}
    return node


def key_defaults(key: str) -> dict[str, Any]:
    """The schema's defaults of the keys under the object key ``key`` (``variants.*.background``):
    ``{name: default}`` of those that have one, so that code outside the workflow (the CLI, a
    library call) falls back on the very values the workflow's config is filled with."""
    return {name: copy.deepcopy(entry["default"]) for name, entry in key_schema(key)["properties"].items()
            if "default" in entry}


def key_default(key: str) -> Any:
    """The schema's default of config key ``key`` (``variants.*.r2``); KeyError where it has none."""
    return copy.deepcopy(key_schema(key)["default"])


def number_option(key: str) -> Callable[[str], int | float]:
    """An argparse ``type`` for a command-line option that sets the config key ``key``: the value
    parsed as the key's type (integer or number) and validated against the key's schema, its range
    included, as the config's value is.

    Parameters
    ----------
    key : str
        The config key, as ``key_schema`` takes it (``experiments.*.training.batch_size``).

    Returns
    -------
    callable
        str -> int or float; raises ``argparse.ArgumentTypeError`` naming the value and the range
        allowed (argparse puts the option before it: ``argument --background: -1 is less than the
        minimum of 0 (allowed: at least 0)``).
    """
    schema = key_schema(key)
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    integer = "integer" in kinds
    validator = _Validator(schema)

    def parse(text: str) -> int | float:
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if integer else 'a number'}") from None
        error = jsonschema.exceptions.best_match(validator.iter_errors(value))
        if error is not None:
            raise argparse.ArgumentTypeError(_problem(error))
        return value

    parse.__name__ = "integer" if integer else "number"
    return parse


def space_range_problems(where: str, space: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """A search space's values checked as the config keys they set: each entry's low and high (or
    choices) against the schema of its training key, so a trial never runs with a value the config
    would refuse (model parameters are not in the schema; ``cisflow.models.params`` checks those).

    Parameters
    ----------
    where : str
        The space's config path (``experiments.x.search.space``), for the messages.
    space : Mapping of str to Mapping
        Dotted key (``training.lr``) -> its entry ({type, low, high, ...} or {type: categorical, choices}).

    Returns
    -------
    list of str
        One line a value out of its key's range, naming the entry's field: ``<where>.training.lr.low: ...``.
    """
    problems = []
    for key, spec in space.items():
        try:
            validator = _Validator(key_schema(f"experiments.*.{key}"))
        except KeyError:  # a model parameter, or a key the experiment lacks (cisflow.training.search says so)
            continue
        values = ({f"choices.{i}": choice for i, choice in enumerate(spec["choices"])}
                  if spec["type"] == "categorical" else {"low": spec["low"], "high": spec["high"]})
        for field, value in values.items():
            error = jsonschema.exceptions.best_match(validator.iter_errors(value))
            if error is not None:
                problems.append(f"{where}.{key}.{field}: {_problem(error)}")
    return problems
