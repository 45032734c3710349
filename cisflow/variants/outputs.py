"""What the variants stage reads and writes, defined once for the rule, its script, the command line
and the report.

``INPUT_KINDS``: the kinds of variant input, each with the key that names it under a variant set
of the config (``variants.<set>.<key>``, the ``kind`` that ``sets.read_variant_set`` takes) and the
``cisflow score-variants`` option that gives it. ``OUTPUTS``: every file a variant set's scoring
writes, by role (the rule's output names, the keys ``score_variant_set`` takes), each a suffix of
one stem: ``results/variants/<experiment>/<set>`` in the workflow, ``--out`` less ``.tsv.gz`` on the
command line. The figures with a caption are entries of Snakemake's report, and the lab-meeting
page (``cisflow.report``) reads ``PAGE_ROLES``.
"""

from dataclasses import dataclass

from cisflow.types import PathLike


@dataclass(frozen=True)
class InputKind:
    """One kind of variant input.

    Attributes
    ----------
    key : str
        Its config key under a variant set (``gwas_catalog``), also its ``kind``.
    flag : str
        The ``cisflow score-variants`` option giving it (``--gwas-catalog``).
    options : tuple of str
        The variant set's settings that apply to this kind only (``traits``, ``trait``, ...).
    help : str
        What the input is, as the command line's help says.
    """

    key: str
    flag: str
    options: tuple = ()
    help: str = ""


INPUT_KINDS = (
    InputKind("vcf", "--vcf", help="variants, plain or gzipped VCF"),
    InputKind("table", "--table", help="variants as a GWAS-style table (rsid, chrom, pos, ref, alt[, trait, p_value])"),
    InputKind("gwas_catalog", "--gwas-catalog", ("traits", "dbsnp"),
              help="the GWAS Catalog's associations TSV as downloaded (GRCh38 positions: give --chain for a model on "
                   "another build); REF from the genome, ALT from the risk allele"),
    InputKind("sumstats", "--sumstats", ("trait", "p_threshold"),
              help="GWAS-SSF summary statistics (chromosome, base_pair_location, effect_allele, other_allele, "
                   "p_value); lines at or below --p-threshold"),
    InputKind("credible_sets", "--credible-sets", ("traits",),
              help="fine-mapped credible sets: FinnGen's SuSiE .snp files, an Open Targets credible_set Parquet file, "
                   "or a table (trait, credible_set, chrom, pos, pip, ref + alt or rsid); each set's SNPs ranked by "
                   "predicted effect, PIP beside in the loci table"),
)
KINDS = tuple(kind.key for kind in INPUT_KINDS)


@dataclass(frozen=True)
class Output:
    """One file a variant set's scoring writes.

    Attributes
    ----------
    role : str
        Its name: the rule's output name and the key of ``score_variant_set``'s ``outputs``.
    suffix : str
        What follows the stem in its path.
    what : str
        What it holds, as the command line's help says.
    caption : str or None
        A figure's caption file under report/ (without ``.rst``): the figure is an entry of
        Snakemake's report (category ``REPORT_CATEGORY``) and of the lab-meeting page. None: not a
        report entry.
    """

    role: str
    suffix: str
    what: str
    caption: str | None = None


OUTPUTS = (
    Output("table", ".tsv.gz", "the ranked variant table, every variant with a status and its headline columns"),
    Output("scores", ".scores.parquet", "every output's ref, alt, sad, logodds, z and p as Parquet"),
    Output("plot", ".png", "a heatmap of the top variants", "variants"),
    Output("summary", ".summary.json", "a JSON summary with status counts"),
    Output("vcf", ".scored.vcf", "the same as a VCF with the scores in INFO"),
    Output("associations", ".associations.tsv.gz", "every input row with its variant's scores"),
    Output("background", ".background.tsv.gz", "the background SNPs"),
    Output("enrichment", ".enrichment.tsv", "the trait enrichment"),
    Output("enrichment_plot", ".enrichment.png", "its plot", "enrichment"),
    Output("ism", ".ism.png", "ISM maps of the top variants", "variant_ism"),
    Output("trait_ism", ".trait_ism.png", "ISM maps of the most enriched traits' top variants", "trait_ism"),
    Output("loci", ".loci.tsv.gz", "each trait's loci"),
    Output("loci_plot", ".loci.png", "the strongest loci's effects and p-values by position", "loci"),
    Output("manhattan", ".manhattan.png", "effects along the genome", "manhattan"),
)
ROLES = tuple(output.role for output in OUTPUTS)
REPORT_CATEGORY = "Variant effects"  # of the figures in Snakemake's report
FIGURE_ROLES = tuple(output.role for output in OUTPUTS if output.caption)
PAGE_ROLES = ("summary", "table", *FIGURE_ROLES)  # what the lab-meeting page reads of a variant set


def output_paths(stem: str) -> dict[str, str]:
    """Every output's path: ``stem`` and the output's suffix.

    Parameters
    ----------
    stem : str
        The path without suffix (``results/variants/{experiment}/{variant_set}``, wildcards
        allowed).

    Returns
    -------
    dict of str to str
        role -> path (str), in the order of ``OUTPUTS``.
    """
    return {output.role: f"{stem}{output.suffix}" for output in OUTPUTS}


def stem_of(table_path: PathLike) -> str:
    """The stem of the outputs beside a ranked table: its path less ``.gz`` and ``.tsv``."""
    return str(table_path).removesuffix(".gz").removesuffix(".tsv")
