"""The checks a CUDA machine runs in one go, in under 8 minutes on one H100 (``bench/device_check.sh``).

In the order they run (the short, sure ones first, so a run cut short still leaves them):

* ``diff``: the exact Basset (600 bp, 164 outputs), the same seeded weights on the device and on the
  CPU in fp32, on the same inputs: the largest |difference| of ``predict``'s probabilities with the
  device in fp32 (as it runs by default; on CUDA also with TF32 off) and under bf16 autocast, and
  of the variant effects (``logodds_*`` of ``score_variants``, the device's precision 'auto' against
  the CPU's 'fp32') with the Spearman correlation of each SNP's ``max_abs_effect``; the largest
  |logit| and |log-odds effect| give the scale.
* ``variants``: ``score_variants`` (precision 'auto': the shared ref pass in bf16 on CUDA, the
  workflow's batch size) of an ensemble of three exact Basset models and of one of them, in SNPs/s,
  on bench_variants.py's simulated genome and SNPs, and the ensemble's time against three singles'.
* ``train``: training throughput (sequences/s) of cisflow's own loop (``run_epoch`` over
  ``TrainingBatches``, the split held on the device, bf16 autocast on CUDA) for the exact Basset
  (classification) and the Camformers model (110 nt, one regression target), eager and under
  ``torch.compile``; each run starts with a short warm-up epoch, whose seconds (the compile time
  for a compiled model) are given too.
* ``ddp``: on a machine with several GPUs, the exact Basset trained through cisflow's own launcher
  (``cisflow.training.launch.train_member(..., gpus=N)``: torchrun, one DDP process a GPU, 1024 sequences a
  GPU a step) against one GPU, sequences/s from the history it writes (the last of two epochs,
  including its pass over a small valid split). With one GPU it is skipped.

Prints `bench <name>: <value> <unit>` lines, nothing else on stdout (notes go to the log, on stderr);
exits 1 if a section failed (the others still run). ``--smoke`` runs every section at toy sizes, on
the CPU where there is no GPU (there ``torch.compile`` uses its 'eager' backend, which traces the
model without generating code, and DDP runs two gloo processes), to try the code paths.

``python bench/device_check.py [--smoke] [diff|variants|train|ddp ...]``
"""

import argparse
import copy
import dataclasses
import logging
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_variants import SEQ_LEN, TARGETS, simulated  # noqa: E402
from cisflow.config.settings import Training  # noqa: E402
from cisflow.data.dataset import load_dataset, write_dataset  # noqa: E402
from cisflow.models.ensemble import Ensemble  # noqa: E402
from cisflow.models.predict import device, predict, predict_strands, strand_mean  # noqa: E402
from cisflow.models.registry import build, build_for_dataset  # noqa: E402
from cisflow.training.batches import TrainingBatches  # noqa: E402
from cisflow.training.launch import train_member  # noqa: E402
from cisflow.training.scaling import TargetScale  # noqa: E402
from cisflow.training.train import DEFAULT_LOSS, LOSSES, make_optimizer, run_epoch  # noqa: E402
from cisflow.variants.checks import check_variants  # noqa: E402
from cisflow.variants.scoring import effect_columns, score_variants  # noqa: E402

log = logging.getLogger("device_check")

SECTIONS = ["diff", "variants", "train", "ddp"]
# name: (sequence length, targets, task) as published
TRAINED = {"basset": (SEQ_LEN, TARGETS, "classification"), "camformer": (110, 1, "regression")}
SIZES = {  # full on CUDA, toy with --smoke
    False: dict(batch=1024, steps=200, warmup=3, ddp_steps=100, ddp_valid=1024, snps=20_000, diff_snps=300,
                diff_seqs=1024),
    True: dict(batch=8, steps=3, warmup=2, ddp_steps=2, ddp_valid=32, snps=24, diff_snps=12, diff_seqs=16),
}
NO_AUGMENTATION = Training.from_mapping({"reverse_complement": False, "shift": 0})
ENSEMBLE = 3
META = {"dataset": {"task": "classification", "seq_len": SEQ_LEN, "targets": [f"t{i}" for i in range(TARGETS)]}}


def bench(name, value, unit):
    print(f"bench {name}: {value} {unit}", flush=True)


def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def basset(seed, dev):
    torch.manual_seed(seed)
    return build("basset", seq_len=SEQ_LEN, n_targets=TARGETS).to(dev).eval()


def diff(dev, sizes, genome, checked):
    """Device against CPU fp32, the same weights and inputs."""
    cpu = basset(0, torch.device("cpu"))
    model = copy.deepcopy(cpu).to(dev)
    codes = np.random.default_rng(1).integers(0, 4, (sizes["diff_seqs"], SEQ_LEN), dtype=np.uint8)
    logits = predict_strands(cpu, codes)
    reference = strand_mean(logits, "classification")  # = predict(cpu, codes, "classification")

    def max_diff(**autocast):
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bool(autocast)):
            return f"{np.abs(predict(model, codes, 'classification') - reference).max():.2e}"

    bench(f"diff_prob_{dev.type}_fp32_vs_cpu_fp32", max_diff(), f"max |dp| ({len(codes)} sequences x {TARGETS})")
    bench(f"diff_prob_{dev.type}_bf16_autocast_vs_cpu_fp32", max_diff(bf16=True), "max |dp|")
    bench("diff_scale_max_abs_logit", f"{np.abs(logits).max():.3g}", "logit (CPU fp32)")

    few = checked.head(sizes["diff_snps"])
    on_cpu = score_variants(cpu, META, genome, few, precision="fp32")
    on_dev = score_variants(model, META, genome, few, precision="auto")
    columns = effect_columns(on_cpu, "classification")
    delta = np.abs(on_dev[columns].to_numpy(np.float64) - on_cpu[columns].to_numpy(np.float64))
    bench(f"diff_logodds_{dev.type}_auto_vs_cpu_fp32", f"{np.nanmax(delta):.2e}",
          f"max |d log-odds| ({len(few)} SNPs x {len(columns)} outputs)")
    rho = spearmanr(on_cpu["max_abs_effect"], on_dev["max_abs_effect"]).statistic
    bench("diff_max_abs_effect_spearman", f"{rho:.4f}", "rho")
    bench("diff_scale_max_abs_logodds", f"{np.nanmax(np.abs(on_cpu[columns].to_numpy())):.3g}", "log-odds (CPU fp32)")

    if dev.type == "cuda":  # fp32 convolutions run in TF32 on CUDA unless told not to (torch's default)
        tf32 = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
        log.info("cuDNN TF32 %s, matmul TF32 %s (as cisflow runs)", *tf32)
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
        try:
            bench("diff_prob_cuda_fp32_no_tf32_vs_cpu_fp32", max_diff(), "max |dp|")
        finally:
            torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = tf32


def variants(dev, sizes, genome, checked):
    """An ensemble's variant scoring against one member's."""
    members = [basset(seed, dev) for seed in range(ENSEMBLE)]
    seconds = {}
    for name, model in [("single", members[0]), ("ensemble", Ensemble(members, [f"m{i}" for i in range(ENSEMBLE)]))]:
        score_variants(model, META, genome, checked.head(min(64, len(checked) // 2)), "auto")  # warm-up
        sync(dev)
        start = time.perf_counter()
        score_variants(model, META, genome, checked, "auto")
        sync(dev)
        seconds[name] = time.perf_counter() - start
    bench("variants_basset_auto", f"{len(checked) / seconds['single']:.0f}", "SNPs/s")
    bench(f"variants_ensemble{ENSEMBLE}_auto", f"{len(checked) / seconds['ensemble']:.0f}", "SNPs/s")
    ratio = seconds["ensemble"] / (ENSEMBLE * seconds["single"])
    bench(f"variants_ensemble{ENSEMBLE}_vs_{ENSEMBLE}_singles", f"{ratio:.2f}", "x the time")


def synthetic(path, seq_len, n_targets, task, n_train, n_valid=0):
    """A dataset of random sequences and targets (0/1, or normal for regression), as cisflow reads it."""
    rng = np.random.default_rng(0)
    n = n_train + n_valid
    targets = rng.integers(0, 2, (n, n_targets)) if task == "classification" else rng.normal(size=(n, n_targets))
    write_dataset(path, rng.integers(0, 4, (n, seq_len), dtype=np.uint8), targets,
                  np.repeat(np.array([0, 1], np.uint8), [n_train, n_valid]), [f"s{i}" for i in range(n)],
                  {"task": task, "targets": [f"t{i}" for i in range(n_targets)]})
    return load_dataset(path)


def train_rate(name, model, data, task, dev, sizes, compiled):
    """(sequences/s of ``sizes['steps']`` steps of cisflow's epoch loop, seconds of the warm-up epoch
    before them): the split held on the device, autocast as ``run_epoch`` does it."""
    torch.manual_seed(0)  # the same dropout in both runs
    stepper = model
    if compiled:
        stepper = torch.compile(model, **({} if dev.type == "cuda" else {"backend": "eager"}))
    rows = data.indices("train")
    scale = TargetScale.fit(data.targets, task, rows)
    optimizer = make_optimizer("adam", model.parameters(), 1e-3, 0.0)
    loss_fn = LOSSES[DEFAULT_LOSS[task]]()
    generator = torch.Generator().manual_seed(0)
    batches = TrainingBatches(data, rows, scale, sizes["batch"], dev, 2**34)
    sync(dev)
    start = time.perf_counter()
    run_epoch(stepper, batches, loss_fn, optimizer, NO_AUGMENTATION, generator, dev, sizes["warmup"])
    sync(dev)
    warmup = time.perf_counter() - start
    start = time.perf_counter()
    loss, seen = run_epoch(stepper, batches, loss_fn, optimizer, NO_AUGMENTATION, generator, dev, sizes["steps"])
    sync(dev)
    rate = seen / (time.perf_counter() - start)
    log.info("%s%s: loss %.4f over %d sequences, %.0f sequences/s", name, " compiled" if compiled else "", loss,
             seen, rate)
    return rate, warmup


def train(dev, sizes, tmp):
    """Each model eager, then compiled (a compile that fails is logged, and the next model still runs)."""
    precision, failed = "bf16" if dev.type == "cuda" else "fp32", []
    if dev.type != "cuda":
        log.info("on the CPU: fp32 (no autocast), and torch.compile with its 'eager' backend (no code generated)")
    for name, (seq_len, n_targets, task) in TRAINED.items():
        data = synthetic(tmp / f"train_{name}", seq_len, n_targets, task, sizes["batch"] * sizes["steps"])
        torch.manual_seed(0)
        model = build_for_dataset(name, data.attrs, {}).to(dev)
        fresh = copy.deepcopy(model)
        eager, _ = train_rate(name, model, data, task, dev, sizes, compiled=False)
        bench(f"train_{name}_{precision}", f"{eager:.0f}", f"seq/s (batch {sizes['batch']}, {sizes['steps']} steps)")
        try:
            compiled, seconds = train_rate(name, fresh, data, task, dev, sizes, compiled=True)
            bench(f"train_{name}_{precision}_compiled", f"{compiled:.0f}", "seq/s")
            bench(f"train_{name}_compile", f"{seconds:.1f}", f"s (the warm-up epoch of {sizes['warmup']} steps)")
            bench(f"train_{name}_compile_speedup", f"{compiled / eager:.2f}", "x")
        except Exception:
            failed.append(name)
            log.error("%s under torch.compile failed:\n%s", name, traceback.format_exc())
        del model, fresh, data
        if dev.type == "cuda":
            torch.cuda.empty_cache()
    if failed:
        raise RuntimeError(f"torch.compile failed for {', '.join(failed)}")


def ddp(dev, sizes, tmp):
    """The exact Basset as one DDP process a GPU (cisflow's launcher) against one process."""
    gpus = torch.cuda.device_count()
    bench("device_ddp_gpus", gpus, "GPUs")
    processes = gpus if gpus > 1 else 2 if dev.type == "cpu" else 1
    if processes == 1:
        log.info("DDP skipped: one GPU")
        return
    if dev.type == "cpu":
        log.info("DDP on the CPU: %d gloo processes", processes)
    batch, steps = sizes["batch"], sizes["ddp_steps"]
    path = tmp / "ddp"
    synthetic(path, SEQ_LEN, TARGETS, "classification", processes * batch * steps, sizes["ddp_valid"])
    training = dataclasses.replace(NO_AUGMENTATION, epochs=2, optimizer="adam", lr=1e-3, weight_decay=0.0, patience=10,
                                   lr_patience=3, seed=0, resident_limit_gb=16, selection="auto", compile=False,
                                   max_steps_per_epoch=steps)
    rates = {}
    for n in (1, processes):
        out = tmp / f"ddp_{n}"
        out.mkdir()
        train_member(str(path), {"name": "basset", "params": {}}, dataclasses.replace(training, batch_size=batch * n),
                     out / "model.pt", out / "history.tsv", gpus=n, log_path=out / "train.log")
        rates[n] = pd.read_csv(out / "history.tsv", sep="\t")["seqs_per_s"].iloc[-1]
    unit = "gpu" if dev.type == "cuda" else "proc"
    bench(f"ddp_basset_1{unit}", f"{rates[1]:.0f}", f"seq/s (batch {batch} a process, {steps} steps)")
    bench(f"ddp_basset_{processes}{unit}", f"{rates[processes]:.0f}", "seq/s")
    bench("ddp_basset_speedup", f"{rates[processes] / rates[1]:.2f}", f"x (of {processes})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sections", nargs="*", help=f"of {' '.join(SECTIONS)} (default: all)")
    parser.add_argument("--smoke", action="store_true", help="toy sizes, on the CPU where there is no GPU")
    args = parser.parse_args()
    if set(args.sections) - set(SECTIONS):
        parser.error(f"sections are {', '.join(SECTIONS)}")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s")
    dev = device()
    if dev.type != "cuda" and not args.smoke:
        sys.exit("device_check: no CUDA device; this is for a GPU machine (--smoke runs it on the CPU at toy sizes)")
    sizes = SIZES[args.smoke]
    sections = args.sections or SECTIONS
    log.info("torch %s on %s; sections %s%s", torch.__version__,
             torch.cuda.get_device_name(dev) if dev.type == "cuda" else "the CPU", " ".join(sections),
             " (smoke)" if args.smoke else "")
    started, failed = time.perf_counter(), []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        genome, vcf = simulated(tmp, max(sizes["snps"], sizes["diff_snps"]))
        checked = check_variants(vcf, genome, SEQ_LEN, "skip").head(sizes["snps"])
        runs = {"diff": lambda: diff(dev, sizes, genome, checked),
                "variants": lambda: variants(dev, sizes, genome, checked),
                "train": lambda: train(dev, sizes, tmp), "ddp": lambda: ddp(dev, sizes, tmp)}
        for section in [s for s in SECTIONS if s in sections]:
            begun = time.perf_counter()
            try:
                runs[section]()
            except Exception:
                failed.append(section)
                log.error("section %s failed:\n%s", section, traceback.format_exc())
            log.info("section %s: %.1f s", section, time.perf_counter() - begun)
        genome.close()
    log.info("all: %.1f s%s", time.perf_counter() - started, f"; failed: {' '.join(failed)}" if failed else "")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
