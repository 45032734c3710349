"""The whole chain on a reduced demo config: it runs, re-runs nothing, and fails clearly on bad input."""

import copy
import gzip
import json
import re

import pytest

from tests.workflow_helpers import ROOT, demo_config, snakemake, write_config

pytestmark = pytest.mark.workflow


FOLDS = [{"valid": ["chr20"], "test": ["chr19"]}, {"valid": ["chr21"], "test": ["chr20"]},
         {"valid": ["chr22"], "test": ["chr21"]}]


def reduced_config():
    """The demo with short training and small models: every stage runs, in a few minutes. The peak
    model keeps the demo's three seed replicates; the promoter model is trained in three
    chromosome folds."""
    config = demo_config()
    config["datasets"]["peaks"].update(background=0.2, background_method="gc_matched")
    config["datasets"]["peaks"]["blacklist"] = {"url": str(ROOT / "tests" / "data" / "demo_blacklist.bed")}
    config["tables"]["expression"] = {"url": str(ROOT / "tests" / "data" / "demo_expression.tsv")}
    config["datasets"]["promoters"] = {
        "kind": "promoters", "tss": {"url": str(ROOT / "tests" / "data" / "demo_tss.bed")}, "upstream": 200,
        "downstream": 100, "expression": {"table": "expression", "id_column": "gene", "target_columns": ["log_tpm"]},
        "split": {"valid": ["chr21"], "test": ["chr22"]}}
    config["experiments"]["promoters_cnn"] = {  # chromosome folds of a genome dataset, given by name
        "dataset": "promoters", "model": {"name": "cnn", "params": {"conv": [{"filters": 8, "width": 9}],
                                                                    "global_pool": "avg"}},
        "replicates": {"folds": copy.deepcopy(FOLDS)}, "training": {"epochs": 2},
        "interpret": {"tax_group": "vertebrates"}}
    for experiment in config["experiments"].values():
        experiment["training"].update(epochs=2, patience=2)
        experiment["model"]["params"]["conv"] = experiment["model"]["params"]["conv"][:1]
        experiment["interpret"]["saliency_examples"] = 1
    config["experiments"]["peaks_basset"]["tracks"]["stride"] = 250  # 2,000 windows, contributions included
    return config


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("reduced")
    config_path = write_config(workdir, reduced_config())
    result = snakemake(workdir, config_path)
    assert result.returncode == 0, result.stderr[-5000:]
    return workdir, config_path


def test_every_stage_produces_its_outputs(finished_run):
    workdir, _ = finished_run
    summary = json.loads((workdir / "results/report/summary.json").read_text())
    peaks, table = summary["experiments"]["peaks_basset"], summary["experiments"]["activity_cnn"]
    promoters = json.loads((workdir / "results/datasets/promoters/attrs.json").read_text())
    assert promoters["source"] == "promoters" and promoters["seq_len"] == 300 and promoters["n"] > 70
    assert summary["experiments"]["promoters_cnn"]["task"] == "regression"
    assert peaks["task"] == "classification" and set(peaks["metrics"]) == {"auroc", "auprc"}
    assert table["task"] == "regression" and set(table["metrics"]) == {"pearson", "spearman", "r2"}
    assert set(peaks["per_target"]) == {"K562", "HeLa-S3", "GM12878"}
    status = peaks["variants"]["demo_gwas"]["status"]
    assert {k for k, n in status.items() if n} == {"scored", "swapped", "ref_mismatch", "indel", "contig_missing",
                                                   "near_contig_end"}
    assert 0 <= peaks["variants"]["demo_gwas"]["truth_auroc"] <= 1
    catalog = peaks["variants"]["demo_catalog"]  # all_experiments: every peaks model scores it, listed or not
    assert catalog["kind"] == "gwas_catalog" and catalog["alt_from"]["alt_unknown"] > 0
    assert {row["trait"] for row in catalog["enrichment"]} == {"erythrocyte count", "lymphocyte count",
                                                               "body mass index", "body height"}
    assert "demo_catalog" not in table["variants"]  # a table model has no genome to score variants on
    assert (workdir / "results/interpret/peaks_basset/filters.meme").read_text().startswith("MEME version 4")
    assert (workdir / "results/interpret/peaks_basset/modisco.meme").read_text().startswith("MEME version 4")
    assert isinstance(peaks["modisco_patterns"], list) and "modisco_patterns" not in table  # modisco: true in one
    counts = json.loads((workdir / "results/datasets/peaks/attrs.json").read_text())["counts"]
    assert counts["regions_in_blacklist"] > 0 and counts["regions_overrunning_contig_end"] == 3
    tracks = workdir / "results/tracks/peaks_basset"
    assert sorted(path.name for path in (tracks / "data").glob("*.b[wb]")) == [
        "contributions.K562.bw", "predictions.GM12878.bw", "predictions.HeLa-S3.bw", "predictions.K562.bw",
        "variants.demo_catalog.bb", "variants.demo_credible.bb", "variants.demo_gwas.bb"]
    assert (tracks / "hub.txt").is_file() and not (workdir / "results/tracks/activity_cnn").exists()


def test_members_are_jobs_of_their_own_and_the_experiment_their_ensemble(finished_run):
    """Each member trained and tested on its own split; the peak model's figures are its three
    seeds' ensemble's, the promoter model's pooled out of fold; every later stage took the ensemble."""
    import gzip as gz

    import pandas as pd
    import torch

    from cisflow.models.checkpoint import load_model
    from cisflow.models.ensemble import Ensemble

    workdir, _ = finished_run
    summary = json.loads((workdir / "results/report/summary.json").read_text())
    peaks, promoters = summary["experiments"]["peaks_basset"], summary["experiments"]["promoters_cnn"]
    assert [m["member"] for m in peaks["members"]] == ["seed1", "seed2", "seed3"]
    assert peaks["evaluated"].startswith("the ensemble of 3 seed replicates")
    assert peaks["member_spread"]["auroc"]["sd"] > 0 and isinstance(peaks["motif_reproducibility"], list)
    assert [m["member"] for m in promoters["members"]] == ["fold1", "fold2", "fold3"]
    assert promoters["evaluated"].startswith("out of fold")
    attrs = json.loads((workdir / "results/datasets/promoters/attrs.json").read_text())
    ids = (workdir / "results/datasets/promoters/ids.txt").read_text().split()
    import numpy as np

    chroms = np.asarray(attrs["contigs"])[np.load(workdir / "results/datasets/promoters/contig.npy")]
    tested = {gene for gene, chrom in zip(ids, chroms) if chrom in ("chr19", "chr20", "chr21")}
    with gz.open(workdir / "results/evaluation/promoters_cnn/test_predictions.tsv.gz", "rt") as handle:
        pooled = pd.read_csv(handle, sep="\t", dtype={"id": str})
    assert sorted(pooled["id"]) == sorted(tested) and promoters["n_test"] == len(tested)
    for fold, member in enumerate(("fold1", "fold2", "fold3")):
        model = torch.load(workdir / f"results/models/promoters_cnn/{member}/model.pt", weights_only=True)
        assert model["member"]["held_out"] == FOLDS[fold] and model["training"]["seed"] == 1 + fold
    ensemble, meta = load_model(workdir / "results/models/peaks_basset/model.pt")
    assert isinstance(ensemble, Ensemble) and [m["name"] for m in meta["members"]] == ["seed1", "seed2", "seed3"]
    variants = json.loads((workdir / "results/variants/peaks_basset/demo_gwas.summary.json").read_text())
    assert variants["members"] == ["seed1", "seed2", "seed3"]
    with gz.open(workdir / "results/variants/peaks_basset/demo_gwas.tsv.gz", "rt") as handle:
        table = pd.read_csv(handle, sep="\t")
    scored = table[table["score"].notna()]
    assert scored["top_effect_sd"].notna().all() and scored["top_sign_agreement"].between(0.33, 1).all()
    html = (workdir / "results/report/index.html").read_text()
    assert "Members side by side" in html and "Which motifs the members agree on" in html and "members agreeing" in html


def test_variant_table_keeps_every_record(finished_run):
    workdir, _ = finished_run
    vcf_records = [line for line in (ROOT / "resources/demo/variants.vcf").read_text().splitlines()
                   if not line.startswith("#")]
    with gzip.open(workdir / "results/variants/peaks_basset/demo_gwas.tsv.gz", "rt") as handle:
        rows = handle.read().splitlines()[1:]
    multiallelic_extra = sum(record.split("\t")[4].count(",") for record in vcf_records)
    assert len(rows) == len(vcf_records) + multiallelic_extra


def test_report_is_self_contained(finished_run):
    workdir, _ = finished_run
    html = (workdir / "results/report/index.html").read_text()
    assert "peaks_basset" in html and "activity_cnn" in html and "Methods" in html
    sources = re.findall(r'src="([^"]*)"', html)
    assert sources and all(src.startswith("data:image/png;base64,") for src in sources)
    assert "http://" not in html and "https://" not in html


def test_snakemakes_own_report_has_every_stage_and_renders_every_caption(finished_run, tmp_path):
    """snakemake --report: a category per stage, each report() output with its caption rendered
    without a reStructuredText error (a stray |SAD| once broke one)."""
    import zipfile

    workdir, config_path = finished_run
    result = snakemake(workdir, config_path, "--report", str(tmp_path / "report.zip"))
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "Report created" in output, output[-3000:]
    assert "ERROR" not in output and "WARNING/2" not in output, output[-3000:]
    with zipfile.ZipFile(tmp_path / "report.zip") as archive:
        html = archive.read("report/report.html").decode()
        files = [name for name in archive.namelist() if "/data/raw/" in name and not name.endswith("/")]
    for category in ("Training", "Evaluation", "Interpretation", "Variant effects", "Report"):
        assert category in html, category
    rules = (ROOT / "rules").glob("*.smk")
    outputs = sum(text.count("report(") for text in (path.read_text() for path in rules))
    assert len(files) >= outputs, (files, outputs)


def test_second_run_has_nothing_to_do(finished_run):
    workdir, config_path = finished_run
    result = snakemake(workdir, config_path, "-n")
    assert result.returncode == 0
    assert "Nothing to be done" in result.stdout + result.stderr


def planned_jobs(workdir, config_path, *args):
    """{rule: number of jobs} that ``snakemake -n`` plans, and the plan's text."""
    result = snakemake(workdir, config_path, "-n", "--quiet", "rules", *args)
    planned = result.stdout + result.stderr
    assert result.returncode == 0, planned
    return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", planned, re.M)
            if rule not in ("all", "total")}, planned


def test_changed_training_parameter_reruns_only_that_experiment(finished_run, tmp_path):
    """The peak model's learning rate: its train, evaluate, interpret, modisco, variants and the
    report; nothing of the table experiment, nothing of the data stages."""
    workdir, _ = finished_run
    config = reduced_config()
    config["experiments"]["peaks_basset"]["training"]["lr"] = 0.01
    jobs, planned = planned_jobs(workdir, write_config(tmp_path, config))
    assert jobs == {"train": 3, "evaluate_member": 3, "ensemble": 1, "evaluate": 1, "interpret": 1, "modisco": 1,
                    "variants": 3, "tracks": 1, "report": 1}, planned
    assert "activity_cnn" not in planned and "promoters_cnn" not in planned, planned


def test_a_new_member_or_a_changed_fold_retrains_that_member_only(finished_run, tmp_path):
    """seeds: 4 instead of 3 trains seed4 alone (seed1-3 stay as they are); a fold's other
    chromosomes retrain that fold alone; the ensemble and what reads it follow."""
    workdir, _ = finished_run
    config = reduced_config()
    config["experiments"]["peaks_basset"]["replicates"] = {"seeds": 4}
    config["experiments"]["promoters_cnn"]["replicates"]["folds"][2] = {"valid": ["chr19"], "test": ["chr21"]}
    config_path = write_config(tmp_path, config)
    jobs, planned = planned_jobs(workdir, config_path)
    assert jobs == {"train": 2, "evaluate_member": 2, "ensemble": 2, "evaluate": 2, "interpret": 2, "modisco": 1,
                    "variants": 3, "tracks": 1, "report": 1}, planned
    plan = snakemake(workdir, config_path, "-n")
    trained = re.findall(r"output: (results/models/[^/\s]+/[^/\s]+/model\.pt)", plan.stdout + plan.stderr)
    assert set(trained) == {"results/models/peaks_basset/seed4/model.pt", "results/models/promoters_cnn/fold3/model.pt"}
    automatic = reduced_config()
    automatic["experiments"]["peaks_basset"]["replicates"] = {"folds": 3}
    del automatic["experiments"]["peaks_basset"]["tracks"]  # held_out: the chromosomes folds train on, refused
    plan = snakemake(workdir, write_config(tmp_path, automatic), "-n")
    trained = re.findall(r"output: (results/models/[^/\s]+/[^/\s]+/model\.pt)", plan.stdout + plan.stderr)
    assert sorted(trained) == [f"results/models/peaks_basset/fold{i}/model.pt" for i in (1, 2, 3)], trained


def test_changed_vcf_reruns_only_variant_scoring_and_the_report(finished_run, tmp_path):
    import hashlib

    workdir, _ = finished_run
    vcf = (ROOT / "resources/demo/variants.vcf").read_text().splitlines()
    changed = tmp_path / "variants.vcf"
    changed.write_text("\n".join(line for i, line in enumerate(vcf) if i != len(vcf) - 1) + "\n")  # one record less
    config = reduced_config()
    config["variants"]["demo_gwas"]["vcf"] = {"url": str(changed),
                                               "sha256": hashlib.sha256(changed.read_bytes()).hexdigest()}
    jobs, planned = planned_jobs(workdir, write_config(tmp_path, config))
    assert jobs == {"download": 1, "variants": 1, "tracks": 1, "report": 1}, planned  # the download is the VCF's


def test_edited_script_reruns_the_rules_that_run_it(finished_run, tmp_path):
    """A copy of the workflow whose evaluate script gained a line: every evaluate job is planned
    again (Snakemake's code trigger), and the report after them; training is not."""
    import shutil

    workdir, _ = finished_run
    (tmp_path / "config").mkdir()
    config_path = write_config(tmp_path / "config", reduced_config())
    copy = tmp_path / "workflow"
    copy.mkdir()
    for name in ("Snakefile", "rules", "report", "envs", "scripts"):
        source = ROOT / name
        (shutil.copytree(source, copy / name, symlinks=True) if source.is_dir() else shutil.copy(source, copy / name))
    (copy / "scripts/cisflow").unlink()
    (copy / "scripts/cisflow").symlink_to(ROOT / "cisflow")
    (copy / "cisflow").symlink_to(ROOT / "cisflow")
    unchanged, planned = planned_jobs(workdir, config_path, "--snakefile", str(copy / "Snakefile"))
    # the same code: nothing to do but the report, whose template is now the copy's file
    assert unchanged == {"report": 1}, planned
    script = copy / "scripts/evaluate.py"
    script.write_text(script.read_text() + "# a change\n")
    jobs, planned = planned_jobs(workdir, config_path, "--snakefile", str(copy / "Snakefile"))
    assert jobs == {"evaluate": 3, "report": 1}, planned


def test_bad_config_names_the_key(tmp_path):
    config = reduced_config()
    config["experiments"]["peaks_basset"]["training"]["epochs"] = "ten"
    result = snakemake(tmp_path, write_config(tmp_path, config), "-n")
    assert result.returncode != 0
    assert "experiments.peaks_basset.training.epochs: 'ten' is not of type 'integer'" in result.stdout + result.stderr


def test_variant_set_keys_of_another_kind_and_a_bad_truth_stop_before_any_job(tmp_path):
    config = reduced_config()
    config["variants"]["demo_gwas"]["traits"] = ["erythrocyte count"]
    truth = tmp_path / "truth.tsv"
    truth.write_text("variant\tclass\nrs1\tdestroys\n")
    config["variants"]["demo_catalog"]["truth"] = {"url": str(truth)}
    result = snakemake(tmp_path, write_config(tmp_path, config), "-n")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "variants.demo_gwas.traits: only for a gwas_catalog or credible_sets input" in output, output[-2000:]
    assert "variants.demo_catalog.truth: " in output and "truth.tsv:1: a truth table needs the columns id and effect" \
        in output, output[-2000:]


NAME_RULE = "not a valid name (1 to 100 letters, digits, _ - . ; not starting with .)"


@pytest.mark.parametrize("where", ["samples sheet", "variant set"])
def test_a_name_that_is_no_file_name_stops_before_any_job(tmp_path, where):
    """A sample '..' or a variant set '../escape' would name files outside their folders: refused with its
    key, before any job. A real run, not -n, so that nothing under resources/ or results/ means something."""
    config = reduced_config()
    if where == "variant set":
        config["variants"]["../escape"] = config["variants"]["demo_gwas"]
        config["experiments"]["peaks_basset"]["variants"].append("../escape")
    config_path = write_config(tmp_path, config)
    sheet = tmp_path / "samples.tsv"
    if where == "samples sheet":
        url = sheet.read_text().splitlines()[1].split("\t")[1]
        sheet.write_text(sheet.read_text() + f"..\t{url}\t\n")
    result = snakemake(tmp_path, config_path)
    output = result.stdout + result.stderr
    expected = {"samples sheet": f"{sheet}:5: column sample: '..' is {NAME_RULE}",
                "variant set": f"variants.../escape: {NAME_RULE}"}[where]
    assert result.returncode != 0 and expected in output, output[-3000:]
    assert "Job stats" not in output and "rule download" not in output, output[-3000:]
    assert not (tmp_path / "resources").exists() and not (tmp_path / "results").exists()


def test_malformed_peak_file_names_file_and_line(tmp_path):
    bad = tmp_path / "K562_bad.bed"
    bad.write_text("chr19\t20000\t20300\tp1\t0\t.\t1\t1\t1\t150\nchr19\t30000\tthirty\tp2\t0\t.\t1\t1\t1\t150\n")
    config_path = write_config(tmp_path, reduced_config(), samples={"K562": bad})
    result = snakemake(tmp_path, config_path, "results/intervals/peaks.tsv.gz")
    assert result.returncode != 0
    assert re.search(r"resources/downloads/peaks/K562:2: end 'thirty' is not an integer", result.stdout + result.stderr)
    assert not (tmp_path / "results/intervals/peaks.tsv.gz").exists()


def test_fine_tuned_experiment_plans_after_its_parent_only(finished_run):
    workdir, _ = finished_run
    config = reduced_config()
    config["experiments"]["activity_tuned"] = {
        **config["experiments"]["activity_cnn"],
        "training": {**config["experiments"]["activity_cnn"]["training"], "init_from": "activity_cnn", "lr": 1e-4}}
    result = snakemake(workdir, write_config(workdir, config), "-n", "--quiet", "rules")
    planned = result.stdout + result.stderr
    assert result.returncode == 0, planned
    assert re.search(r"^train\s+1$", planned, re.M), planned  # the parent is done and unchanged


def test_killed_training_job_resumes_from_its_last_epoch(finished_run):
    """SIGKILL to Snakemake and its training job mid-run (a node lost), then the same command
    again: the job starts after the last finished epoch, and no half-written model is taken."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import pandas as pd
    import torch

    workdir, _ = finished_run
    config = reduced_config()
    config["experiments"]["activity_long"] = {
        **config["experiments"]["activity_cnn"],
        "training": {**config["experiments"]["activity_cnn"]["training"], "epochs": 4, "patience": 4}}
    config_path = write_config(workdir, config)
    target = "results/models/activity_long/seed1/model.pt"
    resume = workdir / "results/models/activity_long/seed1/resume.pt"
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory",
               str(workdir), "--configfile", str(config_path), "--cores", "2", target]
    job = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and job.poll() is None:
        if resume.exists() and torch.load(resume, weights_only=True)["state"]["epoch"] >= 1:
            break
        time.sleep(0.2)
    assert job.poll() is None, "training finished before it could be killed"
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()
    killed_after = torch.load(resume, weights_only=True)["state"]["epoch"]
    assert not (workdir / target).exists()

    assert snakemake(workdir, config_path, "--unlock").returncode == 0
    result = snakemake(workdir, config_path, target)
    assert result.returncode == 0, result.stderr[-3000:]
    log = (workdir / "logs/train/activity_long/seed1.log").read_text()
    assert f"resuming after epoch {killed_after}" in log
    history = pd.read_csv(workdir / "results/models/activity_long/seed1/history.tsv", sep="\t")
    assert history["epoch"].tolist() == [1, 2, 3, 4]
    assert not resume.exists()


def test_a_second_run_waits_for_the_members_training_and_destroys_nothing(tmp_path):
    """Two runs on one experiment, the second started after `snakemake --unlock` while the first's
    training job holds on: each training job waits for the member's lock (held here by the test
    until both wait, so which trains first does not depend on speed); one trains, the other keeps
    its model without an epoch. Both runs succeed, and the log the second run's start removed
    (Snakemake removes a job's log as it starts it) has the first job's lines back."""
    import os
    import subprocess
    import sys
    import time

    import pandas as pd

    from cisflow.io.logs import job_record
    from cisflow.training.lock import member_lock
    from tests.workflow_helpers import HANG_GUARD

    config = reduced_config()
    config["experiments"]["activity_cnn"]["training"].update(epochs=1, patience=1, max_steps_per_epoch=5)
    config_path = write_config(tmp_path, config)
    member, log = tmp_path / "results/models/activity_cnn/seed1", tmp_path / "logs/train/activity_cnn/seed1.log"
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory",
               str(tmp_path), "--configfile", str(config_path), "--cores", "2",
               "results/models/activity_cnn/seed1/model.pt"]
    waiting = f"waiting for the training of activity_cnn/seed1 held by PID {os.getpid()} on host "
    runs = []

    def start():
        errors = (tmp_path / f"run{len(runs) + 1}.stderr").open("w")
        runs.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True))

    def wait_until(condition, what):
        deadline = time.monotonic() + HANG_GUARD
        while not condition():
            assert time.monotonic() < deadline and all(run.poll() is None for run in runs), f"no {what}"
            time.sleep(0.2)

    def text():
        return log.read_text() if log.exists() else ""

    try:
        with member_lock(member / "resume.pt"):
            start()
            wait_until(lambda: waiting in text(), "first run's training waiting")
            first_lines = text()
            assert snakemake(tmp_path, config_path, "--unlock").returncode == 0
            start()
            wait_until(lambda: waiting in text() and not text().startswith(first_lines), "second run's waiting")
        assert [run.wait(HANG_GUARD) for run in runs] == [0, 0], [
            (tmp_path / f"run{i}.stderr").read_text()[-3000:] for i in (1, 2)]
    finally:
        for run in runs:
            if run.poll() is None:
                os.killpg(run.pid, 9)
    final = log.read_text()
    assert final.count(first_lines) == 1 and final.count(waiting) == 2
    assert final.count("epoch   1  train loss") == 1  # trained once
    assert final.count("were written by the training of these settings") == 1  # kept by the other
    assert pd.read_csv(member / "history.tsv", sep="\t")["epoch"].tolist() == [1]
    assert sorted(path.name for path in member.iterdir()) == [".train.lock", "history.tsv", "model.pt"]
    assert job_record(log)["seconds"] is not None
