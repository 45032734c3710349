"""Run the workflow on (a variant of) the demo in a temporary working directory."""

import copy
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# A hang guard, not a speed check: a demo run takes minutes on 2 idle cores and may take ten times
# that on a loaded CI machine; only a run that never ends should meet it.
HANG_GUARD = 3 * 3600  # seconds


def demo_config():
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def write_config(workdir, config, samples=None):
    """Write ``config`` into ``workdir`` with the demo's relative paths made absolute."""
    config = copy.deepcopy(config)
    for source in [config["genome"], *config["tables"].values()]:
        source["url"] = str(ROOT / source["url"])
    for entry in config["variants"].values():
        for source in entry.values():
            if isinstance(source, dict) and "url" in source:
                source["url"] = str(ROOT / source["url"])
    sheet = (ROOT / config["samples"]).read_text().splitlines()
    rows = [line.split("\t") for line in sheet[1:]]
    for row in rows:
        row[1] = str(samples.get(row[0], ROOT / row[1]) if samples else ROOT / row[1])
        if samples and row[0] in samples:
            row[2] = ""
    (workdir / "samples.tsv").write_text("\n".join(["\t".join(r) for r in [sheet[0].split("\t"), *rows]]) + "\n")
    config["samples"] = str(workdir / "samples.tsv")
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def snakemake(workdir, config_path, *args, timeout=HANG_GUARD):
    """Run snakemake on the repository's Snakefile in ``workdir``; returns the CompletedProcess."""
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory",
               str(workdir), "--configfile", str(config_path), "--cores", "2", "--show-failed-logs", *args]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
