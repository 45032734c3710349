"""Rule logs record where a job ran and how long it took, and the report reads that back."""

import os
import subprocess
import sys
import textwrap

from cisflow.io.logs import job_record

JOB = textwrap.dedent("""
    import logging, sys
    from cisflow.io.logs import log_to
    log_to(sys.argv[1])
    logging.getLogger("cisflow.test").info("working")
    if len(sys.argv) > 2:
        raise ValueError("peaks.bed:3: end 'x' is not an integer")
""")


def run_job(path, *args, **env):
    return subprocess.run([sys.executable, "-c", JOB, str(path), *args], capture_output=True, text=True,
                          env={**os.environ, **env})


def test_log_records_host_slurm_job_partition_and_seconds(tmp_path):
    log = tmp_path / "train.log"
    assert run_job(log, SLURM_JOB_ID="4242", SLURM_JOB_PARTITION="gpu").returncode == 0
    record = job_record(log)
    assert record["slurm_job"] == "4242" and record["partition"] == "gpu" and record["host"]
    assert 0 <= record["seconds"] < 60
    assert "working" in log.read_text()


def test_outside_slurm_and_after_an_error(tmp_path):
    log = tmp_path / "dataset.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    result = subprocess.run([sys.executable, "-c", JOB, str(log), "fail"], capture_output=True, text=True, env=env)
    assert result.returncode == 1
    record = job_record(log)
    assert (record["slurm_job"], record["partition"]) == ("-", "-") and record["seconds"] is not None
    assert "ValueError: peaks.bed:3: end 'x' is not an integer" in log.read_text()


def test_a_log_without_the_lines_has_no_record(tmp_path):
    log = tmp_path / "other.log"
    log.write_text("something else\n")
    assert job_record(log) is None
