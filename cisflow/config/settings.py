"""The config's sections as frozen dataclasses: one field for each key of the section's schema
(cisflow/schemas/config.schema.yaml), so that a reader and mypy follow a setting from the config to
the code that uses it.

Defaults are written once, in the schema: a section is built from a mapping by ``from_mapping``,
which validates it and fills the schema's defaults in; the fields themselves have no defaults but
``None`` for an optional key without one (absent from the config). ``to_mapping`` gives the mapping
back as the validated config holds it: the workflow hands sections to its scripts that way, and the
scripts build the same objects. tests/test_settings.py holds every class's fields against its
schema.
"""

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self

from cisflow.config.schema import filled, key_schema, value_problem
from cisflow.io.errors import ConfigError


@dataclass(frozen=True)
class Section:
    """A section of the config; ``KEY`` is its key in the schema, as ``key_schema`` takes it."""

    KEY: ClassVar[str]

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], where: str | None = None) -> Self:
        """The section from its keys, validated, the schema's defaults filled in.

        Parameters
        ----------
        mapping : Mapping
            The section's keys as a config holds them (some or none).
        where : str, optional
            Its place in the config, for messages (``experiments.peaks.training``; default ``KEY``).

        Returns
        -------
        Section

        Raises
        ------
        ConfigError
            Naming each bad key under ``where``.
        """
        return cls.from_validated(filled(cls.KEY, mapping, where or cls.KEY))

    @classmethod
    def from_validated(cls, values: Mapping[str, Any]) -> Self:
        """The section from keys already validated against its schema with defaults filled in (the
        workflow's config); nested sections are built too."""
        hints = typing.get_type_hints(cls)
        built = {}
        for field in dataclasses.fields(cls):
            if field.name in values:
                section = _section_of(hints[field.name])
                value = values[field.name]
                built[field.name] = section.from_validated(value) if section else value
        return cls(**built)

    def to_mapping(self) -> dict[str, Any]:
        """The section as the validated config holds it: optional keys without a default left out where
        unset, nested sections as mappings."""
        properties = key_schema(self.KEY)["properties"]
        mapping = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is None and "default" not in properties[field.name]:
                continue
            mapping[field.name] = value.to_mapping() if isinstance(value, Section) else value
        return mapping


def _section_of(kind: Any) -> type[Section] | None:
    """The section a field's hint names (``Training``, or ``Tracks | None`` for an optional one), or None."""
    for candidate in typing.get_args(kind) if isinstance(kind, types.UnionType) else (kind,):
        if isinstance(candidate, type) and issubclass(candidate, Section):
            return candidate
    return None


@dataclass(frozen=True)
class Training(Section):
    """``experiments.<name>.training``: how a model is fitted (the schema describes each key)."""

    KEY: ClassVar[str] = "experiments.*.training"
    epochs: int
    batch_size: int
    optimizer: Literal["adam", "adamw", "sgd"]
    lr: float
    weight_decay: float
    patience: int
    lr_patience: int
    reverse_complement: bool
    shift: int
    compile: bool
    selection: str
    seed: int
    resident_limit_gb: float
    loss: Literal["bce", "mse", "l1"] | None = None
    init_from: str | None = None
    max_steps_per_epoch: int | None = None
    subsample: int | None = None


@dataclass(frozen=True)
class Interpret(Section):
    """``experiments.<name>.interpret``: filter motifs, JASPAR matching, attribution, TF-MoDISco."""

    KEY: ClassVar[str] = "experiments.*.interpret"
    jaspar_release: str
    tax_group: str | None
    activation_threshold: float
    subsample: int
    seed: int
    saliency_examples: int
    influence_examples: int
    modisco: bool
    modisco_target: str | None
    modisco_sequences: int


@dataclass(frozen=True)
class Tracks(Section):
    """``experiments.<name>.tracks``: genome browser tracks of the model's predictions and contributions along
    chosen regions and of its scored variant sets (``cisflow.tracks``)."""

    KEY: ClassVar[str] = "experiments.*.tracks"
    regions: Literal["held_out"] | Mapping[str, Any]
    stride: int
    max_windows: int
    contributions: bool
    contribution_target: str | None


@dataclass(frozen=True)
class Experiment(Section):
    """``experiments.<name>``: a dataset, a model, its training, replicates, search and interpretation,
    the variant sets it scores."""

    KEY: ClassVar[str] = "experiments.*"
    dataset: str
    model: Mapping[str, Any]
    training: Training
    interpret: Interpret
    variants: list[str]
    replicates: Mapping[str, Any] | None = None
    search: Mapping[str, Any] | None = None
    tracks: Tracks | None = None


@dataclass(frozen=True)
class Background(Section):
    """``variants.<name>.background``: the matched background SNPs a site's effect is calibrated on."""

    KEY: ClassVar[str] = "variants.*.background"
    per_variant: int
    max: int
    reference: int
    seed: int


@dataclass(frozen=True)
class Ism(Section):
    """``variants.<name>.ism``: in-silico mutagenesis around the top-ranked variants."""

    KEY: ClassVar[str] = "variants.*.ism"
    top: int
    flank: int


@dataclass(frozen=True)
class VariantSet(Section):
    """``variants.<name>``: one input of variants (``kind``), how they are scored, calibrated, grouped
    into loci and checked against a truth table."""

    KEY: ClassVar[str] = "variants.*"
    all_experiments: bool
    locus_window: int
    r2: float
    background: Background
    indels: str
    max_ref_mismatch: float
    motif_p_value: float
    precision: str
    ism: Ism
    vcf: Mapping[str, Any] | None = None
    table: Mapping[str, Any] | None = None
    gwas_catalog: Mapping[str, Any] | None = None
    credible_sets: Mapping[str, Any] | None = None
    sumstats: Mapping[str, Any] | None = None
    traits: list[str] | None = None
    p_threshold: float | None = None
    trait: str | None = None
    dbsnp: Mapping[str, Any] | None = None
    ld_panel: Mapping[str, Any] | None = None
    ld_panel_index: Mapping[str, Any] | None = None
    proxies: Mapping[str, Any] | None = None
    truth: Mapping[str, Any] | None = None
    liftover: Mapping[str, Any] | None = None

    @staticmethod
    def kinds() -> list[str]:
        """The kinds of input a variant set may have, one each (the schema's ``oneOf``)."""
        return [branch["required"][0] for branch in key_schema(VariantSet.KEY)["oneOf"]]

    @property
    def kind(self) -> str:
        """The kind of this set's input (``vcf``, ``table``, ``gwas_catalog``, ``credible_sets``, ``sumstats``)."""
        return next(kind for kind in self.kinds() if getattr(self, kind) is not None)

    @property
    def source(self) -> Mapping[str, Any]:
        """This set's input: its URL or path, sha256."""
        return getattr(self, self.kind)


@dataclass(frozen=True)
class PeaksDataset(Section):
    """A ``peaks`` dataset: regions from the samples' peak files on the genome."""

    KEY: ClassVar[str] = "$defs.peaks_dataset"
    kind: Literal["peaks"]
    width: int
    center: str
    background: float
    background_method: str
    max_n_fraction: float
    missing_contig: str
    empty_targets: str
    seed: int
    split: Mapping[str, Any]
    blacklist: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class TableDataset(Section):
    """A ``table`` dataset: sequences and targets from a table's columns."""

    KEY: ClassVar[str] = "$defs.table_dataset"
    kind: Literal["table"]
    table: str
    task: Literal["regression", "classification"]
    sequence_column: str
    target_columns: list[str]
    length: int
    length_tolerance: int | None
    max_n: int | None
    pad: str
    split: Mapping[str, Any]
    id_column: str | None = None


@dataclass(frozen=True)
class PromoterFeatures(Section):
    """A promoters dataset's ``features``: per-gene numbers beside the sequence, columns of the table derived
    from its annotation (``annotation``) and of joined tables (``tables``), a gene without one ``missing``."""

    KEY: ClassVar[str] = "$defs.promoters_dataset.features"
    missing: Literal["drop", "impute"]
    annotation: list[str] | None = None
    tables: list[Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class PromotersDataset(Section):
    """A ``promoters`` dataset: windows around TSSs on the genome, targets from an expression table."""

    KEY: ClassVar[str] = "$defs.promoters_dataset"
    kind: Literal["promoters"]
    tss: Mapping[str, Any]
    tss_at: str
    upstream: int
    downstream: int
    max_n_fraction: float
    expression: Mapping[str, Any]
    split: Mapping[str, Any]
    annotation: Mapping[str, Any] | None = None
    features: PromoterFeatures | None = None


@dataclass(frozen=True)
class FastaDataset(Section):
    """A ``fasta`` dataset: labelled FASTA files, one label a file."""

    KEY: ClassVar[str] = "$defs.fasta_dataset"
    kind: Literal["fasta"]
    sources: list[Mapping[str, Any]]
    targets: list[str]
    task: Literal["regression", "classification"]
    length: int
    length_tolerance: int | None
    max_n: int | None
    pad: str
    split: Mapping[str, Any]
    test_sources: list[Mapping[str, Any]] | None = None


Dataset = PeaksDataset | TableDataset | PromotersDataset | FastaDataset
# a dataset's kind -> its section
DATASET_KINDS: dict[str, type[Dataset]] = {"peaks": PeaksDataset, "table": TableDataset,
                                           "promoters": PromotersDataset, "fasta": FastaDataset}


def dataset_from_mapping(mapping: Mapping[str, Any], where: str = "datasets.*") -> Dataset:
    """A dataset's section of its kind (``mapping["kind"]``), validated, defaults filled in.

    Parameters
    ----------
    mapping : Mapping
        ``datasets.<name>`` as a config holds it.
    where : str
        Its place in the config, for messages.

    Returns
    -------
    PeaksDataset, TableDataset, PromotersDataset or FastaDataset
    """
    problem = value_problem("datasets.*.kind", mapping.get("kind"))  # the kind first: a known one
    if problem is not None:
        raise ConfigError(f"{where}.kind", problem)
    return DATASET_KINDS[mapping["kind"]].from_mapping(mapping, where)


@dataclass(frozen=True)
class Config:
    """A workflow config, validated and checked (``cisflow.preflight.load_config``), as sections:
    the datasets, experiments and variant sets by name; the other keys as the config holds them."""

    tables: Mapping[str, Any]
    variants: dict[str, VariantSet]
    datasets: dict[str, Dataset]
    experiments: dict[str, Experiment]
    report: Mapping[str, Any]
    contig_aliases: Mapping[str, Any]
    genome: Mapping[str, Any] | None = None
    samples: str | None = None

    @classmethod
    def from_validated(cls, config: Mapping[str, Any]) -> "Config":
        """The sections of a config validated against the schema with defaults filled in."""
        return cls(tables=config["tables"], report=config["report"], contig_aliases=config["contig_aliases"],
                   genome=config.get("genome"), samples=config.get("samples"),
                   variants={name: VariantSet.from_validated(entry) for name, entry in config["variants"].items()},
                   datasets={name: DATASET_KINDS[spec["kind"]].from_validated(spec)
                             for name, spec in config["datasets"].items()},
                   experiments={name: Experiment.from_validated(spec) for name, spec in config["experiments"].items()})
