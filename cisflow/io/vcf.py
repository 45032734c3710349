"""Read the first five columns of a VCF (plain or gzipped) into a table, one row per record.

Only CHROM, POS, ID, REF and ALT are read; the ALT string is kept as written (multi-allelic and
symbolic alleles are sorted out by ``cisflow.variants``). Every row keeps the 1-based line number
of its record so that later reports can point back into the file.
"""

import re

import pandas as pd

from cisflow.io.errors import InputError
from cisflow.io.textio import open_text
from cisflow.types import PathLike

COLUMNS = ["chrom", "pos", "id", "ref", "alt", "line"]
AMBIGUITY_CODES = "NRYKMSWBDHV"  # IUPAC: N any base, R A or G, Y C or T, K G or T, M A or C, S C or G, W A or T...
_INTEGER = re.compile(r"[+-]?[0-9]+")


def read_vcf(path: PathLike) -> pd.DataFrame:
    """Records of ``path`` as a DataFrame with columns chrom, pos, id, ref, alt, line.

    Meta-information and header lines are skipped, as are blank lines; a record before the
    ``#CHROM`` header line is an error, and so is a file without one (empty, or not a VCF). A
    missing ID (``.``) becomes ``chrom:pos:ref:alt``.
    """
    rows = []
    header_seen = False
    with open_text(path) as handle:
        for lineno, line in enumerate(handle, 1):
            line = line.rstrip("\r\n")
            if line.startswith("#"):
                header_seen = header_seen or line.startswith("#CHROM")
            elif line.strip():
                if not header_seen:
                    raise InputError(path, "record before the #CHROM header line", lineno)
                rows.append(_parse_record(path, line, lineno))
    if not header_seen:
        raise InputError(path, "no #CHROM header line: an empty file, or not a VCF")
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.astype({"chrom": str, "pos": "int64", "id": str, "ref": str, "alt": str, "line": "int64"})


def is_ambiguous_base(allele: str) -> bool:
    """Whether ``allele`` is one IUPAC ambiguity code (N, R, Y...): a single base, but not a known one.

    The one definition of what ``cisflow.variants.checks`` calls ``ambiguous_allele``, for every source
    of alleles (VCF, tables, summary statistics, the GWAS Catalog's risk alleles).
    """
    return len(allele) == 1 and allele.upper() in AMBIGUITY_CODES


def _parse_record(path: PathLike, line: str, lineno: int) -> tuple[str, int, str, str, str, int]:
    fields = line.split("\t")
    if len(fields) < 5:
        raise InputError(path, f"expected at least 5 tab-separated columns (CHROM POS ID REF ALT), "
                               f"found {len(fields)}", lineno)
    chrom, pos_text, variant_id, ref, alt = (field.strip() for field in fields[:5])
    for name, value in (("CHROM", chrom), ("REF", ref), ("ALT", alt)):
        if not value:
            raise InputError(path, f"empty {name}", lineno)
    pos = _position(path, pos_text, lineno)
    if variant_id in ("", "."):
        variant_id = f"{chrom}:{pos}:{ref}:{alt}"
    return chrom, pos, variant_id, ref, alt, lineno


def _position(path: PathLike, text: str, lineno: int) -> int:
    if not _INTEGER.fullmatch(text):
        raise InputError(path, f"POS {text!r} is not an integer", lineno)
    pos = int(text)
    if pos < 1:
        raise InputError(path, f"POS {pos} is below 1 (VCF positions are 1-based)", lineno)
    return pos
