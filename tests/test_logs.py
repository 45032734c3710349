"""Rule logs record where a job ran and how long it took, and the report reads that back; long
passes log their progress."""

import logging
import os
import re
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


def test_a_log_is_appended_to_and_the_record_is_the_last_attempts(tmp_path):
    log = tmp_path / "train.log"
    assert run_job(log, SLURM_JOB_ID="1", SLURM_JOB_PARTITION="cpu").returncode == 0
    first = log.read_text()
    assert run_job(log, SLURM_JOB_ID="2", SLURM_JOB_PARTITION="gpu").returncode == 0
    text = log.read_text()
    assert text.startswith(first) and text.count("cisflow job on host") == 2
    assert re.search(r"cisflow job on host \S+, SLURM job 2, partition gpu, PID \d+, started \d{4}-\d\d-\d\dT", text)
    record = job_record(log)
    assert (record["slurm_job"], record["partition"]) == ("2", "gpu") and record["seconds"] is not None


def test_the_record_is_the_attempt_that_started_last_with_its_own_end(tmp_path):
    """Lines copied back after a log was removed put an earlier attempt after a later one."""
    log = tmp_path / "train.log"
    log.write_text("\n".join([
        "cisflow job on host b, SLURM job 2, partition gpu, PID 22, started 2026-11-21T10:05:00.000000+01:00",
        "cisflow job on host a, SLURM job 1, partition cpu, PID 11, started 2026-11-21T10:00:00.000000+01:00",
        "cisflow job (PID 11) finished in 400.0 s", "cisflow job (PID 22) finished in 7.0 s"]) + "\n")
    assert job_record(log) == {"host": "b", "slurm_job": "2", "partition": "gpu", "seconds": 7.0}


HOLDING_JOB = textwrap.dedent("""
    import logging, pathlib, sys, time
    from cisflow.io.logs import log_to
    path, name, ready, go = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3]), pathlib.Path(sys.argv[4])
    log_to(path, header=name != "rank")
    logging.getLogger("cisflow.test").info("%s before", name)
    ready.touch()
    while not go.exists():
        time.sleep(0.05)
    logging.getLogger("cisflow.test").info("%s after", name)
""")


def test_a_log_removed_under_its_writers_gets_their_lines_back_once(tmp_path):
    """Snakemake removes a job's log as it starts the job, also while a job of another run writes
    it (here a job and a further process of it, as a DDP rank): the next job's log is a new file;
    the earlier writers copy what they had into it, once, and write on there."""
    log, go = tmp_path / "train.log", tmp_path / "go"
    writers = []
    try:
        for name in ("first", "rank"):
            ready = tmp_path / f"{name}.ready"
            writers.append(subprocess.Popen([sys.executable, "-c", HOLDING_JOB, str(log), name, str(ready), str(go)],
                                            env={**os.environ, "SLURM_JOB_ID": "1"}))
            deadline = time.monotonic() + 120  # a hang guard
            while not ready.exists() and writers[-1].poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert ready.exists()
        held = log.read_text()
        log.unlink()
        assert run_job(log, SLURM_JOB_ID="2").returncode == 0
        second = log.read_text()
        go.touch()
        assert [writer.wait(120) for writer in writers] == [0, 0]
    finally:
        for writer in writers:
            if writer.poll() is None:
                writer.kill()
    text = log.read_text()
    assert text.startswith(second) and text.count(held) == 1 and text.count("its lines follow, copied back") == 1
    assert "INFO cisflow.test: first after" in text and "INFO cisflow.test: rank after" in text
    assert text.count("cisflow job on host") == 2
    record = job_record(log)
    assert record["slurm_job"] == "2" and record["seconds"] is not None
