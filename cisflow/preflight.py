"""The workflow's checks before any job: a config validated against the schema with its defaults
filled in (``cisflow.config``), its samples sheet read, and every cross-reference checked: names that
would share files, names that point at nothing, keys that belong to another kind of entry, models and
their parameters, replicates, search spaces and tracks against their experiments. Each check returns
``key: problem`` lines; ``load_config`` (what rules/common.smk calls) raises them as one
``ConfigError``. It stands above the stages whose rules it checks (models, training, variants), so the
config package below them imports none of them."""

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cisflow.config.samples import read_samples
from cisflow.config.schema import CONFIG_SCHEMA, SAMPLES_SCHEMA, key_schema, validate, value_problem
from cisflow.config.settings import Config, Training
from cisflow.io.errors import ConfigError, InputError
from cisflow.io.truth import read_truth
from cisflow.models.params import model_problems
from cisflow.training.replicates import members as experiment_members
from cisflow.training.replicates import replicate_problems
from cisflow.training.search_space import space_problems
from cisflow.types import PathLike
from cisflow.variants.inputs import INPUT_KINDS

# Keys whose names get a suffix in their files (results/variants/<experiment>/<set>.loci.tsv.gz,
# resources/downloads/tables/<table>.0, logs/interpret/<experiment>.modisco.log): a name of one of
# them may not be another name of the same key and a dot.
SUFFIXED_NAMES = ("tables", "datasets", "experiments", "variants")
# a variant set's setting for some kinds of input alone -> those kinds (the kinds' options, cisflow.variants.inputs)
KIND_OPTIONS = {option: tuple(kind.key for kind in INPUT_KINDS if option in kind.options)
                for option in dict.fromkeys(option for kind in INPUT_KINDS for option in kind.options)}


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
    if "expression" in spec and spec["expression"]["table"] not in config["tables"]:
        problems.append(f"datasets.{name}.expression.table: no table {spec['expression']['table']!r} under 'tables'")
    if "features" in spec:
        problems += _features_problems(config, name, spec)
    if spec["kind"] == "peaks" and not has_samples:
        problems.append(f"datasets.{name}: a peaks dataset needs a samples sheet (key 'samples')")
    if spec["kind"] == "table" and spec["table"] not in config["tables"]:
        problems.append(f"datasets.{name}.table: no table {spec['table']!r} under 'tables'")
    if spec["kind"] == "fasta":
        problems += _fasta_problems(config, name, spec)
    return problems


def _features_problems(config, name, spec):
    """A promoters dataset's features: tables that are single files under tables, an annotation where a feature
    comes from it (its columns, a table keyed by gene name), no feature named twice."""
    features, problems = spec["features"], []
    key = f"datasets.{name}.features"
    if features.get("annotation") and "annotation" not in spec:
        problems.append(f"{key}.annotation: the dataset has no annotation (datasets.{name}.annotation: a GTF or GFF3) "
                        "to derive them from")
    names = list(features.get("annotation", []))
    for i, entry in enumerate(features.get("tables", [])):
        table = config["tables"].get(entry["table"])
        if table is None:
            problems.append(f"{key}.tables.{i}.table: no table {entry['table']!r} under 'tables'")
        elif "paste" in table:
            problems.append(f"{key}.tables.{i}.table: {entry['table']!r} is pasted; a features table is one file")
        if entry["key"] == "gene_name" and "annotation" not in spec:
            problems.append(f"{key}.tables.{i}.key: gene names are matched to the dataset's genes through its "
                            f"annotation, and datasets.{name} has none (annotation: a GTF or GFF3)")
        names += entry["columns"]
    repeated = [column for column in dict.fromkeys(names) if names.count(column) > 1]
    if repeated:
        problems.append(f"{key}: feature {repeated[0]!r} comes from two sources; each feature is one column of the "
                        "dataset, by name")
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
    return problems + _tracks_problems(name, spec, dataset)


def _tracks_problems(name, spec, dataset):
    """Genome browser tracks need a peaks dataset, and regions that the model has not trained on by default."""
    if "tracks" not in spec or dataset is None:
        return []
    if dataset["kind"] != "peaks":
        return [f"experiments.{name}.tracks: genome browser tracks need a genomic (peaks) dataset, not a "
                f"{dataset['kind']} one"]
    if spec["tracks"]["regions"] == "held_out" and "folds" in (spec.get("replicates") or {}):
        return [f"experiments.{name}.tracks.regions: held_out is the dataset split's chromosomes, which the folds "
                "(replicates.folds) train on in turn: give a BED of loci ({url: ...})"]
    return []


def _variant_set_problems(name, entry):
    """Keys that belong to another kind of variant input, and a local truth table that cannot be read."""
    problems = []
    for key, kinds in KIND_OPTIONS.items():
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
            key_schema(f"experiments.*.{key}")
        except KeyError:  # a model parameter, or a key the experiment lacks (cisflow.training.search says so)
            continue
        values = ({f"choices.{i}": choice for i, choice in enumerate(spec["choices"])}
                  if spec["type"] == "categorical" else {"low": spec["low"], "high": spec["high"]})
        for field, value in values.items():
            problem = value_problem(f"experiments.*.{key}", value)
            if problem is not None:
                problems.append(f"{where}.{key}.{field}: {problem}")
    return problems


def experiment_problems(config: Mapping[str, Any]) -> list[str]:
    """Each experiment's model and its parameters (the registry's), its replicates against its dataset,
    an init_from's members against its own, and its search space against its model, training keys
    and their ranges.

    Parameters
    ----------
    config : dict
        The workflow config, validated.

    Returns
    -------
    list of str
        ``key: problem``, one a fault; empty if none.
    """
    experiments, problems = config["experiments"], []
    members = {name: experiment_members(spec.get("replicates"), spec["training"]["seed"])
               for name, spec in experiments.items()}
    for name, spec in experiments.items():
        where = f"experiments.{name}"
        problems += model_problems(f"{where}.model", spec["model"])
        init = spec["training"].get("init_from")
        if init in experiments and len(members[init]) not in (1, len(members[name])):
            problems.append(f"{where}.training.init_from: {init!r} has {len(members[init])} members and this "
                            f"experiment {len(members[name])}: each member starts from the member of the same "
                            "place, or all from a single model")
        if spec["dataset"] in config["datasets"]:
            problems += replicate_problems(f"{where}.replicates", spec.get("replicates"),
                                           config["datasets"][spec["dataset"]])
        if "search" in spec:
            space = spec["search"]["space"]
            problems += space_problems(f"{where}.search.space", spec["model"]["params"],
                                       Training.from_validated(spec["training"]), space)
            problems += space_range_problems(f"{where}.search.space", space)
    return problems


def config_problems(config: Mapping[str, Any], samples: Iterable[str]) -> list[str]:
    """Every check of this module: names, references, experiments.

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
    samples = list(samples)
    return name_problems(config, samples) + reference_problems(config, samples) + experiment_problems(config)


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
        Every cross-reference fault (``cisflow.preflight``), one a line.
    """
    validate(config, CONFIG_SCHEMA, source)
    rows = read_samples(config["samples"], SAMPLES_SCHEMA) if "samples" in config else []
    samples = {row["sample"]: row for row in rows}
    problems = config_problems(config, samples)
    if problems:
        raise ConfigError(str(source), "\n  ".join(problems))
    return Config.from_validated(config), samples
