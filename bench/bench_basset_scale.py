"""The Basset study end to end on a simulated genome (bench/scale_data.py): time and peak memory of
each stage of the workflow, run by snakemake one stage at a time.

    python bench/bench_basset_scale.py                 # --scale 0.02: 62 Mb, 4 CPU-minutes
    python bench/bench_basset_scale.py --scale 1       # hg19's size: 3.1 Gb, 8.4M peaks, 200k SNPs
    python bench/bench_basset_scale.py --data DIR      # a case bench/scale_data.py wrote before

Without --data the case is written under resources/bench/basset-scale-<scale>-seed<seed> and kept
(written again when bench/scale_data.py is newer); the workflow runs in <data>/work, emptied first.
Each stage is one `snakemake --until <rule>` on the case's config (profiles/default's settings,
--cores), so a stage's figures are those of its own jobs: the wall seconds of that snakemake run
(snakemake's start-up included; the jobs' own seconds, from their logs, and the CPU seconds of all
its processes beside them, the latter what an idle machine would take at most; an earlier
stage run again, its parameters or script changed meanwhile, is named) and the peak RSS of its
largest process (the rusage of the snakemake run, which covers every process it waited for).
Training's throughput is read from the model's history; the closing dry run, every output
present, is what a user waits for before anything starts.

At --scale 1 plan on some 10 GB of disk (168 MB at 0.02: the genome uncompressed, the downloads, the
dataset) and, on two CPU cores, 5 minutes (idle, a CPU with native bf16) to half an hour (busy, or
fp32 only): evaluation and the 200,000 SNPs take the most.

Prints `bench basset_<stage>_seconds: ...` and `bench basset_<stage>_peak_rss: ... GiB` lines.
"""

import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import scale_data  # noqa: E402
from cisflow.io.logs import job_record  # noqa: E402

DEFAULT_SCALE = 0.02  # what `make bench` runs; --scale 1 for hg19's size
# Stage -> the rule snakemake runs up to, and the folder of its jobs' logs under logs/.
STAGES = {"download": "download", "genome": "genome", "intervals": "intervals", "dataset": "dataset",
          "train": "train", "evaluate": "evaluate", "interpret": "interpret", "variants": "variants",
          "report": "report"}
HISTORY = "results/models/{experiment}/*/history.tsv"  # rule train's output, a member each: seqs_per_s an epoch
RULE_RUN = re.compile(r"^(?:local)?rule (\w+):$", re.MULTILINE)  # snakemake's line for each job it runs


def snakemake(config, work, cores, *args):
    """Run snakemake on the case; return (wall seconds, CPU seconds of all its processes, peak RSS in bytes
    of the largest one, output)."""
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--configfile",
               str(config), "--directory", str(work), "--cores", str(cores), *args]
    started = time.monotonic()
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as process:
        output = process.stdout.read().decode(errors="replace")
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{output[-4000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, output


def job_seconds(work, stage):
    """The seconds the stage's jobs report in their logs (logs/<rule>/...), added up; None without any."""
    folder = work / "logs" / stage
    logs = sorted(folder.rglob("*.log")) if folder.is_dir() else [work / "logs" / f"{stage}.log"]
    records = [job_record(path) for path in logs if path.is_file()]
    seconds = [record["seconds"] for record in records if record and record["seconds"] is not None]
    return sum(seconds) if seconds else None


def throughput(work, experiment="basset"):
    """Training's sequences a second in its first epoch, from the (first member's) history; None without one."""
    paths = sorted(work.glob(HISTORY.format(experiment=experiment)))
    if not paths:
        return None
    path = paths[0]
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return float(rows[0]["seqs_per_s"]) if rows and rows[0].get("seqs_per_s") else None


def case_directory(args):
    """The case's directory: --data, or one written under resources/bench for --scale and --seed (again
    when bench/scale_data.py is newer than it)."""
    if args.data:
        data = Path(args.data).resolve()
        if not (data / "config.yaml").is_file():
            raise SystemExit(f"{data}: no config.yaml (write the case with bench/scale_data.py)")
        return data
    data = ROOT / "resources" / "bench" / f"basset-scale-{args.scale:g}-seed{args.seed}"
    config = data / "config.yaml"  # written last: without it the case is incomplete
    if not config.is_file() or config.stat().st_mtime < Path(scale_data.__file__).stat().st_mtime:
        counts = scale_data.generate(data, args.scale, seed=args.seed, log=lambda line: print(f"  scale_data: {line}"))
        print(f"bench basset_generate_seconds: {counts['seconds']:.1f} s ({counts['bases']:,} bases, "
              f"{counts['peaks']:,} peaks, {counts['snps']:,} SNPs; --scale {args.scale:g})")
    return data


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("--scale", type=float, default=DEFAULT_SCALE,
                        help=f"fraction of hg19's size for a case written here (default {DEFAULT_SCALE:g})")
    parser.add_argument("--seed", type=int, default=0, help="seed of a case written here (default 0)")
    parser.add_argument("--data", help="a case directory bench/scale_data.py wrote (its config.yaml is run)")
    parser.add_argument("--work", help="where the workflow runs (default <data>/work; emptied first)")
    parser.add_argument("--cores", type=int, default=2, help="snakemake --cores (default 2)")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # each stage's lines as it ends, also into a pipe
    if not 0 < args.scale <= 1:
        parser.error("--scale must be in (0, 1]")
    data = case_directory(args)
    work = Path(args.work).resolve() if args.work else data / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    config = data / "config.yaml"
    label = f"{data.name}" if args.data else f"--scale {args.scale:g}"
    for stage, rule in STAGES.items():
        seconds, cpu, rss, output = snakemake(config, work, args.cores, "--until", rule)
        own = job_seconds(work, stage)
        notes = [f"jobs {own:.1f} s"] if own is not None else []
        notes.append(f"CPU {cpu:.1f} s")
        others = sorted(set(RULE_RUN.findall(output)) - {rule, "all"})
        if others:  # an earlier stage run again (its script or parameters changed meanwhile)
            notes.append(f"also ran {', '.join(others)}")
        print(f"bench basset_{stage}_seconds: {seconds:.1f} s ({'; '.join([*notes, label])})")
        print(f"bench basset_{stage}_peak_rss: {rss / 2**30:.2f} GiB")
        if stage == "train" and (rate := throughput(work)) is not None:
            print(f"bench basset_train_seqs_per_s: {rate:,.0f} sequences/s (first epoch)")
    seconds, cpu, _, output = snakemake(config, work, args.cores, "--dry-run")
    state = "up to date" if "Nothing to be done" in output else "NOT up to date"
    print(f"bench basset_dryrun_done_seconds: {seconds:.1f} s (CPU {cpu:.1f} s; every output present: {state})")


if __name__ == "__main__":
    main()
