"""How long snakemake takes before it runs anything: a dry run of the Basset study's whole DAG
(config/basset.yaml: 164 samples, 179 jobs), built from the config alone with nothing downloaded,
and of the demo once it is up to date (after `make demo`), beside the bare start-up of snakemake
(`snakemake --version`), run side by side. Aim: under 3 s for the Basset DAG on a workstation.

Also timed: the SLURM plugin's probe, which runs at every start of snakemake, local runs included:
where the SLURM client tools are installed, snakemake-executor-plugin-slurm asks `scontrol show
config` while it loads, and waits up to 10 s when no controller answers (a slurm.conf naming one that
is down). Where it is slow, every figure here carries it. bench/bench_basset_scale.py times the
Basset DAG's dry run with every output present.

Prints `bench <name>: <value> <unit>` lines.
"""

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
PROBE_TIMEOUT = 10  # seconds snakemake-executor-plugin-slurm 2.8 waits for `scontrol show config`


def seconds(command, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return statistics.median(times), result.stdout + result.stderr


def slurm_probe():
    """Seconds `scontrol show config` takes (capped as the plugin caps it); None without SLURM's clients."""
    if shutil.which("sinfo") is None or shutil.which("scontrol") is None:  # the plugin probes only then
        return None
    start = time.perf_counter()
    try:
        subprocess.run(["scontrol", "show", "config"], capture_output=True, timeout=PROBE_TIMEOUT)
    except subprocess.TimeoutExpired:
        pass
    return time.perf_counter() - start


def basset_dry_run(work):
    """Median seconds of `snakemake -n` on config/basset.yaml in the empty folder ``work``, and the jobs planned."""
    config = yaml.safe_load(open(ROOT / "config/basset.yaml"))
    config["samples"] = str(ROOT / config["samples"])  # relative to the working directory, which is ``work``
    with open(work / "basset.yaml", "w") as out:
        yaml.safe_dump(config, out)
    dry_run, output = seconds([*SNAKEMAKE, "-n", "--configfile", str(work / "basset.yaml"), "--directory", str(work)])
    jobs = re.search(r"^total\s+(\d+)", output, re.MULTILINE)
    return dry_run, int(jobs.group(1)) if jobs else 0


def main():
    probe = slurm_probe()
    if probe is not None:
        note = (" (scontrol finds no controller: every snakemake start waits this long; README, "
                "'On a SLURM cluster')" if probe > 1 else "")
        print(f"bench dryrun_slurm_probe: {probe:.2f} s{note}")
    startup, _ = seconds([*SNAKEMAKE, "--version"])
    print(f"bench dryrun_snakemake_startup: {startup:.2f} s")
    with tempfile.TemporaryDirectory() as work:
        basset, jobs = basset_dry_run(Path(work))
    print(f"bench dryrun_basset_dag: {basset:.2f} s ({jobs} jobs planned, built from config/basset.yaml alone)")
    print(f"bench dryrun_basset_over_startup: {basset / startup:.1f} x")
    if not (ROOT / "results/report/index.html").exists():
        print("bench dryrun_demo: skipped (no finished demo: run make demo first)")
        return
    dry_run, output = seconds([*SNAKEMAKE, "-n"])
    state = "up to date" if "Nothing to be done" in output else "NOT up to date (jobs planned)"
    print(f"bench dryrun_demo_{'up_to_date' if state == 'up to date' else 'with_jobs'}: {dry_run:.2f} s ({state})")


if __name__ == "__main__":
    main()
