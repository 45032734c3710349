"""Each variant allele checked against the genome, with a status; nothing is dropped.

Every (record, ALT allele) pair gets one row and one status; only the first two are scored:

``scored``          a SNV whose REF matches the genome.
``swapped``         a SNV whose REF does not match but whose ALT does: scored with the alleles
                    flipped, so the genome base is the ref allele and the VCF REF the alt allele.
``ref_mismatch``    a SNV where neither allele matches the genome.
``ref_equals_alt``  REF and ALT are the same allele: there is nothing to score.
``duplicate``       the same substitution at the same place as an earlier row (``duplicate_of``
                    gives its line): scored once, not twice.
``indel``           anything but a single-base A/C/G/T substitution: length changes, multi-base
                    substitutions, symbolic (``<DEL>``), ``*`` and missing (``.``) alleles. Those
                    of plain bases whose REF matches are scored with ``indels='score'``.
``ambiguous_allele`` a single-base REF or ALT that is N or another IUPAC ambiguity code (R, Y...):
                    which base it is is not known, so there is nothing to score.
``invalid_allele``  REF or ALT holds a character no VCF allele has (``X``, ``I``/``D`` codes...).
``genome_n``        the genome has N at the position (a GWAS Catalog SNP lifted into a gap).
``unmapped``        the input gives no position (GWAS Catalog associations the Catalog could not map).
``unlifted``        the position could not be lifted to the genome's build (``cisflow.io.liftover``).
``contig_missing``  CHROM is not a contig of the genome.
``near_contig_end`` the window overruns the contig (or the position lies beyond it).

A status decided before the check (``pre_status``: unmapped, indel, ambiguous_allele or genome_n
from the GWAS Catalog's rows) is kept as it is. Alleles are compared with the genome case-insensitively
(soft-masked repeats are lower case). ``check_build`` stops a run whose variants look like another
genome build than the genome's.
"""

import re

import pandas as pd
import pyfaidx

from cisflow.io.errors import InputError
from cisflow.io.vcf import is_ambiguous_base
from cisflow.types import PathLike
from cisflow.variants.windows import window_start

STATUSES = ("scored", "swapped", "ref_mismatch", "ref_equals_alt", "duplicate", "indel", "ambiguous_allele",
            "invalid_allele", "genome_n", "unmapped", "unlifted", "contig_missing", "near_contig_end")


SCORED_STATUSES = ("scored", "swapped")


_BREAKEND = re.compile(r"[ACGTN]*[\[\]][^\[\]]+[\[\]][ACGTN]*|\.[ACGTN]+|[ACGTN]+\.")


VCF_COLUMNS = ["id", "chrom", "pos", "ref", "alt", "line", "multiallelic"]


def check_variants(vcf_df: pd.DataFrame, genome: pyfaidx.Fasta, seq_len: int, indels: str) -> pd.DataFrame:
    """One row per (record, ALT allele) of ``vcf_df`` (from ``read_vcf``) with its status.

    Adds to the VCF columns: ``multiallelic`` (the record has several ALT alleles), ``ref_match``
    (REF equals the genome; False where the genome cannot be read there), ``status``, the
    alleles that will be scored, ``score_ref`` and ``score_alt`` (upper case; None when unscored),
    and ``duplicate_of`` (the line of the row a duplicate repeats). Other columns of ``vcf_df``
    are carried. ``indels`` (a variant set's): 'score' gives indels of plain bases whose REF matches
    alleles to score too (status ``indel``); 'skip' leaves every indel unscored.
    """
    table = _split_alleles(vcf_df)
    lifted = table["lift"].eq("ok") if "lift" in table else pd.Series(True, index=table.index)
    pre_status = table.pop("pre_status") if "pre_status" in table else pd.Series("", index=table.index)
    rows = []
    for row, ok, status in zip(table.itertuples(), lifted, pre_status):
        if status:
            rows.append((False, status, None, None))
        elif not ok:
            rows.append((False, "unlifted", None, None))
        else:
            rows.append(_check_allele(genome, row.chrom, row.pos, row.ref, row.alt, seq_len, indels == "score"))
    checks = pd.DataFrame(rows, columns=["ref_match", "status", "score_ref", "score_alt"], index=table.index)
    return _flag_duplicates(pd.concat([table, checks.astype({"ref_match": bool})], axis=1))


def _flag_duplicates(checked):
    """Rows that would score the same alleles at the same place as an earlier row get status
    duplicate (and ``duplicate_of``, that row's line) instead of being scored twice."""
    to_score = checked["score_ref"].notna()
    key = (checked["chrom"].astype(str) + ":" + checked["pos"].astype(str) + ":" + checked["score_ref"].fillna("")
           + ">" + checked["score_alt"].fillna("")).where(to_score)
    repeated = key.notna() & key.duplicated(keep="first")
    first = to_score & ~repeated
    first_line = dict(zip(key[first], checked.loc[first, "line"]))
    checked = checked.assign(duplicate_of=key.map(first_line).where(repeated).astype("Int64"))
    checked.loc[repeated, ["status", "score_ref", "score_alt"]] = ["duplicate", None, None]
    return checked


def check_build(checked: pd.DataFrame, source: PathLike, genome_name: PathLike, max_mismatch: float) -> None:
    """Stop when the variants look like another genome build than the genome's.

    At a SNV of the right build one of its alleles is the genome's base (REF, or ALT for a table
    that writes the effect allele first); at a position of another build the genome's base is
    unrelated, so neither allele matches about half the time. More than ``max_mismatch`` (the
    variant set's ``max_ref_mismatch``) of such SNVs, and at least 5, is an error that says so
    instead of a table of noise.
    """
    snvs = checked["status"].isin([*SCORED_STATUSES, "ref_mismatch"])
    mismatched = int((checked["status"] == "ref_mismatch").sum())
    if snvs.any() and mismatched >= 5 and mismatched / snvs.sum() > max_mismatch:
        raise InputError(
            source, f"neither allele matches the genome at {mismatched} of {int(snvs.sum())} SNVs "
            f"({mismatched / snvs.sum():.0%}): the variants are probably on another genome build than "
            f"{genome_name} (the GWAS Catalog gives GRCh38 positions; Basset-style models are on hg19). "
            f"Lift the positions over to the genome's build, or score them with a model on theirs; "
            f"max_ref_mismatch (now {max_mismatch}) under the variant set raises this limit.")


def _split_alleles(vcf_df):
    alts = vcf_df["alt"].str.split(",")
    table = vcf_df.assign(alt=alts, multiallelic=alts.str.len() > 1).explode("alt", ignore_index=True)
    table = table.drop(columns=[column for column in ("known_alleles",) if column in table])
    return table[VCF_COLUMNS + [column for column in table.columns if column not in VCF_COLUMNS]]


def _check_allele(genome, chrom, pos, ref, alt, seq_len, score_indels):
    """(ref_match, status, score_ref, score_alt) of one allele."""
    if not (_is_vcf_allele(ref) and _is_vcf_allele(alt)):
        return False, "invalid_allele", None, None
    if chrom not in genome:
        return False, "contig_missing", None, None
    record = genome[chrom]
    if pos - 1 + max(len(ref), 1) > len(record):
        return False, "near_contig_end", None, None
    genome_ref = record[pos - 1 : pos - 1 + len(ref)].upper()
    ref, alt = ref.upper(), alt.upper()
    start = window_start(pos, seq_len)
    ref_match = genome_ref == ref
    if _is_ambiguous_snv(ref, alt):
        return ref_match, "ambiguous_allele", None, None
    if ref == alt:
        return ref_match, "ref_equals_alt", None, None
    if not _is_snv(ref, alt):
        scoreable = score_indels and ref_match and _is_bases(ref) and _is_bases(alt)
        if scoreable and start >= 0 and start + seq_len + len(ref) <= len(record):
            return True, "indel", ref, alt
        return ref_match, "indel", None, None
    if start < 0 or start + seq_len > len(record):
        return ref_match, "near_contig_end", None, None
    if ref_match:
        return True, "scored", ref, alt
    if alt == genome_ref:
        return False, "swapped", alt, ref
    return False, "ref_mismatch", None, None


def _is_snv(ref, alt):
    return len(ref) == len(alt) == 1 and ref in "ACGT" and alt in "ACGT"


def _is_ambiguous_snv(ref, alt):
    """A single-base substitution (upper case) of which an allele is an ambiguity code (N, R, Y...)."""
    single = all(len(allele) == 1 and (allele in "ACGT" or is_ambiguous_base(allele)) for allele in (ref, alt))
    return single and (is_ambiguous_base(ref) or is_ambiguous_base(alt))


def _is_vcf_allele(allele):
    """Bases (N included), one IUPAC ambiguity code, a symbolic allele (<DEL>), a breakend (G]chr2:100]), * or ."""
    allele = allele.upper()
    return (allele in ("*", ".") or set(allele) <= set("ACGTN") or is_ambiguous_base(allele)
            or (allele.startswith("<") and allele.endswith(">")) or bool(_BREAKEND.fullmatch(allele)))


def _is_bases(allele):
    return bool(allele) and set(allele) <= set("ACGT")


def status_counts(table: pd.DataFrame) -> dict[str, int]:
    """{status: number of rows}, every known status included (zero when absent)."""
    counts = table["status"].value_counts()
    return {status: int(counts.get(status, 0)) for status in dict.fromkeys([*STATUSES, *counts.index])}
