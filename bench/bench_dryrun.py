"""How long snakemake takes before it runs anything: a dry run of the Basset study's whole DAG
(config/basset.yaml: 164 samples, 179 jobs), built from the config alone with nothing downloaded,
and of the demo once it is up to date (after `make demo`), beside the bare start-up of snakemake
(`snakemake --version`), run side by side. Aim: under 3 s for the Basset DAG on a workstation. Each
figure is a wall time with the CPU time beside it, which is what an idle machine would take where
this one is busy.

Also timed: the SLURM plugin's probe, which runs at every start of snakemake, local runs included:
where the SLURM client tools are installed, snakemake-executor-plugin-slurm asks `scontrol show
config` while it loads, and waits up to 10 s when no controller answers (a slurm.conf naming one that
is down). Where it is slow, every figure here carries it. bench/bench_basset_scale.py times the
Basset DAG's dry run with every output present.

Prints `bench <name>: <value> <unit>` lines.
"""

import os
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
    """Median wall and CPU seconds (user + system, the command's processes all told) of ``command``,
    and its output. On a busy machine the wall time is the CPU time plus the wait for a core."""
    walls, cpus = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as process:
            output = process.stdout.read().decode(errors="replace")
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
        walls.append(time.perf_counter() - start)
        cpus.append(usage.ru_utime + usage.ru_stime)
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{output[-2000:]}")
    return statistics.median(walls), statistics.median(cpus), output


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
    """Median wall and CPU seconds of `snakemake -n` on config/basset.yaml in the empty folder ``work``,
    and the jobs it plans."""
    config = yaml.safe_load(open(ROOT / "config/basset.yaml"))
    config["samples"] = str(ROOT / config["samples"])  # relative to the working directory, which is ``work``
    with open(work / "basset.yaml", "w") as out:
        yaml.safe_dump(config, out)
    wall, cpu, output = seconds([*SNAKEMAKE, "-n", "--configfile", str(work / "basset.yaml"), "--directory", str(work)])
    jobs = re.search(r"^total\s+(\d+)", output, re.MULTILINE)
    return wall, cpu, int(jobs.group(1)) if jobs else 0


def main():
    probe = slurm_probe()
    if probe is not None:
        note = (" (scontrol finds no controller: every snakemake start waits this long; README, "
                "'On a SLURM cluster')" if probe > 1 else "")
        print(f"bench dryrun_slurm_probe: {probe:.2f} s{note}")
    startup, startup_cpu, _ = seconds([*SNAKEMAKE, "--version"])
    print(f"bench dryrun_snakemake_startup: {startup:.2f} s ({startup_cpu:.2f} s CPU)")
    with tempfile.TemporaryDirectory() as work:
        basset, basset_cpu, jobs = basset_dry_run(Path(work))
    print(f"bench dryrun_basset_dag: {basset:.2f} s ({basset_cpu:.2f} s CPU; {jobs} jobs planned, built from "
          "config/basset.yaml alone)")
    print(f"bench dryrun_basset_over_startup: {basset_cpu / startup_cpu:.1f} x (CPU)")
    if not (ROOT / "results/report/index.html").exists():
        print("bench dryrun_demo: skipped (no finished demo: run make demo first)")
        return
    dry_run, dry_run_cpu, output = seconds([*SNAKEMAKE, "-n"])
    state = "up to date" if "Nothing to be done" in output else "NOT up to date (jobs planned)"
    print(f"bench dryrun_demo_{'up_to_date' if state == 'up to date' else 'with_jobs'}: {dry_run:.2f} s "
          f"({dry_run_cpu:.2f} s CPU; {state})")


if __name__ == "__main__":
    main()
