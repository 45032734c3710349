"""The reduced demo through a real single-node SLURM cluster on loopback (tools/slurm-cluster.sh),
run as a user would: `make install-profile`, then `snakemake --profile slurm`. Every job must go
through sbatch, training on the `gpu` partition with a GPU, the rest on `cpu`; sacct says where.
Without a cluster: the profile where SLURM's tools are missing or refuse a job."""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_workflow import reduced_config
from tests.workflow_helpers import HANG_GUARD, ROOT, demo_config, write_config

pytestmark = pytest.mark.workflow

CLUSTER = ROOT / "tools" / "slurm-cluster.sh"
GPU_RULES = {"train", "search_trials", "variants", "tracks"}  # set-resources in profiles/slurm: partition gpu, gpu: 1
LOCAL_RULES = {"all"}  # no action: Snakemake finishes it itself, nothing to submit
RUN_TIMEOUT = HANG_GUARD  # the run takes a few minutes on a 2-core CI machine
SACCT_FIELDS = "JobID,Comment%60,Partition,State,ExitCode,Elapsed,AllocTRES%50"


def _root_or_sudo():
    if os.geteuid() == 0:
        return True
    return bool(shutil.which("sudo")) and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0


def _cluster(action, timeout):
    return subprocess.run([str(CLUSTER), action], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def slurm_cluster():
    """The loopback cluster, started for this module and stopped after it (left alone if it was up)."""
    if not _root_or_sudo():
        reason = "needs root or password-less sudo: tools/slurm-cluster.sh installs and starts SLURM"
        if os.environ.get("CISFLOW_CI"):  # CI must run it
            pytest.fail(f"CISFLOW_CI is set but this test {reason}")
        pytest.skip(reason)
    was_up = _cluster("status", 60).returncode == 0
    started = time.time()
    result = _cluster("start", 900)
    print(f"\n[slurm] tools/slurm-cluster.sh start: {time.time() - started:.0f} s", file=sys.stderr)
    if result.returncode != 0:
        _cluster("stop", 120)
        pytest.fail(f"tools/slurm-cluster.sh start failed (exit {result.returncode}):\n"
                    f"{result.stdout[-5000:]}\n{result.stderr[-5000:]}")
    yield
    if not was_up:
        stopped = _cluster("stop", 120)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr


def _sacct(run_id, since):
    """The run's jobs as sacct lists them (its job name is the plugin's run ID), one dict each."""
    result = subprocess.run(
        ["sacct", "-X", "-P", "--name", run_id, "-S", time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(since)),
         "-o", SACCT_FIELDS], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"sacct failed: {result.stderr}"
    header, *rows = result.stdout.splitlines()
    names = [name.split("%")[0] for name in SACCT_FIELDS.split(",")]
    assert header.split("|") == names, result.stdout
    return [dict(zip(names, row.split("|"))) for row in rows], result.stdout


def _planned_jobs(output):
    """The run's "Job stats" table: rule -> number of jobs."""
    table = re.search(r"^Job stats:\n.*?\n-+\s+-+\n(.*?)^total\s", output, re.M | re.S)
    assert table, output[-5000:]
    return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", table.group(1), re.M)}


@pytest.mark.slurm
def test_reduced_demo_through_slurm_profile(slurm_cluster, tmp_path):
    xdg, workdir = tmp_path / "xdg", tmp_path / "run"
    workdir.mkdir()
    installed = subprocess.run(["make", "-C", str(ROOT), "install-profile", f"XDG_CONFIG_HOME={xdg}"],
                               capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (xdg / "snakemake" / "slurm" / "config.yaml").is_file()
    config_path = write_config(workdir, reduced_config())

    command = ["timeout", "-s", "INT", "-k", "60", str(RUN_TIMEOUT),
               sys.executable, "-m", "snakemake", "--profile", "slurm", "--snakefile", str(ROOT / "Snakefile"),
               "--directory", str(workdir), "--configfile", str(config_path),
               # CI speed: the first status poll after 2 s, not the profile's 20; local files, no NFS lag
               "--slurm-init-seconds-before-status-checks", "2", "--latency-wait", "5"]
    env = {**os.environ, "XDG_CONFIG_HOME": str(xdg),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    started = time.time()
    result = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT + 120, env=env,
                            cwd=tmp_path)
    print(f"\n[slurm] snakemake --profile slurm on the reduced demo: {time.time() - started:.0f} s", file=sys.stderr)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"snakemake exited {result.returncode}:\n{output[-8000:]}"
    assert (workdir / "results/report/index.html").is_file()
    assert "Using profiles slurm" in output, output[:2000]

    run_id = re.search(r"^SLURM run ID: (\S+)$", output, re.M)
    assert run_id, f"no 'SLURM run ID' line: was the slurm executor used?\n{output[:3000]}"
    jobs, table = _sacct(run_id.group(1), started - 60)
    planned = _planned_jobs(output)
    assert planned.get("train", 0) >= 1, planned

    # Every planned job went through sbatch, exactly once, and completed.
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+) \(log: (\S+)\)", output)
    ran = {}
    for job in jobs:
        rule = re.fullmatch(r"rule_(\w+?)(_wildcards_.*)?", job["Comment"])
        assert rule, f"sacct job {job['JobID']} has no rule in its comment:\n{table}"
        ran.setdefault(rule.group(1), []).append(job)
    expected = {rule: n for rule, n in planned.items() if rule not in LOCAL_RULES}
    assert {rule: len(js) for rule, js in ran.items()} == expected, f"jobs per rule, sacct vs. plan:\n{table}"
    assert sorted(int(jobid) for jobid, _ in submitted) == sorted(int(job["JobID"]) for job in jobs), table
    assert all(job["State"] == "COMPLETED" and job["ExitCode"] == "0:0" for job in jobs), table

    # Each job's sbatch log is in the profile's slurm-logdir, logs/slurm/rule_<rule>/[<wildcards>/]<jobid>.log.
    for rule, rule_jobs in ran.items():
        for job in rule_jobs:
            logs = list((workdir / "logs/slurm" / f"rule_{rule}").rglob(f"{job['JobID']}.log"))
            assert len(logs) == 1, f"no sbatch log for {rule} job {job['JobID']} under logs/slurm/rule_{rule}"

    # Training (and the other GPU rules) on partition gpu with one GPU; everything else on cpu, no GPU.
    for rule, rule_jobs in ran.items():
        for job in rule_jobs:
            if rule in GPU_RULES:
                assert job["Partition"] == "gpu" and "gres/gpu=1" in job["AllocTRES"], \
                    f"{rule} job {job['JobID']} should have run on gpu with a GPU:\n{table}"
            else:
                assert job["Partition"] == "cpu" and "gres/gpu" not in job["AllocTRES"], \
                    f"{rule} job {job['JobID']} should have run on cpu without a GPU:\n{table}"
    print(f"[slurm] sacct:\n{table}", file=sys.stderr)

    # The report's table of jobs says the same: training logged its SLURM job and the gpu partition.
    import json

    summary = json.loads((workdir / "results/report/summary.json").read_text())
    logged = {row["job"]: row for row in summary["jobs"]}
    for name in ("peaks_basset/seed1", "peaks_basset/seed2", "peaks_basset/seed3", "activity_cnn/seed1"):
        row = logged[f"train/{name}"]  # each member its own job on the gpu partition
        assert row["partition"] == "gpu" and row["slurm_job"] in {job["JobID"] for job in ran["train"]}, row
    assert logged["evaluate/peaks_basset"]["partition"] == "cpu", logged["evaluate/peaks_basset"]


# SLURM's client programs (slurm-client), none of which a machine without SLURM has.
SLURM_CLIENT = {"sacct", "sacctmgr", "salloc", "sattach", "sbatch", "sbcast", "scancel", "scontrol", "scrontab",
                "sdiag", "sinfo", "sprio", "squeue", "sreport", "srun", "sshare", "sstat", "strigger", "sview"}
STALE = "an earlier run's log: this run never wrote it"


def _path_without_slurm(tmp_path, *first):
    """A PATH of the folders ``first``, then python's, then every other program of this PATH but SLURM's
    (linked into one folder): this machine as one without SLURM (where SLURM is installed, for the
    loopback test, too)."""
    programs = tmp_path / "bin"
    programs.mkdir()
    for folder in map(Path, os.environ["PATH"].split(os.pathsep)):
        for program in sorted(folder.iterdir()) if folder.is_dir() else []:
            link = programs / program.name
            if program.name not in SLURM_CLIENT and program.is_file() and os.access(program, os.X_OK) \
                    and not link.is_symlink():
                link.symlink_to(program)
    return os.pathsep.join(map(str, [*first, Path(sys.executable).parent, programs]))


def _profile_run(workdir, path, *targets):
    """`snakemake --profile profiles/slurm` on the demo, with PATH ``path`` and a stale log planted where
    the genome's download logs."""
    config_path = write_config(workdir, demo_config())
    stale = workdir / "logs/download/genome/demo.log"
    stale.parent.mkdir(parents=True)
    stale.write_text(STALE + "\n")
    command = [sys.executable, "-m", "snakemake", "--profile", str(ROOT / "profiles" / "slurm"), "--snakefile",
               str(ROOT / "Snakefile"), "--directory", str(workdir), "--configfile", str(config_path),
               "--slurm-init-seconds-before-status-checks", "1", *targets]
    result = subprocess.run(command, capture_output=True, text=True, timeout=HANG_GUARD, cwd=workdir,
                            env={**os.environ, "PATH": path})
    return result, result.stdout + result.stderr


def test_profile_without_slurm_tools_says_so_before_any_job(tmp_path):
    workdir = tmp_path / "run"
    workdir.mkdir()
    result, output = _profile_run(workdir, _path_without_slurm(tmp_path))
    assert result.returncode != 0, output[-3000:]
    refusal = ("the slurm executor (--profile slurm) needs sbatch, squeue, sacct on PATH: not found here (sbatch, "
               "squeue, sacct); run without the slurm profile (every job on this machine), or on the cluster's login "
               "node")
    assert refusal in output, output[-3000:]
    assert "Error in rule" not in output and "submitted" not in output, output[-3000:]
    assert STALE not in output
    assert not (workdir / "resources").exists() and not (workdir / "logs/slurm").exists()
    assert (workdir / "logs/download/genome/demo.log").read_text() == STALE + "\n"  # nothing ran: left as it was


def test_a_job_sbatch_refuses_shows_no_earlier_log_as_its_own(tmp_path):
    """sbatch refuses the job (a partition the profile names that the cluster lacks): the job never ran,
    so it has no log of this attempt to show, and the one of an earlier run is not shown as its."""
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "sbatch").write_text("#!/bin/sh\necho 'sbatch: error: invalid partition specified: cpu' >&2\nexit 1\n")
    for program in ("squeue", "sacct"):  # nothing queued, no account to guess
        (fake / program).write_text("#!/bin/sh\nexit 0\n")
    for program in fake.iterdir():
        program.chmod(0o755)
    workdir = tmp_path / "run"
    workdir.mkdir()
    result, output = _profile_run(workdir, _path_without_slurm(tmp_path, fake), "resources/downloads/genome/demo")
    assert result.returncode != 0, output[-3000:]
    assert "sbatch: error: invalid partition specified: cpu" in output, output[-3000:]
    assert "Logfile logs/download/genome/demo.log not found." in output, output[-3000:]
    assert STALE not in output, output[-3000:]
