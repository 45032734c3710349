"""What the variants stage reads: ``INPUT_KINDS``, the kinds of variant input, those of the config
schema (``VariantSet.kinds()``, in its order), each with the key that names it under a variant set
of the config (``variants.<set>.<key>``, the ``kind`` that ``sets.read_variant_set`` takes), the
``cisflow score-variants`` option that gives it and the settings that apply to it alone. What the
stage writes: ``cisflow.variants.outputs``.
"""

from dataclasses import dataclass

from cisflow.config.settings import VariantSet


@dataclass(frozen=True)
class InputKind:
    """One kind of variant input.

    Attributes
    ----------
    key : str
        Its config key under a variant set (``gwas_catalog``), also its ``kind``.
    help : str
        What the input is, as the command line's help says.
    options : tuple of str
        The variant set's settings that apply to this kind only (``traits``, ``trait``, ...): the config's
        checks refuse them beside another kind (``cisflow.preflight.KIND_OPTIONS``).
    """

    key: str
    help: str
    options: tuple[str, ...] = ()

    @property
    def flag(self) -> str:
        """The ``cisflow score-variants`` option giving it: its key, ``-`` for ``_`` (``--gwas-catalog``)."""
        return "--" + self.key.replace("_", "-")


# each kind's help on the command line (a kind the schema adds needs one) and the settings for it alone
_HELP = {
    "vcf": "variants, plain or gzipped VCF",
    "table": "variants as a GWAS-style table (rsid, chrom, pos, ref, alt[, trait, p_value])",
    "gwas_catalog": "the GWAS Catalog's associations TSV as downloaded (GRCh38 positions: give --chain for a model on "
                    "another build); REF from the genome, ALT from the risk allele",
    "sumstats": "GWAS-SSF summary statistics (chromosome, base_pair_location, effect_allele, other_allele, p_value); "
                "lines at or below --p-threshold",
    "credible_sets": "fine-mapped credible sets: FinnGen's SuSiE .snp files, an Open Targets credible_set Parquet "
                     "file, or a table (trait, credible_set, chrom, pos, pip, ref + alt or rsid); each set's SNPs "
                     "ranked by predicted effect, PIP beside in the loci table",
}
_OPTIONS = {"gwas_catalog": ("traits", "dbsnp"), "sumstats": ("trait", "p_threshold"), "credible_sets": ("traits",)}
INPUT_KINDS = tuple(InputKind(key, _HELP[key], _OPTIONS.get(key, ())) for key in VariantSet.kinds())
