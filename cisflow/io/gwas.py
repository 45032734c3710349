"""GWAS-style variant tables made by hand or by other tools: one SNP a row, REF and ALT given.

Tab- or comma-separated, gzipped or not. The columns are found by name, case-insensitively,
under the names such tables use: the variant id (``rsid``, ``snp``, ``snps``, ``id``,
``variant_id``), ``chrom`` (``chr``, ``chromosome``, ``chr_id``), ``pos`` (``position``, ``bp``,
``chr_pos``, 1-based), ``ref`` (``other_allele``) and ``alt`` (``effect_allele``); ``trait``
(``disease/trait``) and ``p_value`` (``p``, ``pval``, ``p-value``; written as ``3E-35`` or
``1 x 10-8``, with its -log10 as ``mlog10_p``) are carried into the scored table when present.
The result has the columns of ``cisflow.io.vcf.read_vcf`` (and those), so checking and scoring do
not care where the variants came from. The GWAS Catalog's own file, which has no REF or ALT, is
read by ``cisflow.io.gwas_catalog``; GWAS-SSF summary statistics by ``cisflow.io.sumstats``.
"""

import re

import pandas as pd

from cisflow.io.errors import InputError
from cisflow.io.pvalues import parse_p_values
from cisflow.io.textio import first_line, quoted_rows, read_header
from cisflow.io.vcf import COLUMNS
from cisflow.types import PathLike

NAMES = {
    "id": ("rsid", "snp", "snps", "id", "variant_id", "rs_id"),
    "chrom": ("chrom", "chr", "chromosome", "chr_id", "#chrom"),
    "pos": ("pos", "position", "bp", "chr_pos", "base_pair_location"),
    "ref": ("ref", "other_allele", "non_effect_allele"),
    "alt": ("alt", "effect_allele", "risk_allele"),
    "trait": ("trait", "disease/trait", "phenotype"),
    "p_value": ("p_value", "p", "pval", "p-value", "pvalue"),
}
REQUIRED = ("id", "chrom", "pos", "ref", "alt")
_INTEGER = re.compile(r"[0-9]+")


def read_gwas_table(path: PathLike) -> pd.DataFrame:
    """The SNPs of a GWAS-style table as a DataFrame (chrom, pos, id, ref, alt, line[, trait, p_value]).

    A missing required column is an error listing the columns found; a position that is not a
    positive integer or an empty allele is an error naming the line.
    """
    line = first_line(path)
    if not line.strip():
        raise InputError(path, "empty file: a GWAS-style table needs a header line (rsid, chrom, pos, ref, alt)")
    sep = "\t" if "\t" in line else ","
    header = read_header(path, sep, quoted=True)
    columns: dict[str, int] = {}
    for role, names in NAMES.items():
        position = next((at for at in (header.position(path, name, _lower) for name in names) if at is not None), None)
        if position is None and role in REQUIRED:
            raise InputError(path, f"no {role} column (looked for {', '.join(names)}); "
                                   f"the header has {', '.join(header.names)}", header.line)
        if position is not None:
            columns[role] = position
    out = quoted_rows(path, header, columns, sep)
    if out.empty:
        raise InputError(path, "no variants below the header")
    out[list(columns)] = out[list(columns)].apply(lambda column: column.str.strip())
    for row in out.itertuples():
        if not _INTEGER.fullmatch(row.pos) or int(row.pos) < 1:
            raise InputError(path, f"position {row.pos!r} is not a positive integer", row.line)
        for role in ("chrom", "ref", "alt"):
            if not getattr(row, role):
                raise InputError(path, f"empty {role}", row.line)
    out["pos"] = out["pos"].astype("int64")
    missing_id = out["id"].isin(["", "."])
    out.loc[missing_id, "id"] = out["chrom"] + ":" + out["pos"].astype(str) + ":" + out["ref"] + ":" + out["alt"]
    if "p_value" in out:
        out["p_value"], out["mlog10_p"] = parse_p_values(out["p_value"].tolist(), path, out["line"].tolist())
    extra = [role for role in ("trait", "p_value", "mlog10_p") if role in out]
    return out[COLUMNS + extra]


def _lower(name: str) -> str:
    return name.strip().lower()
