"""The NHGRI-EBI GWAS Catalog's associations file, read as the Catalog distributes it.

Both the full "All associations" download (``gwas-catalog-associations_ontology-annotated.tsv``)
and the per-study files have one association a line under a header that names, among others,
``DISEASE/TRAIT``, ``CHR_ID``, ``CHR_POS`` (GRCh38, 1-based), ``SNPS``, ``STRONGEST SNP-RISK
ALLELE`` (``rs7903146-T``; ``?`` when unknown), ``P-VALUE``, ``MAPPED_TRAIT``,
``MAPPED_TRAIT_URI``, ``MAPPED_GENE``, ``STUDY ACCESSION`` and ``PUBMEDID``. There are no REF and
ALT columns: REF is the genome's base at the position (after liftover, ``cisflow.variants.alleles``) and
the risk allele is the candidate ALT.

``read_gwas_catalog`` gives one row per (line, SNP): a haplotype line (``rs1; rs2``) and an
interaction line (``rs1 x rs2``) yield a row per SNP, marked in ``association``. Rows that cannot
be placed keep a status instead of vanishing: ``unmapped`` (no position, or positions that do not
pair up with the SNPs), ``ambiguous_allele`` (a risk allele that is an IUPAC code such as N) and
``indel`` (a risk allele of several bases). ``CHR_POS`` is empty where the Catalog could not map a
SNP, and one position a SNP joined as the SNPs are (``;``, `` x ``); any other text (``-5``, ``abc``)
is no Catalog's and an error naming the line. ``catalog_sites`` then
gives one variant per position, however many studies report it, with every trait and p-value
kept on the association rows that point at it (``site``).
"""

import difflib
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cisflow.io.errors import InputError
from cisflow.io.pvalues import parse_mlog10_values, parse_p_values
from cisflow.io.textio import delimited_chunks, read_header
from cisflow.io.vcf import is_ambiguous_base
from cisflow.types import PathLike

COLUMNS = {  # role -> the Catalog's column
    "trait": "DISEASE/TRAIT",
    "chrom": "CHR_ID",
    "pos": "CHR_POS",
    "snps": "SNPS",
    "risk": "STRONGEST SNP-RISK ALLELE",
    "p_value": "P-VALUE",
    "mlog10_p": "PVALUE_MLOG",
    "mapped_trait": "MAPPED_TRAIT",
    "trait_uri": "MAPPED_TRAIT_URI",
    "gene": "MAPPED_GENE",
    "study": "STUDY ACCESSION",
    "pubmed": "PUBMEDID",
}
REQUIRED = ("trait", "chrom", "pos", "snps", "risk", "p_value")
CHROMOSOME_NUMBERS = {"23": "X", "24": "Y", "25": "MT", "M": "MT"}
GROUP_SEPARATOR = " | "
SNV_ALLELES = {"A", "C", "G", "T", "."}
_SPLIT = re.compile(r"\s*;\s*|\s+[xX]\s+")
_POSITION = re.compile(r"0*[1-9][0-9]*")


def is_gwas_catalog(header: str) -> bool:
    """Whether a header line is the GWAS Catalog's associations header."""
    names = {name.strip() for name in header.rstrip("\r\n").split("\t")}
    return {COLUMNS[role] for role in REQUIRED} <= names


def read_gwas_catalog(path: PathLike, traits: Sequence[str] | None = None) -> pd.DataFrame:
    """The associations of a GWAS Catalog file, one row per (line, SNP).

    Parameters
    ----------
    path : str or Path
        The associations TSV, gzipped or not.
    traits : sequence of str, optional
        Keep only associations of these traits, each a name (``DISEASE/TRAIT`` or one of the
        ``MAPPED_TRAIT`` terms, any case) or an ontology id (``EFO_0001360``, also
        ``EFO:0001360``). A trait that matches nothing is an error that lists close names.

    Returns
    -------
    DataFrame
        Columns ``line``, ``snp``, ``chrom``, ``pos`` (Int64, NA where unmapped), ``risk_allele``
        (upper case, ``.`` when unknown), ``association`` (single, haplotype, interaction),
        ``status`` (empty, ``unmapped``, ``ambiguous_allele`` or ``indel``), ``trait``, ``mapped_trait``, ``trait_ids``,
        ``groups`` (the asked traits it matched, or its mapped traits, joined by `` | ``),
        ``p_value``, ``mlog10_p``, ``gene``, ``study``, ``pubmed``.
    """
    header = read_header(path)
    if not header.names:
        raise InputError(path, "empty file: a GWAS Catalog associations file starts with its header line")
    columns = {role: header.position(path, column) for role, column in COLUMNS.items()}
    missing = [COLUMNS[role] for role in REQUIRED if columns[role] is None]
    if missing:
        names = [name.strip() for name in header.names]
        raise InputError(path, f"not a GWAS Catalog associations file: no {', '.join(missing)} column; "
                               f"the header has {', '.join(names[:12])}{' ...' if len(names) > 12 else ''}",
                         header.line)
    parts: list[pd.DataFrame] = []
    found: set[str] = set()
    seen: set[str] = set()
    for chunk in delimited_chunks(path, header, {role: at for role, at in columns.items() if at is not None}):
        chunk = chunk[chunk["snps"].str.strip().ne("") | chunk["chrom"].str.strip().ne("")]
        chunk = _with_groups(chunk, traits, found, seen)
        if len(chunk):
            parts.append(_rows(path, chunk))
    if traits:
        _check_traits_found(path, traits, found, seen)
    if not parts:
        raise InputError(path, "no associations below the header" if not traits else
                         f"no associations of the traits asked for ({', '.join(traits)})")
    return pd.concat(parts, ignore_index=True)


def _trait_ids(uris):
    """Ontology ids (EFO_0001360, MONDO_0005148...) of a MAPPED_TRAIT_URI cell."""
    return [uri.strip().rstrip("/").rsplit("/", 1)[-1] for uri in uris.split(",") if uri.strip()]


def _mapped_names(mapped, n_ids):
    """The MAPPED_TRAIT terms; split on commas only where that gives one name per ontology id
    (some EFO labels hold commas themselves)."""
    names = [name.strip() for name in mapped.split(",") if name.strip()]
    return names if len(names) == n_ids or n_ids == 0 else [mapped.strip()]


def _with_groups(chunk, traits, found, seen):
    """``chunk`` with ``trait_ids`` and ``groups``; only rows of ``traits`` when asked for. The
    traits matched go into ``found``, every trait name into ``seen``."""
    mapped = chunk["mapped_trait"] if "mapped_trait" in chunk else pd.Series("", index=chunk.index)
    uris = chunk["trait_uri"] if "trait_uri" in chunk else pd.Series("", index=chunk.index)
    ids = [_trait_ids(cell) for cell in uris]
    names = [_mapped_names(cell, len(cell_ids)) for cell, cell_ids in zip(mapped, ids)]
    if traits:
        seen.update(chunk["trait"].str.strip())
        seen.update(name for row_names in names for name in row_names)
        wanted = [(trait, _normalised(trait)) for trait in traits]
        groups = []
        for reported, row_names, row_ids in zip(chunk["trait"], names, ids):
            keys = {_normalised(reported), *map(_normalised, row_names), *map(_normalised, row_ids)}
            matched = [trait for trait, key in wanted if key in keys]
            found.update(matched)
            groups.append(GROUP_SEPARATOR.join(matched))
    else:
        groups = [GROUP_SEPARATOR.join(row_names) if row_names else reported.strip()
                  for reported, row_names in zip(chunk["trait"], names)]
    chunk = chunk.assign(trait_ids=[",".join(row_ids) for row_ids in ids], groups=groups)
    return chunk[chunk["groups"] != ""] if traits else chunk


def _normalised(name):
    """A trait name or id compared case- and separator-insensitively (EFO:0001360 = efo_0001360)."""
    return re.sub(r"[\s_:]+", "_", name.strip().lower())


def _check_traits_found(path, traits, found, seen):
    missing = [trait for trait in traits if trait not in found]
    if not missing:
        return
    hints = []
    for trait in missing:
        close = difflib.get_close_matches(trait, sorted(seen), n=3, cutoff=0.6)
        hints.append(f"{trait!r}" + (f" (close: {', '.join(map(repr, close))})" if close else ""))
    raise InputError(path, f"traits not found as DISEASE/TRAIT, MAPPED_TRAIT or ontology id: {'; '.join(hints)}")


def _split(cell):
    cell = cell.strip()
    return [part for part in _SPLIT.split(cell)] if cell else []


def _rows(path, chunk):
    """One row per (line, SNP) of a chunk of Catalog lines."""
    lines = chunk["line"].tolist()
    p_value, mlog10 = parse_p_values(chunk["p_value"].tolist(), path, lines, "P-VALUE")
    if "mlog10_p" in chunk:  # the Catalog's own -log10 p where the text underflowed or was left out
        given = parse_mlog10_values(chunk["mlog10_p"].tolist(), path, lines, "PVALUE_MLOG")[1]
        mlog10 = np.where(np.isnan(mlog10) | np.isinf(mlog10), given, mlog10)
    rows = []
    for i, row in enumerate(chunk.to_dict("records")):
        snps = _split(row["snps"])
        chroms, positions, risks = _split(row["chrom"]), _positions(path, row), _split(row["risk"])
        kind = ("interaction" if re.search(r"\s[xX]\s", row["snps"]) else
                "haplotype" if len(snps) > 1 else "single")
        placed = len(chroms) == len(positions) == len(snps) and all(positions)
        risk_of = _risk_alleles(snps, risks)
        for j, snp in enumerate(snps or [""]):
            allele = risk_of.get(snp, ".")
            rows.append({
                "line": row["line"], "snp": snp or ".",
                "chrom": CHROMOSOME_NUMBERS.get(chroms[j], chroms[j]) if placed else ".",
                "pos": int(positions[j]) if placed else pd.NA,
                "risk_allele": allele, "association": kind, "status": _status(placed, allele),
                "trait": row["trait"].strip(), "mapped_trait": row.get("mapped_trait", "").strip(),
                "trait_ids": row["trait_ids"], "groups": row["groups"],
                "p_value": p_value[i], "mlog10_p": mlog10[i],
                "gene": row.get("gene", "").strip(), "study": row.get("study", "").strip(),
                "pubmed": row.get("pubmed", "").strip(),
            })
    return pd.DataFrame(rows).astype({"pos": "Int64"})


def _positions(path, row):
    """The CHR_POS parts of a line: each a position (a positive integer) or empty (a SNP the Catalog did not
    map); anything else is an InputError naming the line, for no release of the Catalog writes it."""
    parts = _split(row["pos"])
    if not all(_POSITION.fullmatch(part) for part in parts if part):
        raise InputError(path, f"CHR_POS {row['pos'].strip()!r} is not a position: a positive integer, empty where the "
                               "Catalog could not map the SNP, or one a SNP joined by ';' (a haplotype) or ' x ' (an "
                               "interaction)", row["line"])
    return parts


def _status(placed, allele):
    """An association's status from its position and risk allele: '' (a SNV, or its allele unknown), unmapped,
    ambiguous_allele (an IUPAC code such as N) or indel (several bases)."""
    if not placed:
        return "unmapped"
    if allele in SNV_ALLELES:
        return ""
    return "ambiguous_allele" if is_ambiguous_base(allele) else "indel"


def _risk_alleles(snps, risks):
    """{snp: risk allele} from the ``rs7903146-T`` parts of a line, matched by id (or by order where
    the ids differ): upper case; several bases kept (an indel), and an IUPAC ambiguity code (``N``);
    ``.`` when unknown (``?``) or not bases."""
    parsed = []
    for part in risks:
        snp, dash, allele = part.strip().rpartition("-")
        allele = allele.strip().upper()
        known = bool(dash) and bool(allele) and (set(allele) <= set("ACGT") or is_ambiguous_base(allele))
        parsed.append((snp.strip() if dash else part.strip(), allele if known else "."))
    by_id = dict(parsed)
    if all(snp in by_id for snp in snps) or len(parsed) != len(snps):
        return {snp: by_id.get(snp, ".") for snp in snps}
    return {snp: allele for snp, (_, allele) in zip(snps, parsed)}


def catalog_sites(associations: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One variant per position of the placed associations, in the shape ``cisflow.io.vcf.read_vcf``
    gives (chrom, pos, id, ref, alt, line) plus what the associations say about it.

    ``ref`` is ``.`` (the genome's base, looked up after liftover) and ``alt`` the distinct
    single-base risk alleles reported there, comma-joined, or ``.`` when none is known. Also
    ``risk_allele`` (the same), ``n_associations``, ``traits`` (the groups of its single-SNP and
    haplotype associations, `` | ``-joined: an interaction is not the SNP's own association),
    ``p_value`` and ``mlog10_p`` (the strongest), and ``site`` (0, 1, ...), which the
    associations gain too (NA for unplaced rows). A position whose every association is an indel
    gets ``pre_status`` indel; one whose associations are indels or ambiguous (N), ambiguous_allele.

    Returns
    -------
    sites : DataFrame
        One row a position, the columns above.
    associations : DataFrame
        ``associations`` with ``site``.
    """
    placed = associations[associations["pos"].notna()]
    keys = list(zip(placed["chrom"], placed["pos"].astype("int64")))
    site_of = {key: i for i, key in enumerate(dict.fromkeys(keys))}
    site = pd.array([pd.NA] * len(associations), dtype="Int64")
    site[np.flatnonzero(associations["pos"].notna().to_numpy())] = [site_of[key] for key in keys]
    associations = associations.assign(site=site)
    rows = []
    for (chrom, pos), group in placed.assign(site=associations["site"]).groupby(["chrom", "pos"], sort=False):
        snvs = sorted(set(group["risk_allele"]) & set("ACGT"))
        tested = group["groups"][group["association"] != "interaction"]  # an interaction is not the SNP's own
        groups = dict.fromkeys(name for cell in tested for name in cell.split(GROUP_SEPARATOR) if name)
        rows.append({
            "chrom": chrom, "pos": int(pos), "id": group["snp"].iloc[0], "ref": ".",
            "alt": ",".join(snvs) or ".", "line": int(group["line"].iloc[0]), "risk_allele": ",".join(snvs) or ".",
            "n_associations": len(group), "traits": GROUP_SEPARATOR.join(groups),
            "p_value": group["p_value"].min(), "mlog10_p": group["mlog10_p"].max(),
            "site": int(group["site"].iloc[0]),
            "pre_status": _site_status(set(group["status"])),
        })
    columns = ["chrom", "pos", "id", "ref", "alt", "line", "risk_allele", "n_associations", "traits", "p_value",
               "mlog10_p", "site", "pre_status"]
    return pd.DataFrame(rows, columns=columns).astype({"pos": "int64", "line": "int64"}), associations


def _site_status(statuses):
    """The status a site takes from its associations' ``statuses`` before the check: indel where every one
    is an indel, ambiguous_allele where none has a SNV's allele (or an unknown one) and one is ambiguous."""
    if statuses == {"indel"}:
        return "indel"
    return "ambiguous_allele" if statuses <= {"indel", "ambiguous_allele"} else ""
