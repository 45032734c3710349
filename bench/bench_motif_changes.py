"""The motif each SNP breaks or makes (``cisflow.variants.motif_changes``) against JASPAR2024 CORE
vertebrates (879 motifs, both strands, every window holding the SNP), against scoring the same SNPs
with the exact Basset (600 bp, 164 outputs, both strands; ``score_variants`` as bench_variants.py
runs it), on the simulated genome of bench_variants.py.

The annotation's time includes reading JASPAR and the motifs' exact thresholds; the scoring is the
best of ``REPEATS`` runs of ``N_SCORE`` SNPs (a busy machine's pauses fall on some). The ratio is of
the time a SNP (aim: under 1, the annotation cheaper than the scoring).

Prints `bench <name>: <value> <unit>` lines.
"""

import sys
import tempfile
import time
from pathlib import Path

from cisflow.config.schema import key_schema
from cisflow.interpret.jaspar import load_jaspar
from cisflow.models.predict import device
from cisflow.variants.checks import check_variants
from cisflow.variants.motif_changes import motif_changes
from cisflow.variants.scoring import score_variants

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.bench_variants import PRECISION, SEQ_LEN, exact_basset, simulated  # noqa: E402

N_ANNOTATE = 200_000  # the GWAS-scale set
N_SCORE = {"cpu": 400, "cuda": 20_000}
REPEATS = 3
P_VALUE = key_schema("variants.*.motif_p_value")["default"]  # a variant set's, where the config sets none


def main():
    dev = device()
    model, meta = exact_basset(dev)
    with tempfile.TemporaryDirectory() as tmp:
        genome, vcf = simulated(Path(tmp), N_ANNOTATE)
        rows = vcf.rename(columns={"ref": "score_ref", "alt": "score_alt"})  # REF is the genome's base
        start = time.perf_counter()
        changes = motif_changes(Path(tmp) / "genome.fa", rows, load_jaspar("JASPAR2024", "vertebrates"), P_VALUE)
        annotate = (time.perf_counter() - start) / len(rows)
        checked = check_variants(vcf.head(N_SCORE[dev.type]), genome, SEQ_LEN, "skip")
        score_variants(model, meta, genome, checked.head(64), PRECISION)  # warm-up
        runs = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            score_variants(model, meta, genome, checked, PRECISION, batch_size=512)
            runs.append(time.perf_counter() - start)
        score = min(runs) / len(checked)
        genome.close()
    named = changes["motif"].ne("").mean()
    print(f"bench motif_changes_jaspar_vertebrates: {1 / annotate:.0f} SNPs/s ({N_ANNOTATE:,} SNPs in "
          f"{annotate * N_ANNOTATE:.0f} s; a motif named at p < {P_VALUE:g} for {named:.0%} of these random SNPs)")
    print(f"bench motif_changes_basset_scoring: {1 / score:.0f} SNPs/s ({N_ANNOTATE:,} SNPs in "
          f"{score * N_ANNOTATE:.0f} s, from {len(checked)})")
    print(f"bench motif_changes_vs_scoring: {annotate / score:.3f} x the time a SNP")


if __name__ == "__main__":
    main()
