"""The variants as a VCF again, each allele's status, rank and effects in INFO, for genome browsers
and VCF tools.
"""

from collections.abc import Sequence

import pandas as pd

from cisflow.io.atomic import atomic_open
from cisflow.types import PathLike
from cisflow.variants.checks import STATUSES
from cisflow.variants.scoring import EFFECT


def write_scored_vcf(table: pd.DataFrame, path: PathLike, targets: Sequence[str], task: str) -> None:
    """The variants as a VCF (sorted by contig, in order of first appearance, and position), each
    allele's status, rank and effects in INFO: the ranking score, the output it comes from, that
    output's effect, SAD and ref and alt predictions, and the empirical p-value where calibrated;
    unscored alleles carry their status only. ``table`` is the ranked table's headline columns
    (``scores.headline_table``): the values at the top output, not every output's."""
    columns = ["chrom", "pos", "id", "ref", "alt", "status", "rank", "score", "top_target", "top_effect", "top_sad",
               "top_ref_pred", "top_alt_pred", "empirical_p"]
    rows = table[[column for column in columns if column in table]]
    rows = rows.assign(_order=rows["chrom"].map({c: i for i, c in enumerate(dict.fromkeys(rows["chrom"]))}))
    rows = rows.sort_values(["_order", "pos"], kind="mergesort")
    effect = EFFECT[task]
    calibrated = "empirical_p" in rows
    score = "largest |z| of the effect against background SNPs" if calibrated else f"largest |{effect}|"
    lines = ["##fileformat=VCFv4.2", "##source=cisflow",
             f'##INFO=<ID=STATUS,Number=1,Type=String,Description="cisflow check: {", ".join(STATUSES)}">',
             '##INFO=<ID=RANK,Number=1,Type=Integer,Description="Rank by SCORE (1 = strongest)">',
             f'##INFO=<ID=SCORE,Number=1,Type=Float,Description="The ranking score: {score} over the outputs">',
             '##INFO=<ID=TARGET,Number=1,Type=String,Description="Output the SCORE comes from">',
             f'##INFO=<ID=EFFECT,Number=1,Type=Float,Description="{effect} (alt - ref) at TARGET, both strands '
             f'averaged">',
             '##INFO=<ID=SAD,Number=1,Type=Float,Description="alt - ref of the predictions at TARGET">',
             '##INFO=<ID=REFPRED,Number=1,Type=Float,Description="Prediction for the ref allele at TARGET">',
             '##INFO=<ID=ALTPRED,Number=1,Type=Float,Description="Prediction for the alt allele at TARGET">',
             '##INFO=<ID=P,Number=1,Type=Float,Description="Empirical p of SCORE among the background SNPs">',
             f"##cisflow_targets={','.join(map(str, targets))}",
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for row in rows.to_dict("records"):  # target names need not be identifiers (HeLa-S3)
        info = f"STATUS={row['status']}"
        if pd.notna(row["score"]):
            target = row["top_target"]
            info += (f";RANK={row['rank']};SCORE={row['score']:.5g};TARGET={_info_text(target)}"
                     f";EFFECT={row['top_effect']:.5g};SAD={row['top_sad']:.5g}"
                     f";REFPRED={row['top_ref_pred']:.5g};ALTPRED={row['top_alt_pred']:.5g}")
            if calibrated:
                info += f";P={row['empirical_p']:.5g}"
        lines.append(f"{row['chrom']}\t{row['pos']}\t{row['id']}\t{row['ref']}\t{row['alt']}\t.\t.\t{info}")
    with atomic_open(path) as out:
        out.write("\n".join(lines) + "\n")


def _info_text(value):
    """A value safe inside a VCF INFO field (no spaces, semicolons, equals signs or commas)."""
    return str(value).translate(str.maketrans({" ": "_", ";": "_", "=": "_", ",": "_"}))
