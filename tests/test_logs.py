"""Rule logs record where a job ran and how long it took, and the report reads that back; long
passes log their progress."""

import logging
import os
import subprocess
import sys
import textwrap
import time

from cisflow.io.logs import Progress, job_record

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


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_progress_line_says_how_far_and_what_is_left():
    clock = FakeClock()
    progress = Progress("filter PWMs", total=4000, unit="sequences", clock=clock)
    assert progress.line() == "filter PWMs: 0 of 4,000 sequences (0%) in 0 s, rest not yet known"
    clock.now += 120
    progress.advance(1000)
    assert progress.line() == "filter PWMs: 1,000 of 4,000 sequences (25%) in 2.0 min, about 6.0 min left"
    clock.now += 7080
    progress.advance(1000)
    assert progress.line() == "filter PWMs: 2,000 of 4,000 sequences (50%) in 2.0 h, about 2.0 h left"


def test_progress_of_an_opaque_call_gives_the_time_so_far():
    clock = FakeClock()
    progress = Progress("TF-MoDISco on 838 sequences", clock=clock)
    clock.now += 61
    assert progress.line() == "TF-MoDISco on 838 sequences: running, 61 s so far"


def test_progress_logs_while_a_step_is_slow_and_closes(caplog):
    """The ticker logs without being advanced; the wait is a hang guard, not a speed check."""
    caplog.set_level(logging.INFO, logger="cisflow.progress")
    with Progress("matching", total=3, unit="chunks", every=0.01) as progress:
        progress.advance()
        deadline = time.monotonic() + 60
        while not progress.reported and time.monotonic() < deadline:
            time.sleep(0.01)
    lines = [record.getMessage() for record in caplog.records]
    assert lines[0].startswith("matching: 1 of 3 chunks (33%) in ")
    assert lines[-1].startswith("matching: done, ")


def test_a_short_pass_logs_nothing(caplog):
    caplog.set_level(logging.INFO, logger="cisflow.progress")
    with Progress("quick", total=1, every=3600) as progress:
        progress.advance()
    assert caplog.records == []
