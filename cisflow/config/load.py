"""A workflow config loaded as the workflow reads it: validated against the schema with its defaults
filled in, its samples sheet read, every cross-reference checked, and built into sections
(``cisflow.config.settings.Config``); each fault found before any job, named by its key."""

from typing import Any

from cisflow.config.checks import config_problems
from cisflow.config.samples import read_samples
from cisflow.config.schema import CONFIG_SCHEMA, SAMPLES_SCHEMA, validate
from cisflow.config.settings import Config
from cisflow.io.errors import ConfigError
from cisflow.types import PathLike


def load_config(config: dict[str, Any], source: PathLike = "config") -> tuple[Config, dict[str, dict[str, Any]]]:
    """Validate ``config`` in place (its schema defaults filled in, as Snakemake's ``config`` is used
    as well), read its samples sheet and check it whole.

    Parameters
    ----------
    config : dict
        The config as read from YAML.
    source : str or Path
        Where it came from, for messages.

    Returns
    -------
    Config
        Its sections.
    dict of str to dict
        The samples sheet's rows by sample name (empty without a sheet).

    Raises
    ------
    InputError
        The config or the sheet does not match its schema (every bad key named).
    ConfigError
        Every cross-reference fault (``cisflow.config.checks``), one a line.
    """
    validate(config, CONFIG_SCHEMA, source)
    rows = read_samples(config["samples"], SAMPLES_SCHEMA) if "samples" in config else []
    samples = {row["sample"]: row for row in rows}
    problems = config_problems(config, samples)
    if problems:
        raise ConfigError(str(source), "\n  ".join(problems))
    return Config.from_validated(config), samples
