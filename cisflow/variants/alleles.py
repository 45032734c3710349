"""REF and ALT for variants that come without them: GWAS Catalog associations name a position and
a risk allele only.

REF is the genome's base at the (lifted) position. ALT is the risk allele where it differs from
REF. Where the risk allele is REF or unknown (``?``), the other allele is unknown: with a dbSNP
VCF the alleles come from dbSNP's record of the rsid, otherwise all three substitutions are
scored. Column ``alt_from`` says which, per row:

``risk_allele``  ALT is the reported risk allele.
``dbsnp``        ALT is a dbSNP allele of the rsid other than the genome's base.
``alt_unknown``  the other allele is unknown: one row per substitution (flagged, not hidden).

Rows whose alleles were given (VCF, tables, summary statistics) keep theirs; their ``alt_from``
names the source.
"""

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import pyfaidx

from cisflow.io.errors import InputError
from cisflow.io.textio import delimited_chunks, read_header
from cisflow.types import PathLike

BASES = "ACGT"
VCF_HEADER = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]  # a VCF's fixed columns


def read_dbsnp_alleles(path: PathLike, ids: Iterable[str]) -> dict[str, list[str]]:
    """{rsid: [REF, ALT, ...]} of the ``ids`` found in a dbSNP VCF (plain or gzipped).

    The VCF is streamed a block of lines at a time and only its ID, REF and ALT columns are parsed,
    so dbSNP's full release (about a billion records) passes in constant memory; a subset (dbSNP's
    common SNPs, or the records of the catalog's rsids) is much faster. A file that is not a VCF
    (no header line of its eight fixed columns) and a record of another number of fields than the
    header are InputErrors naming the file and the line.
    """
    header = read_header(path, meta="##")
    names = [name.strip() for name in header.names]
    if names[:8] != VCF_HEADER:
        seen = f"its header line has {', '.join(names[:8])}" if names else "an empty file"
        raise InputError(path, f"not a VCF (dbSNP's VCF is expected): {seen}, not {', '.join(VCF_HEADER)}",
                         header.line or None)
    wanted = set(ids)
    found: dict[str, list[str]] = {}
    for chunk in delimited_chunks(path, header, {"id": 2, "ref": 3, "alt": 4}):
        hits = chunk[chunk["id"].isin(wanted)]
        for rsid, ref, alt in hits[["id", "ref", "alt"]].itertuples(index=False):
            found.setdefault(rsid, [ref.upper(), *(a.upper() for a in alt.split(",") if a not in ("", "."))])
    return found


def attach_dbsnp(variants: pd.DataFrame, dbsnp: Mapping[str, list[str]]) -> pd.DataFrame:
    """``variants`` with ``known_alleles``: the comma-joined dbSNP alleles of each id ('' when not
    found), to be lifted with the positions and used by ``resolve_alleles``."""
    return variants.assign(known_alleles=[",".join(dbsnp.get(variant_id, [])) for variant_id in variants["id"]])


def resolve_alleles(variants: pd.DataFrame, genome: pyfaidx.Fasta) -> pd.DataFrame:
    """``variants`` with REF and ALT for the rows whose REF is unknown (``.``); see the module
    docstring. ALT may become several comma-joined alleles (split into rows by the check).

    A row whose contig or position the genome lacks keeps ``.`` (the check reports it); where the
    genome has N there, ``pre_status`` becomes ``genome_n``.
    """
    variants = variants.reset_index(drop=True)
    if "pre_status" not in variants:
        variants = variants.assign(pre_status="")
    unknown = np.flatnonzero(variants["ref"].eq(".").to_numpy())
    if not len(unknown):
        return variants
    refs, alts = variants["ref"].to_numpy(dtype=object).copy(), variants["alt"].to_numpy(dtype=object).copy()
    sources = variants["alt_from"].to_numpy(dtype=object).copy()
    risk_is_ref = pd.array([pd.NA] * len(variants), dtype="boolean")
    pre_status = variants["pre_status"].to_numpy(dtype=object).copy()
    known = variants["known_alleles"].to_numpy() if "known_alleles" in variants else np.full(len(variants), "")
    lifted = variants["lift"].eq("ok").to_numpy() if "lift" in variants else np.ones(len(variants), bool)
    chroms, positions = variants["chrom"].to_numpy(), variants["pos"].to_numpy()
    for i in unknown:
        chrom, pos = chroms[i], int(positions[i])
        if pre_status[i] or not lifted[i] or chrom not in genome or pos > len(genome[chrom]):
            continue
        base = genome[chrom][pos - 1 : pos].upper()
        if base not in BASES:
            pre_status[i] = "genome_n"
            continue
        risk = alts[i]
        refs[i] = base
        alts[i], sources[i] = _alternatives(base, risk, known[i])
        if risk in BASES:  # one known risk allele
            risk_is_ref[i] = risk == base
    return variants.assign(ref=refs, alt=alts, alt_from=sources, pre_status=pre_status, risk_is_ref=risk_is_ref)


def check_risk_build(variants: pd.DataFrame, source: PathLike, genome_name: PathLike, minimum: int = 200,
                     floor: float = 0.35) -> None:
    """Stop when the risk alleles look read at positions of another genome build.

    At its own build a Catalog SNP's risk allele is the genome's base about half the time (it is
    the reference allele or the other one); at positions of another build the genome's base is
    unrelated and matches a quarter of the time or so. With at least ``minimum`` SNPs of one known
    risk allele, fewer than ``floor`` matches is an error that says so, rather than a table of
    substitutions at the wrong places (REF is read from the genome, so nothing else would show it).
    """
    known = variants["risk_is_ref"].dropna() if "risk_is_ref" in variants else pd.Series(dtype=bool)
    if len(known) >= minimum and known.mean() < floor:
        raise InputError(
            source, f"the risk allele is the genome's base at only {known.mean():.0%} of {len(known)} SNPs "
            f"(about half at the right build, a quarter or so at another): the positions are probably of another "
            f"build than {genome_name} (the GWAS Catalog gives GRCh38 positions). Give the variant set a chain file "
            f"(liftover: hg38ToHg19.over.chain.gz for an hg19 genome, or --chain)")


def _alternatives(base, risk, known):
    """(comma-joined ALT alleles, alt_from) at a site with genome base ``base``."""
    risks = [allele for allele in risk.split(",") if allele in BASES and allele != base]
    dbsnp = [allele for allele in known.split(",") if allele]
    if base in dbsnp:
        others = [allele for allele in dbsnp if allele != base and allele in BASES]
        if risks and set(risks) <= set(others):
            return ",".join(risks), "risk_allele"
        if others:
            return ",".join(others), "dbsnp"
    if risks:
        return ",".join(risks), "risk_allele"
    return ",".join(b for b in BASES if b != base), "alt_unknown"
