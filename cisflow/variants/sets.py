"""Every kind of variant input in one shape: the sites to check and score, and the input's rows.

Kinds: ``vcf`` (``cisflow.io.vcf``), ``table`` (a GWAS-style table with REF and ALT,
``cisflow.io.gwas``), ``gwas_catalog`` (the GWAS Catalog's associations file,
``cisflow.io.gwas_catalog``), ``sumstats`` (GWAS-SSF summary statistics, ``cisflow.io.sumstats``)
and ``credible_sets`` (fine-mapped credible sets, ``cisflow.io.credible_sets``).

``variants`` has the columns of ``read_vcf`` (chrom, pos, id, ref, alt, line) plus ``site``
(one per position to score: a record, a table line, or a Catalog position however many studies
report it), ``traits`` (`` | ``-joined, empty where the input names none), ``alt_from`` (where
ALT comes from) and what the input says besides (p-values, risk alleles). ``associations`` has
one row per input line (per SNP of a Catalog line) with its ``site``, so that the scores of a
site go back to every line that reported it.
"""

import pandas as pd

from cisflow.config.settings import VariantSet
from cisflow.io.credible_sets import credible_set_sites, read_credible_sets
from cisflow.io.gwas import read_gwas_table
from cisflow.io.gwas_catalog import catalog_sites, read_gwas_catalog
from cisflow.io.sumstats import GENOME_WIDE, read_sumstats
from cisflow.io.vcf import read_vcf
from cisflow.types import PathLike


def read_variant_set(path: PathLike, kind: str = "vcf", traits: list[str] | None = None,
                     p_threshold: float | None = None,
                     trait: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(variants, associations) of one variant input (module docstring).

    ``traits`` keeps only those traits of a GWAS Catalog file or of credible sets; ``p_threshold``
    (None: ``GENOME_WIDE``) and ``trait`` (the trait a summary-statistics file is of) apply to
    ``sumstats``.
    """
    if kind == "credible_sets":
        return credible_set_sites(read_credible_sets(path, traits))
    if kind == "gwas_catalog":
        variants, associations = catalog_sites(read_gwas_catalog(path, traits))
        return variants.assign(alt_from=""), associations
    if kind == "sumstats":
        threshold = GENOME_WIDE if p_threshold is None else p_threshold
        variants = read_sumstats(path, threshold, trait).assign(alt_from="sumstats")
    elif kind == "table":
        variants = read_gwas_table(path).assign(alt_from="table")
        variants = variants.rename(columns={"trait": "traits"}) if "trait" in variants else variants.assign(traits="")
    elif kind == "vcf":
        variants = read_vcf(path).assign(alt_from="vcf", traits="")
    else:
        raise ValueError(f"variant input kind must be one of {', '.join(VariantSet.kinds())}, not {kind!r}")
    variants = variants.assign(site=range(len(variants)))
    carried = [column for column in ("line", "id", "chrom", "pos", "ref", "alt", "traits", "p_value", "mlog10_p")
               if column in variants]
    return variants, variants[[*carried, "site"]].copy()


def site_summary(ranked: pd.DataFrame) -> pd.DataFrame:
    """One row per site: its best-scoring allele's row (or, where none was scored, its first)."""
    order = ranked.sort_values("score", ascending=False, na_position="last", kind="mergesort")
    return order.drop_duplicates("site").set_index("site")


def associations_with_scores(associations: pd.DataFrame, ranked: pd.DataFrame) -> pd.DataFrame:
    """``associations`` joined with the scores of their sites: each row gains the genome
    position, alleles, status, rank, score, top output and empirical p of its site's best allele;
    a row that reached no site keeps its own status (unmapped, indel)."""
    best = site_summary(ranked)
    wanted = [column for column in ("chrom", "pos", "ref", "alt", "alt_from", "status", "rank", "score",
                                    "top_target", "empirical_p") if column in best]
    joined = best[wanted].rename(columns={"chrom": "genome_chrom", "pos": "genome_pos", "ref": "genome_ref",
                                          "alt": "scored_alt", "status": "variant_status"})
    table = associations.join(joined, on="site")
    own = table["status"] if "status" in table else pd.Series("", index=table.index)
    table["status"] = own.where(own.fillna("").ne(""), table["variant_status"])
    return table.drop(columns=["variant_status"])
