"""What the variants stage writes, defined once for the rule, its script, the command line and the
report (what it reads: ``cisflow.variants.inputs``).

``OUTPUTS``: every file a variant set's scoring writes, by role (the rule's output names, the keys
of ``score_variant_set``'s ``outputs``), each a suffix of one stem:
``results/variants/<experiment>/<set>`` in the workflow, ``--out`` less ``.tsv.gz`` on the command
line. The figures with a caption are entries of Snakemake's report, and the lab-meeting page
(``cisflow.report``) reads ``PAGE_ROLES``.
"""

from dataclasses import dataclass

from cisflow.types import PathLike


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
