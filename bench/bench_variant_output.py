"""Writing the ranked variants of a genome-scale set: 200,000 SNPs x 164 outputs (Basset).

A calibrated row holds ref, alt, sad, logodds, log2fc, z and p of every output (1,148 floats) beside
its headline columns. The baseline is how earlier releases wrote it: the whole table as gzipped
text (``write_tsv``, pandas ``to_csv`` at ``%.5g``), timed on the first ``SUBSAMPLE`` rows and
extrapolated; against it, what the variants rule writes now (``cisflow.variants.scores``): the
ranked TSV of the headline columns of every row and the Parquet file of every column.

Prints `bench <name>: <value> <unit>` lines.
"""

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cisflow.io.textio import write_tsv
from cisflow.variants.scores import PER_OUTPUT, headline_table, write_scores
from cisflow.variants.scoring import rank_variants

N_SNPS, TARGETS, SUBSAMPLE = 200_000, [f"t{i}" for i in range(164)], 2_000


def ranked_table(n, targets, seed=0):
    """A calibrated table of ``n`` scored SNPs shaped as the variants rule ranks it (per-output
    columns float32, as ``scoring`` and ``calibration`` hold them)."""
    rng = np.random.default_rng(seed)
    head = pd.DataFrame({"id": [f"rs{i}" for i in range(n)], "chrom": "chr1", "pos": np.arange(n) * 15 + 1_000,
                         "ref": rng.choice(list("ACGT"), n), "alt": rng.choice(list("ACGT"), n),
                         "line": np.arange(n) + 2, "multiallelic": False, "traits": "", "site": np.arange(n),
                         "alt_from": "vcf", "ref_match": True, "status": "scored"})
    head["score_ref"], head["score_alt"] = head["ref"], head["alt"]
    per_output = pd.DataFrame(rng.standard_normal((n, len(PER_OUTPUT) * len(targets)), dtype=np.float32),
                              columns=[f"{prefix}_{t}" for prefix in PER_OUTPUT for t in targets])
    z = per_output[[f"z_{t}" for t in targets]].to_numpy()
    summary = pd.DataFrame({"max_abs_sad": rng.random(n), "max_abs_effect": rng.random(n),
                            "top_target": np.asarray(targets)[np.abs(z).argmax(axis=1)],
                            "max_abs_z": np.abs(z).max(axis=1), "empirical_p": rng.random(n)})
    summary["score"] = summary["max_abs_z"]
    return rank_variants(pd.concat([head, per_output, summary], axis=1))


def main():
    ranked = ranked_table(N_SNPS, TARGETS)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        start = time.perf_counter()
        write_tsv(ranked.head(SUBSAMPLE), tmp / "old.tsv.gz")
        old_rate = SUBSAMPLE / (time.perf_counter() - start)
        start = time.perf_counter()
        table = headline_table(ranked, TARGETS, "classification")
        write_tsv(table, tmp / "new.tsv.gz")
        write_scores(table, ranked, tmp / "new.scores.parquet", TARGETS)
        new = time.perf_counter() - start
        size = (tmp / "new.scores.parquet").stat().st_size / 2**20
    old = N_SNPS / old_rate
    print(f"bench variant_output_old: {old_rate:.0f} rows/s (whole table as gzipped text, {SUBSAMPLE} rows of "
          f"{ranked.shape[1]} columns; {old:.0f} s for {N_SNPS})")
    print(f"bench variant_output_new: {new:.1f} s ({N_SNPS} SNPs x {len(TARGETS)} outputs: ranked TSV of the "
          f"headline columns and Parquet of those and every output's, {size:.0f} MiB)")
    print(f"bench variant_output_new_vs_old: {old / new:.0f} x")


if __name__ == "__main__":
    main()
