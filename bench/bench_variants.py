"""Variant-effect scoring with the exact Basset model (600 bp, 164 outputs), both strands.

cisflow's ``score_variants`` reads each window once from the indexed genome, runs the ref windows
through the model in large batches and recomputes for the alt allele only what the substitution
changes (``cisflow.variants.snv_effects``), on both strands: in fp32, and with the shared ref pass in
bf16 where the hardware has it (``precision`` auto). The baseline
scores one variant at a time (its ref and alt windows, each strand a forward pass), as a loop over
a VCF would. Both score the same SNPs on the same simulated genome in this run. For comparison:
Selene 0.6.0 scored 94 SNPs/s with this model on these 2 cores (measured on this project's machines).

An ensemble of ``ENSEMBLE`` such models (an experiment's replicates) scores the SNPs once, each
window read and encoded once for all members, against the same number of single-model runs, as
the time ratio (aim: at most 1).

The arithmetic rate is also given as a fraction of the CPU's fp32 (and bf16) peak, estimated from its clock,
core count and vector width (AVX-512: two 16-lane FMA units a core); it counts four full forward
passes a SNP (what the work would be without the shared computation), so it can exceed 1. On
CUDA, SNPs/s only.

Prints `bench <name>: <value> <unit>` lines.
"""

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.flop_counter import FlopCounterMode

from cisflow.config.schema import key_schema
from cisflow.io.genome import open_genome, prepare_genome
from cisflow.models.ensemble import Ensemble
from cisflow.models.predict import device, one_hot, predict
from cisflow.models.registry import build
from cisflow.variants.checks import check_variants
from cisflow.variants.scoring import score_variants
from cisflow.variants.snv_effects import bf16_is_fast
from cisflow.variants.windows import variant_windows

SEQ_LEN, TARGETS = 600, 164
N_SNPS = {"cpu": 400, "cuda": 100_000}
ENSEMBLE = 3  # members of the ensemble against as many single runs
REPEATS = 3  # runs of each, alternated
PRECISION = key_schema("variants.*.precision")["default"]  # a variant set's, where the config sets none


def simulated(tmp, n):
    rng = np.random.default_rng(0)
    sequence = "".join(rng.choice(list("ACGT"), 2_000_000))
    (tmp / "src.fa").write_text(">chr1\n" + "\n".join(sequence[i : i + 60] for i in range(0, len(sequence), 60)) + "\n")
    prepare_genome(tmp / "src.fa", tmp / "genome.fa")
    positions = np.sort(rng.choice(np.arange(1000, len(sequence) - 1000), n, replace=False)) + 1
    refs = [sequence[p - 1] for p in positions]
    alts = [rng.choice([b for b in "ACGT" if b != r]) for r in refs]
    vcf = pd.DataFrame({"id": [f"rs{i}" for i in range(n)], "chrom": "chr1", "pos": positions, "ref": refs,
                        "alt": alts, "line": np.arange(n) + 1})
    return open_genome(tmp / "genome.fa"), vcf


def one_at_a_time(model, meta, genome, checked):
    """Each SNP on its own: read its window, predict ref and alt on both strands."""
    centre = SEQ_LEN // 2
    for row in checked.itertuples():
        ref = variant_windows(genome, row.chrom, [row.pos], SEQ_LEN)
        alt = ref.copy()
        alt[:, centre] = "ACGT".index(row.score_alt)
        predict(model, ref, "classification", 1, both_strands=True)
        predict(model, alt, "classification", 1, both_strands=True)


def cpu_peaks(dev):
    """Estimated fp32 and bf16 peak FLOP/s of the CPU cores torch uses ({} where unknown): two
    FMA units a core; bf16 on AMX 1,024 FLOPs a cycle a core, on AVX512-BF16 twice fp32."""
    info = Path("/proc/cpuinfo").read_text() if dev.type == "cpu" and Path("/proc/cpuinfo").exists() else ""
    mhz = [float(line.split(":")[1]) for line in info.splitlines() if line.startswith("cpu MHz")]
    if not mhz:
        return {}
    cycles = torch.get_num_threads() * mhz[0] * 1e6
    fp32 = cycles * 2 * (16 if "avx512f" in info else 8) * 2
    bf16 = cycles * 1024 if "amx_bf16" in info else 2 * fp32 if "avx512_bf16" in info else None
    return {"fp32": fp32, "bf16": bf16}


def exact_basset(dev, seed=0):
    """The exact Basset (``SEQ_LEN`` bp, ``TARGETS`` outputs), seeded weights, on ``dev``, and its metadata."""
    torch.manual_seed(seed)
    model = build("basset", seq_len=SEQ_LEN, n_targets=TARGETS).to(dev).eval()
    return model, {"dataset": {"task": "classification", "seq_len": SEQ_LEN,
                               "targets": [f"t{i}" for i in range(TARGETS)]}}


def main():
    dev = device()
    model, meta = exact_basset(dev)
    with tempfile.TemporaryDirectory() as tmp:
        genome, vcf = simulated(Path(tmp), N_SNPS[dev.type])
        checked = check_variants(vcf, genome, SEQ_LEN, "skip")
        rates = {}
        for precision in ["fp32", "bf16"] if bf16_is_fast(dev) else ["fp32"]:
            score_variants(model, meta, genome, checked.head(64), precision=precision)  # warm-up
            start = time.perf_counter()
            score_variants(model, meta, genome, checked, batch_size=512, precision=precision)
            rates[precision] = len(checked) / (time.perf_counter() - start)
        members = []
        for seed in range(ENSEMBLE):
            torch.manual_seed(seed)
            members.append(build("basset", seq_len=SEQ_LEN, n_targets=TARGETS).to(dev).eval())
        ensemble = Ensemble(members, [f"m{i}" for i in range(ENSEMBLE)])
        singles, together = [], []
        for _ in range(REPEATS):  # alternated, the best of each: a busy machine's pauses fall on either
            start = time.perf_counter()
            for member in members:
                score_variants(member, meta, genome, checked, PRECISION, batch_size=512)
            singles.append(time.perf_counter() - start)
            start = time.perf_counter()
            score_variants(ensemble, meta, genome, checked, PRECISION, batch_size=512)
            together.append(time.perf_counter() - start)
        singles, together = min(singles), min(together)
        few = checked.head(max(len(checked) // 10, 20))
        start = time.perf_counter()
        one_at_a_time(model, meta, genome, few)
        single = len(few) / (time.perf_counter() - start)
        genome.close()
    print(f"bench variants_one_at_a_time: {single:.1f} SNPs/s")
    print(f"bench variants_ensemble{ENSEMBLE}: {len(checked) / together:.1f} SNPs/s")
    print(f"bench variants_ensemble{ENSEMBLE}_vs_{ENSEMBLE}_singles: {together / singles:.2f} x the time")
    for precision, rate in rates.items():
        print(f"bench variants_cisflow_{precision}: {rate:.1f} SNPs/s")
        print(f"bench variants_{precision}_speedup: {rate / single:.1f} x")
        print(f"bench variants_{precision}_vs_selene_94: {rate / 94:.2f} x")
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(one_hot(torch.zeros(1, SEQ_LEN, dtype=torch.uint8, device=dev)))
    peaks = cpu_peaks(dev)
    for precision, rate in rates.items():
        achieved = 4 * counter.get_total_flops() * rate  # as if ref and alt, both strands, ran in full
        for kind in dict.fromkeys(["fp32", precision]) if peaks else ():
            if peaks[kind]:
                print(f"bench variants_{precision}_of_{kind}_peak: {achieved / peaks[kind]:.2f} of "
                      f"{peaks[kind] / 1e9:.0f} GFLOP/s ({torch.get_num_threads()} threads, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
