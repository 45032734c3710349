"""The config's schema (cisflow/schemas/config.schema.yaml): validate a workflow config or sample sheet
against it, with messages that name the key, and read a key's schema, defaults and range.

jsonschema's own message says what is wrong but buries where; a user editing a YAML file needs
``experiments.peaks.training.epochs: 'ten' is not of type 'integer'``. Defaults declared in the
schema are filled in, so rules and scripts never guess. A number is also refused where it is not
finite (.nan, .inf) and an integer where it is written as a float (3.0).

Each number's range is declared once, in the schema: the config is validated against it, and
the `cisflow` command's options that set the same settings take it from there (``number_option``),
so a value refused in one is refused in the other with the same words.

Every name that becomes a file or folder name (genome, samples, tables, datasets, experiments,
variant sets) is one definition, the schemas' ``$defs/name`` (``cisflow.preflight`` finds
names that would share files).
"""

import argparse
import copy
import functools
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import referencing
import referencing.exceptions
import yaml

from cisflow.io.errors import ConfigError, InputError
from cisflow.types import PathLike

CONFIG_SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"
SAMPLES_SCHEMA = CONFIG_SCHEMA.parent / "samples.schema.yaml"
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
    """A validator class that also writes each property's schema default into the instance.

    Of the alternatives of a ``oneOf`` or ``anyOf``, only the one the instance matches fills its
    defaults in: each is tried on a copy first, so that a branch that does not apply (a random
    split's ``seed`` beside a chromosome split's lists) leaves nothing behind."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    instance[name] = subschema["default"]
        yield from validate_properties(validator, properties, instance, schema)

    def alternatives(keyword):
        validate_alternatives = validator_class.VALIDATORS[keyword]

        def first_match_fills(validator, branches, instance, schema):
            matching = [branch for branch in branches
                        if not any(validator.descend(copy.deepcopy(instance), branch))]
            if matching and (keyword == "anyOf" or len(matching) == 1):
                yield from validator.descend(instance, matching[0])
            else:  # the errors, found on a copy
                yield from validate_alternatives(validator, branches, copy.deepcopy(instance), schema)

        return first_match_fills

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults, "oneOf": alternatives("oneOf"),
                                                          "anyOf": alternatives("anyOf")})


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


@functools.cache
def config_schema() -> dict[str, Any]:
    """The workflow config's schema (cisflow/schemas/config.schema.yaml, shipped with the package), read once."""
    return load_schema(CONFIG_SCHEMA)


def key_schema(key: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """The schema of one config key.

    Parameters
    ----------
    key : str
        Dotted, ``*`` standing for any name: ``variants.*.background.per_variant``; ``$defs.<name>``
        begins at one of the schema's definitions (``$defs.peaks_dataset``).
    schema : dict, optional
        The whole schema (default ``config_schema()``).

    Returns
    -------
    dict
        The key's schema, references followed.
    """
    root = schema or config_schema()
    node = root
    if key.startswith("$defs."):  # a definition: "$defs.peaks_dataset.split"
        node, key = root["$defs"][key.split(".")[1]], ".".join(key.split(".")[2:])
    for part in filter(None, key.split(".")):
        node = node["additionalProperties"] if part == "*" else node["properties"][part]
        while "$ref" in node:  # the reference's schema, under the keys written beside it (a default)
            target = functools.reduce(dict.__getitem__, node["$ref"].removeprefix("#/").split("/"), root)
            node = {**target, **{name: value for name, value in node.items() if name != "$ref"}}
    return node


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

    def parse(text: str) -> int | float:
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if integer else 'a number'}") from None
        problem = value_problem(key, value)
        if problem is not None:
            raise argparse.ArgumentTypeError(problem)
        return value

    parse.__name__ = "integer" if integer else "number"
    return parse


def _key_validator(key):
    """A validator (filling defaults) of config key ``key``'s value; its references into the schema's
    definitions (``#/$defs/seed``) resolve as in the whole config."""
    return _Validator({"$defs": config_schema()["$defs"], **key_schema(key)})


def value_problem(key: str, value: Any) -> str | None:
    """What is wrong with ``value`` as the value of config key ``key`` (its type, its range, in the
    config's words), or None if nothing.

    Parameters
    ----------
    key : str
        The config key, as ``key_schema`` takes it.
    value : object
        A value for it.

    Returns
    -------
    str or None
    """
    error = jsonschema.exceptions.best_match(_key_validator(key).iter_errors(copy.deepcopy(value)))
    return None if error is None else _problem(error)


def filled(key: str, mapping: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A copy of the object ``mapping`` given for config key ``key``, validated and with the schema's
    defaults filled in: how code outside the workflow (the CLI, a library call) gets the values the
    workflow's config would hold.

    Parameters
    ----------
    key : str
        The object's config key, as ``key_schema`` takes it (``variants.*.background``).
    mapping : Mapping
        The keys given.
    where : str
        The object's place, for messages (``variants.demo_vcf.background``).

    Returns
    -------
    dict

    Raises
    ------
    ConfigError
        Naming each bad key under ``where``.
    """
    instance = copy.deepcopy(dict(mapping))
    errors = sorted(_key_validator(key).iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        raise ConfigError(where, "; ".join(f"{_key_path(e)}: {_problem(e)}" if e.absolute_path else _problem(e)
                                           for e in errors))
    return instance
