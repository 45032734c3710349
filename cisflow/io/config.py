"""Validate a workflow config or sample sheet against its JSON schema, with messages that name the key.

jsonschema's own message says what is wrong but buries where; a user editing a YAML file needs
``experiments.peaks.training.epochs: 'ten' is not of type 'integer'``. Defaults declared in the
schema are filled in, so rules and scripts never guess.
"""

import jsonschema
import yaml

from cisflow.io.errors import InputError

# libyaml's parser where PyYAML has it: the config schema in 10 ms instead of 60, at every start
# of snakemake (a dry run included).
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_schema(path):
    with open(path) as handle:
        return yaml.load(handle, Loader=_SafeLoader)


def _key_path(error):
    return ".".join(str(part) for part in error.absolute_path) or "(top level)"


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


_Validator = _with_defaults(jsonschema.Draft202012Validator)


def validate(instance, schema_path, source):
    """Validate ``instance`` (filling defaults); raise InputError naming ``source`` and every bad key."""
    schema = load_schema(schema_path)
    errors = sorted(_Validator(schema).iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{_key_path(e)}: {e.message}" for e in errors]
        raise InputError(source, "invalid configuration:\n  " + "\n  ".join(lines))
    return instance


def validate_rows(rows, schema_path, source):
    """Validate each row (dict) of a sample sheet; errors name the sheet's line (header is line 1)."""
    validator = _Validator(load_schema(schema_path))
    for index, row in enumerate(rows):
        errors = list(validator.iter_errors(row))
        if errors:
            problems = "; ".join(f"column {_key_path(e)}: {e.message}" for e in errors)
            raise InputError(source, problems, line=index + 2)
    return rows
