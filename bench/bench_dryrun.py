"""How long `snakemake -n` takes on the demo once it is up to date (aim: under 3 s), beside the
bare start-up of snakemake (`snakemake --version`), run side by side.

Run after `make demo`; without a finished demo it says so and measures nothing.
Prints `bench <name>: <value> <unit>` lines.
"""

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def seconds(command, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return statistics.median(times), result.stdout + result.stderr


def main():
    if not (ROOT / "results/report/index.html").exists():
        print("bench dryrun: skipped (no finished demo: run make demo first)")
        return
    startup, _ = seconds([*SNAKEMAKE, "--version"])
    dry_run, output = seconds([*SNAKEMAKE, "-n"])
    state = "up to date" if "Nothing to be done" in output else "NOT up to date (jobs planned)"
    print(f"bench dryrun_snakemake_startup: {startup:.2f} s")
    print(f"bench dryrun_demo_{'up_to_date' if state == 'up to date' else 'with_jobs'}: {dry_run:.2f} s ({state})")
    print(f"bench dryrun_over_startup: {dry_run / startup:.1f} x")


if __name__ == "__main__":
    main()
