"""A scored variant set as a bigBed file (pybigtools): each allele of the ranked table
(``results/variants/<experiment>/<set>.tsv.gz``) an item of BED9 with named fields (``AUTOSQL``).

An item spans REF's bases (0-based, half-open: a SNV at VCF position ``pos`` is ``[pos - 1, pos)``); it is
named by the variant's id (``chrom:pos:ref:alt`` where it has none). Its BED score (0-1000, what a browser
shades by) is the ranking score as a fraction of the set's largest, times 1000, rounded (0 unscored); its
colour is red where the top output's effect is positive (ALT raises it), blue where negative, grey where
unscored. The named fields hold the alleles, the status (every allele has one), the ranking score (the
largest |z| over the outputs where calibrated, the largest |effect| otherwise), the top output's z, which
output that is and its effect; a missing number is written ``nan``, a missing text ``.``. Alleles on a
contig the genome lacks, or past its end, cannot be placed and are left out (counted in the log).
"""

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pybigtools

from cisflow.types import PathLike

log = logging.getLogger(__name__)

AUTOSQL = """table cisflowVariants
"cisflow's scored variants: each allele's status and predicted effect"
(
string chrom;       "Contig"
uint chromStart;    "Start (0-based): REF's first base"
uint chromEnd;      "End: after REF's last base"
string name;        "Variant id"
uint score;         "Ranking score as a fraction of the set's largest, times 1000 (0 unscored)"
char[1] strand;     "Unstranded (.)"
uint thickStart;    "As chromStart"
uint thickEnd;      "As chromEnd"
uint reserved;      "Colour (itemRgb): red, the top output's effect positive; blue, negative; grey, unscored"
string ref;         "REF allele"
string alt;         "ALT allele"
string status;      "cisflow's check of the allele (scored, swapped, ref_mismatch, ...)"
float rankScore;    "Ranking score: the largest |z| over the outputs (calibrated) or the largest |effect|"
float z;            "z of the top output's effect against the background SNPs (nan: uncalibrated or unscored)"
string topOutput;   "The output of the ranking score"
float topEffect;    "The effect (alt - ref; log-odds for classification) at that output"
)
"""
FIELDS = ("name", "score", "strand", "thickStart", "thickEnd", "reserved", "ref", "alt", "status", "rankScore", "z",
          "topOutput", "topEffect")  # after chrom, chromStart, chromEnd
COLOURS = {1: "200,30,30", -1: "30,60,200", 0: "150,150,150"}  # by the sign of the top effect; 0 unscored
TABLE_COLUMNS = ("id", "chrom", "pos", "ref", "alt", "status", "score", "top_target", "top_effect", "top_z")
FLOAT_TEXT = "{:.6g}"  # a number field as written (nan where missing)


def variant_items(table: pd.DataFrame, sizes: Mapping[str, int]) -> pd.DataFrame:
    """The bigBed items of a ranked variant table, sorted in the genome's order.

    Parameters
    ----------
    table : DataFrame
        The ranked table's columns id, chrom, pos (1-based), ref, alt, status, score, top_target,
        top_effect and, where calibrated, top_z.
    sizes : dict of str to int
        The genome's contigs and lengths.

    Returns
    -------
    DataFrame
        chrom, chromStart, chromEnd and ``FIELDS``, one row an allele that lies on the genome.
    """
    pos = pd.to_numeric(table["pos"], errors="coerce")
    length = table["chrom"].map(sizes)
    start = pos - 1
    end = start + table["ref"].fillna("").astype(str).str.len().clip(lower=1)
    placed = (pos.notna() & length.notna() & (start >= 0) & (end <= length)).to_numpy()
    if not placed.all():
        log.warning("%d of %d alleles not on the genome's contigs (or past their end): left out of the bigBed",
                    (~placed).sum(), len(table))
    rows = table[placed]
    start, end = start[placed].astype(np.int64), end[placed].astype(np.int64)
    score = pd.to_numeric(rows["score"], errors="coerce")
    strongest = score.max()
    scaled = (1000 * score / strongest).round() if strongest > 0 else score * 0
    effect = pd.to_numeric(rows["top_effect"], errors="coerce")
    sign = np.sign(effect.fillna(0)).astype(int).where(score.notna(), 0)
    names = rows["id"].astype("string").fillna(".")
    unnamed = names.isin([".", ""])
    names = names.where(~unnamed, rows["chrom"] + ":" + rows["pos"].astype("Int64").astype(str) + ":"
                        + rows["ref"].astype(str) + ":" + rows["alt"].astype(str))
    z = pd.to_numeric(rows["top_z"], errors="coerce") if "top_z" in rows else pd.Series(np.nan, index=rows.index)
    items = pd.DataFrame({
        "chrom": rows["chrom"], "chromStart": start, "chromEnd": end, "name": names,
        "score": scaled.fillna(0).astype(np.int64), "strand": ".", "thickStart": start, "thickEnd": end,
        "reserved": sign.map(COLOURS), "ref": _text(rows["ref"]), "alt": _text(rows["alt"]),
        "status": _text(rows["status"]), "rankScore": score, "z": z, "topOutput": _text(rows["top_target"]),
        "topEffect": effect})
    order = {name: index for index, name in enumerate(sizes)}
    return items.assign(_contig=items["chrom"].map(order)).sort_values(
        ["_contig", "chromStart", "chromEnd"], kind="mergesort").drop(columns="_contig").reset_index(drop=True)


def _text(column: pd.Series) -> pd.Series:
    """A text field: '.' where missing or empty, whitespace (a field's separator) as '_'."""
    text = column.astype("string").fillna(".").str.replace(r"\s", "_", regex=True)
    return text.where(text != "", ".")


def write_variant_bigbed(path: PathLike, table_path: PathLike, sizes: Mapping[str, int]) -> int:
    """Write a ranked variant table's alleles as a bigBed file (``variant_items``, ``AUTOSQL``).

    Parameters
    ----------
    path : str or Path
        The file; its name ends in .bb or .bigBed (pybigtools chooses the format by it).
    table_path : str or Path
        The ranked table (``results/variants/<experiment>/<set>.tsv.gz``).
    sizes : dict of str to int
        The genome's contigs and lengths.

    Returns
    -------
    int
        The items written; 0: none lies on the genome, and no file is written (pybigtools writes no
        readable file without one).
    """
    table = pd.read_csv(table_path, sep="\t", usecols=lambda column: column in TABLE_COLUMNS,
                        dtype={"id": str, "chrom": str, "ref": str, "alt": str, "status": str, "top_target": str},
                        keep_default_na=False, na_values={"pos": [""], "score": [""], "top_effect": [""],
                                                          "top_z": [""]})
    items = variant_items(table, sizes)
    if items.empty:
        return 0
    fields = [items[name].map(FLOAT_TEXT.format) if items[name].dtype.kind == "f" else items[name].astype(str)
              for name in FIELDS]
    rest = ["\t".join(values) for values in zip(*(field.tolist() for field in fields))]
    records = zip(items["chrom"].tolist(), items["chromStart"].tolist(), items["chromEnd"].tolist(), rest)
    pybigtools.open(str(path), "w").write(dict(sizes), records, autosql=AUTOSQL)
    return len(items)
