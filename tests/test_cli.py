"""The `cisflow` command: a model file alone predicts sequences and scores variants."""

import argparse
import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from cisflow.cli import ensemble_files, main
from cisflow.config.settings import Training
from cisflow.io.atomic import HOST
from cisflow.io.errors import ConfigError
from cisflow.models.checkpoint import save_model
from cisflow.models.registry import build_for_dataset
from cisflow.training.train import train
from tests.conftest import MOTIF
from tests.test_atomic import ended_pid, hangup_as_from_a_terminal, wait_for
from tests.test_checkpoint import RunsACommand, model_file

MODEL = {"conv": [{"filters": 16, "width": 7, "pool": 4}], "dense": [16]}
TRAINING = Training.from_mapping({"epochs": 8, "batch_size": 32, "optimizer": "adam", "lr": 0.01, "weight_decay": 0.0,
                                  "patience": 10, "lr_patience": 3, "reverse_complement": True, "seed": 3,
                                  "resident_limit_gb": 16, "shift": 0, "selection": "auto"})


@pytest.fixture
def model(tmp_path, planted):
    train(planted, "basset", MODEL, TRAINING, tmp_path / "model.pt", tmp_path / "h.tsv", tmp_path / "r.pt")
    return tmp_path / "model.pt"


def cisflow(*args):
    return subprocess.run([sys.executable, "-m", "cisflow", *map(str, args)], capture_output=True, text=True)


def test_predict_scores_a_fasta_with_the_model_file_alone(tmp_path, model):
    rng = np.random.default_rng(5)
    plain = ["".join(rng.choice(list("ACGT"), 40)) for _ in range(10)]
    with_motif = [seq[:15] + MOTIF + seq[22:] for seq in plain]
    fasta = tmp_path / "seqs.fa"
    fasta.write_text("".join(f">p{i}\n{s}\n>m{i}\n{m}\n" for i, (s, m) in enumerate(zip(plain, with_motif))))
    result = cisflow("predict", "--model", model, "--fasta", fasta, "--out", tmp_path / "pred.tsv")
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(tmp_path / "pred.tsv", sep="\t").set_index("id")
    assert list(table.columns) == ["bound"] and len(table) == 20
    gain = table.loc[[f"m{i}" for i in range(10)], "bound"].to_numpy() - table.loc[
        [f"p{i}" for i in range(10)], "bound"].to_numpy()
    assert np.median(gain) > 0.2


def test_predict_names_the_record_too_long_for_the_model(tmp_path, model):
    fasta = tmp_path / "long.fa"
    fasta.write_text(">ok\n" + "A" * 40 + "\n>long\n" + "C" * 41 + "\n")
    result = cisflow("predict", "--model", model, "--fasta", fasta, "--out", tmp_path / "pred.tsv")
    assert result.returncode == 1
    assert "long.fa:3: record 'long' is 41 bp; the model takes 40" in result.stderr
    assert not (tmp_path / "pred.tsv").exists()


def test_score_variants_outside_the_workflow(tmp_path, model, genome):
    fasta, records = genome
    seq = records["chrA"]
    lines = ["##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for i, pos in enumerate(range(100, 1900, 150)):
        alt = next(b for b in "ACGT" if b != seq[pos - 1])
        lines.append(f"chrA\t{pos}\tv{i}\t{seq[pos - 1]}\t{alt}\t.\tPASS\t.")
    lines.append("chrQ\t10\tlost\tA\tG\t.\tPASS\t.")
    vcf = tmp_path / "x.vcf"
    vcf.write_text("\n".join(lines) + "\n")
    result = cisflow("score-variants", "--model", model, "--vcf", vcf, "--genome", fasta, "--out",
                     tmp_path / "scores.tsv.gz")
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(tmp_path / "scores.tsv.gz", sep="\t")
    assert len(table) == 13 and (table["status"] == "scored").sum() == 12
    assert table.loc[table["id"] == "lost", "status"].item() == "contig_missing"
    assert table["rank"].iloc[0] == 1 and "top_sad" in table and "sad_bound" not in table
    assert pd.read_parquet(tmp_path / "scores.scores.parquet", columns=["sad_bound"])["sad_bound"].notna().sum() == 12
    summary = json.loads((tmp_path / "scores.summary.json").read_text())
    assert summary["records"] == 13 and (tmp_path / "scores.png").exists()
    vcf_lines = (tmp_path / "scores.scored.vcf").read_text().splitlines()
    records = [line.split("\t") for line in vcf_lines if not line.startswith("#")]
    assert len(records) == 13 and [int(r[1]) for r in records[:12]] == sorted(int(r[1]) for r in records[:12])
    assert records[-1][2] == "lost" and records[-1][7] == "STATUS=contig_missing"
    assert all(";RANK=" in r[7] and ";TARGET=bound;" in r[7] for r in records[:12])


def test_help_lists_both_commands():
    result = cisflow("--help")
    assert result.returncode == 0 and "predict" in result.stdout and "score-variants" in result.stdout


def bad_model(directory, kind):
    """A --model that is not one: empty, truncated, a FASTA, or a pickle that would run a command."""
    path = directory / f"{kind}.pt"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        whole = model_file(directory / "whole.pt").read_bytes()
        path.write_bytes(whole[: len(whole) // 2])
    elif kind == "fasta":
        path.write_text(">seq1\nACGT\n")
    else:
        torch.save({"dataset": RunsACommand(f"echo pwned > {directory / 'marker'}")}, path)
    return path


PROBLEMS = {"empty": "the file is empty, not a model;", "truncated": "a truncated or damaged model file: its",
            "fasta": "not a model file: neither a PyTorch zip archive nor a pickle (it starts with '>seq1');",
            "malicious": "not a cisflow model (or one written by an incompatible version): it holds a Python object "
                         "(posix.system) beside tensors and plain values, and was NOT loaded"}


@pytest.mark.parametrize("kind", PROBLEMS)
def test_predict_refuses_a_model_file_that_is_not_one(tmp_path, kind):
    model = bad_model(tmp_path, kind)
    (tmp_path / "seqs.fa").write_text(">a\nACGT\n")
    result = cisflow("predict", "--model", model, "--fasta", tmp_path / "seqs.fa", "--out", tmp_path / "pred.tsv")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith(f"cisflow predict: {model}: {PROBLEMS[kind]}")
    assert result.stderr.rstrip().endswith("expected a model.pt written by cisflow's train rule "
                                           "(results/models/<experiment>/model.pt)" + (
                                               ": copy it again or train it again" if kind == "truncated" else ""))
    assert "Traceback" not in result.stderr and "weights_only" not in result.stderr
    assert not (tmp_path / "pred.tsv").exists() and not (tmp_path / "marker").exists()


def test_score_variants_refuses_a_malicious_model_and_writes_nothing(tmp_path, genome):
    model = bad_model(tmp_path, "malicious")
    (tmp_path / "x.vcf").write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
    result = cisflow("score-variants", "--model", model, "--vcf", tmp_path / "x.vcf", "--genome", genome[0],
                     "--out", tmp_path / "out" / "scores.tsv.gz")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"cisflow score-variants: {model}: {PROBLEMS['malicious']}")
    assert not (tmp_path / "marker").exists() and list((tmp_path / "out").iterdir()) == []


def run_main(capsys, *args):
    """``cisflow`` in this process: the exit status and what it printed on stderr."""
    status = main([*map(str, args)])
    return status, capsys.readouterr().err


def test_predict_refuses_to_overwrite_its_fasta_before_loading_the_model(tmp_path, capsys):
    model = bad_model(tmp_path, "malicious")  # were it loaded, the marker would be written
    fasta = tmp_path / "new.fa"
    fasta.write_text(">a\nACGT\n")
    status, err = run_main(capsys, "predict", "--model", model, "--fasta", fasta, "--out", tmp_path / "." / "new.fa")
    assert status == 1 and err == (f"cisflow predict: {tmp_path / 'new.fa'}: --out is the --fasta input: writing it "
                                   "would overwrite that input; give --out another path\n")
    assert fasta.read_text() == ">a\nACGT\n" and not (tmp_path / "marker").exists()
    status, err = run_main(capsys, "predict", "--model", model, "--fasta", fasta, "--out", model)
    assert status == 1 and "--out is the --model input" in err and model.stat().st_size > 0


@pytest.mark.parametrize("args, problem", [
    (["--out", "model.pt"], "model.pt: --out is the --model input: writing it would overwrite that input; "
                            "give --out another path"),
    (["--out", "sub/../x.tsv.gz", "--vcf", "x.scored.vcf"],
     "sub/../x.scored.vcf: the .scored.vcf output of --out is the --vcf input: writing it would overwrite that input; "
     "give --out another path"),
    (["--plot", "genome.fa"], "genome.fa: --plot is the --genome input: writing it would overwrite that input; "
                              "give --plot another path"),
    (["--summary", "peaks.bed", "--peaks", "peaks.bed"], "peaks.bed: --summary is the --peaks input"),
    (["--out", "truth.tsv", "--truth", "truth.tsv"], "truth.tsv: --out is the --truth input"),
    (["--out", "chain.gz", "--chain", "chain.gz"], "chain.gz: --out is the --chain input"),
    (["--out", "dbsnp.vcf", "--dbsnp", "dbsnp.vcf"], "dbsnp.vcf: --out is the --dbsnp input"),
    (["--out", "c.tsv", "--vcf", None, "--gwas-catalog", "c.tsv"], "c.tsv: --out is the --gwas-catalog input"),
    (["--out", "s.tsv", "--vcf", None, "--sumstats", "s.tsv"], "s.tsv: --out is the --sumstats input"),
    (["--plot", "p.png", "--summary", "p.png"], "p.png: --plot and --summary are the same file; "
                                                "give them different paths"),
    (["--out", "sub"], "sub: --out is a directory, not a regular file; give a file path"),
])
def test_score_variants_refuses_an_output_that_is_an_input(tmp_path, capsys, monkeypatch, args, problem):
    """Each output path (given, or derived from --out) is compared with each input, resolved, before
    anything is read: the model here would run a command if it were loaded."""
    monkeypatch.chdir(tmp_path)
    bad_model(tmp_path, "malicious").rename("model.pt")
    (tmp_path / "sub").mkdir()
    options = {"--model": "model.pt", "--vcf": "in.vcf", "--genome": "genome.fa", "--out": "scores.tsv.gz"}
    options.update(zip(args[::2], args[1::2]))
    argv = [str(item) for flag, value in options.items() if value is not None for item in (flag, value)]
    status, err = run_main(capsys, "score-variants", *argv)
    assert status == 1 and err.startswith(f"cisflow score-variants: {problem}")
    assert not (tmp_path / "marker").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["model.pt", "sub"]


@pytest.mark.parametrize("command", ["predict", "score-variants", "ensemble"])
@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_an_output_that_is_not_a_regular_file_is_refused_and_left_alone(tmp_path, capsys, command, kind):
    """--out /dev/null or a named pipe: the rename would replace it with a file. Refused before the
    model is loaded (it would write the marker)."""
    model = bad_model(tmp_path, "malicious")
    if kind == "device":
        out, problem = Path("/dev/null"), "is a character device, not a regular file"
    else:
        out, problem = tmp_path / "pipe", "is a named pipe (FIFO), not a regular file"
        os.mkfifo(out)
    argv = {"predict": ["--model", model, "--fasta", tmp_path / "in.fa"],
            "score-variants": ["--model", model, "--vcf", tmp_path / "in.vcf", "--genome", tmp_path / "g.fa"],
            "ensemble": [model, tmp_path / "other.pt"]}[command]
    status, err = run_main(capsys, command, *argv, "--out", out)
    assert status == 1 and err == f"cisflow {command}: {out}: --out {problem}; give a file path\n"
    assert (stat.S_ISCHR if kind == "device" else stat.S_ISFIFO)(os.lstat(out).st_mode)
    assert not (tmp_path / "marker").exists()


def test_an_output_inside_a_file_is_refused_before_the_model_is_loaded(tmp_path, capsys):
    model = bad_model(tmp_path, "malicious")
    (tmp_path / "in.fa").write_text(">a\nACGT\n")
    out = tmp_path / "in.fa" / "pred.tsv"
    status, err = run_main(capsys, "predict", "--model", model, "--fasta", tmp_path / "in.fa", "--out", out)
    assert status == 1 and err == (f"cisflow predict: {out}: --out is inside {tmp_path / 'in.fa'}, which is a regular "
                                   "file, not a directory; give a file path\n")
    assert not (tmp_path / "marker").exists()


def test_an_output_beside_out_that_is_a_pipe_is_refused(tmp_path, capsys):
    os.mkfifo(tmp_path / "scores.scored.vcf")
    status, err = run_main(capsys, "score-variants", "--model", tmp_path / "m.pt", "--vcf", tmp_path / "in.vcf",
                           "--genome", tmp_path / "g.fa", "--out", tmp_path / "scores.tsv.gz")
    assert status == 1 and err == (f"cisflow score-variants: {tmp_path / 'scores.scored.vcf'}: the .scored.vcf output "
                                   "of --out is a named pipe (FIFO), not a regular file; give a file path\n")


# `cisflow score-variants` with cisflow.variants.variants.score_variant_set replaced by one that writes every output
# "new" and, given a sync file, says so there and waits for a signal mid-write: argv is the sync file
# (or -) then the command line
SCORE_VARIANTS_CHILD = """
import pathlib, signal, sys
import cisflow.variants.variants
from cisflow.cli import main

def score_variant_set(model, source, genome, outputs, variant_set, **files):
    for path in outputs.values():
        pathlib.Path(path).write_text("new")
    if sys.argv[1] != "-":
        pathlib.Path(sys.argv[1]).write_text("writing")
        signal.pause()
    return {"sites": 1, "scored": 2}

cisflow.variants.variants.score_variant_set = score_variant_set
sys.exit(main(sys.argv[2:]))
"""


def score_variants_child(tmp_path, sync="-", out=None):
    """A `cisflow score-variants` process (SCORE_VARIANTS_CHILD) writing --out (default out/scores.tsv.gz)."""
    argv = ["score-variants", "--model", tmp_path / "m.pt", "--vcf", tmp_path / "in.vcf", "--genome",
            tmp_path / "g.fa", "--out", out or tmp_path / "out" / "scores.tsv.gz"]
    return subprocess.Popen([sys.executable, "-c", SCORE_VARIANTS_CHILD, sync, *map(str, argv)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=hangup_as_from_a_terminal)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_score_variants_terminated_mid_write_leaves_no_staging_folder(tmp_path, signum):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "scores.tsv.gz").write_text("old")
    sync = tmp_path / "sync"
    child = score_variants_child(tmp_path, sync)
    wait_for(sync, child)
    assert len(list((tmp_path / "out").glob(".cisflow.*.part"))) == 1
    child.send_signal(signum)
    assert child.wait(timeout=60) == 128 + signum
    assert child.stderr.read().endswith(f"cisflow score-variants: terminated by {signum.name}; "
                                        "unfinished outputs removed\n")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["scores.tsv.gz"]
    assert (tmp_path / "out" / "scores.tsv.gz").read_text() == "old"


def test_staging_folders_of_ended_runs_of_this_host_are_removed_by_the_next(tmp_path):
    (tmp_path / "out").mkdir()
    stale = tmp_path / "out" / f".cisflow.{HOST}-{ended_pid()}-x1.part"
    live = tmp_path / "out" / f".cisflow.{HOST}-{os.getpid()}-x2.part"
    for folder in (stale, live):
        folder.mkdir()
        (folder / "scores.tsv.gz").write_text("half")
    child = score_variants_child(tmp_path)
    assert child.wait(timeout=120) == 0, child.stderr.read()
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert live.name in names and stale.name not in names and "scores.tsv.gz" in names
    assert not [name for name in names if name.endswith(".part") and name != live.name]


@pytest.mark.parametrize("dangling", [False, True])
def test_a_symlinked_out_is_written_through(tmp_path, dangling):
    """The link stays a link; its target (a file, or where a dangling link points, its folder existing)
    gets the new table."""
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "table.tsv.gz"
    if not dangling:
        target.write_text("old")
    (tmp_path / "out").mkdir()
    link = tmp_path / "out" / "scores.tsv.gz"
    link.symlink_to(target)
    child = score_variants_child(tmp_path, out=link)
    assert child.wait(timeout=120) == 0, child.stderr.read()
    assert link.is_symlink() and target.read_text() == "new" and (tmp_path / "out" / "scores.png").read_text() == "new"
    assert [p.name for p in (tmp_path / "real").iterdir()] == ["table.tsv.gz"]


def test_a_dangling_symlinked_out_to_a_missing_folder_is_refused(tmp_path, capsys):
    link = tmp_path / "scores.tsv.gz"
    link.symlink_to(tmp_path / "gone" / "scores.tsv.gz")
    status, err = run_main(capsys, "score-variants", "--model", tmp_path / "m.pt", "--vcf", tmp_path / "in.vcf",
                           "--genome", tmp_path / "g.fa", "--out", link)
    assert status == 1 and err == (f"cisflow score-variants: {link}: --out is a symlink to "
                                   f"{tmp_path / 'gone' / 'scores.tsv.gz'}, whose folder does not exist; "
                                   "give a file path\n")
    assert link.is_symlink() and not (tmp_path / "gone").exists()


@pytest.mark.parametrize("command, option, value, problem", [
    ("score-variants", "--background", "-1", "-1 is less than the minimum of 0 (allowed: at least 0)"),
    ("score-variants", "--max-ref-mismatch", "-1", "-1.0 is less than the minimum of 0 (allowed: at least 0 and "
                                                   "at most 1)"),
    ("score-variants", "--max-ref-mismatch", "2", "2.0 is greater than the maximum of 1"),
    ("predict", "--batch-size", "0", "0 is less than the minimum of 1 (allowed: at least 1)"),
    ("predict", "--batch-size", "-5", "-5 is less than the minimum of 1"),
    ("predict", "--batch-size", "2.5", "'2.5' is not an integer"),
    ("score-variants", "--p-threshold", "-1", "-1.0 is less than or equal to the minimum of 0 (allowed: above 0 and "
                                              "at most 1)"),
    ("score-variants", "--p-threshold", "nan", "nan is not a finite number"),
    ("score-variants", "--r2", "1.5", "1.5 is greater than the maximum of 1 (allowed: above 0 and at most 1)"),
    ("score-variants", "--r2", "0", "0.0 is less than or equal to the minimum of 0"),
    ("score-variants", "--proxies", "0", "0.0 is less than or equal to the minimum of 0"),
    ("score-variants", "--locus-window", "-1", "-1 is less than the minimum of 0"),
    ("score-variants", "--ism-top", "-1", "-1 is less than the minimum of 0 (allowed: at least 0 and at most 10000)"),
    ("score-variants", "--ism-top", "10001", "10001 is greater than the maximum of 10000"),
    ("score-variants", "--background-reference", "0", "0 is less than the minimum of 1 (allowed: at least 1)"),
    ("score-variants", "--motif-p-value", "0", "0.0 is less than or equal to the minimum of 0"),
    ("score-variants", "--motif-p-value", "inf", "inf is not a finite number"),
    ("score-variants", "--seed", "-1", "-1 is less than the minimum of 0 (allowed: at least 0 and at most 2147483647)"),
])
def test_a_number_out_of_range_is_refused_naming_the_option(tmp_path, capsys, command, option, value, problem):
    """Before anything is read: the model would write the marker if it were loaded."""
    model = bad_model(tmp_path, "malicious")
    inputs = {"predict": ["--fasta", tmp_path / "in.fa"],
              "score-variants": ["--vcf", tmp_path / "in.vcf", "--genome", tmp_path / "g.fa"]}[command]
    with pytest.raises(SystemExit) as stop:
        main([command, "--model", str(model), *map(str, inputs), "--out", str(tmp_path / "out"), option, value])
    assert stop.value.code == 2
    assert f"cisflow {command}: error: argument {option}: {problem}" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["malicious.pt"]


def test_every_numeric_option_takes_its_range_from_the_config_schema():
    """A numeric option's type is cisflow.config.schema.number_option's (its key's schema), never a bare
    int or float, so that no option forgets its range or differs from the config."""
    from cisflow.cli import _parser

    commands = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    options = [(name, action) for name, command in commands.items() for action in command._actions]
    assert not [(name, action.dest) for name, action in options if action.type in (int, float)]
    assert {action.dest for _, action in options if getattr(action.type, "__name__", "") in ("integer", "number")} == {
        "batch_size", "p_threshold", "locus_window", "r2", "proxies", "background", "background_reference", "seed",
        "ism_top", "max_ref_mismatch", "motif_p_value"}


def test_predict_refuses_a_model_whose_weights_or_outputs_are_not_finite_and_writes_nothing(tmp_path, capsys):
    from tests.test_checkpoint import crafted, overflowing, poisoned

    fasta = tmp_path / "seqs.fa"
    fasta.write_text("".join(f">r{i}\n{'ACGT' * 10}\n" for i in range(3)))
    out = tmp_path / "pred.tsv"
    diverged = crafted(tmp_path / "diverged", poisoned)
    status, err = run_main(capsys, "predict", "--model", diverged, "--fasta", fasta, "--out", out)
    assert status == 1 and err == (f"cisflow predict: {diverged}: tensor blocks.0.0.weight holds 3 NaN / 1 inf "
                                   "values: the model is unusable (a diverged training?); train it again, with a "
                                   "lower training.lr if it diverges again\n")
    assert not out.exists()
    overflows = crafted(tmp_path / "overflows", overflowing)
    status, err = run_main(capsys, "predict", "--model", overflows, "--fasta", fasta, "--out", out)
    assert status == 1 and err.startswith(f"cisflow predict: {overflows}: the model's outputs are NaN or infinite "
                                          "for 3 of 3 sequences (r0, r1, r2")
    assert "its arithmetic overflows, so none of its predictions can be trusted and none was written" in err
    assert not out.exists() and sorted(path.name for path in tmp_path.iterdir()) == ["diverged", "overflows",
                                                                                     "seqs.fa"]


def test_score_variants_blames_a_model_that_is_not_finite_not_the_background(tmp_path, genome, capsys):
    from tests.test_checkpoint import crafted, overflowing, poisoned

    sequence = genome[1]["chrA"]
    vcf = tmp_path / "x.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" + "".join(
        f"chrA\t{pos}\tv{pos}\t{sequence[pos - 1]}\t{'A' if sequence[pos - 1] != 'A' else 'C'}\t.\tPASS\t.\n"
        for pos in (300, 700, 1100)))
    out = tmp_path / "out" / "scores.tsv.gz"
    args = ["--vcf", vcf, "--genome", genome[0], "--background", "2", "--background-reference", "20", "--out", out]
    diverged = crafted(tmp_path / "diverged", poisoned)
    status, err = run_main(capsys, "score-variants", "--model", diverged, *args)
    assert status == 1 and err.startswith(f"cisflow score-variants: {diverged}: tensor blocks.0.0.weight holds 3 "
                                          "NaN / 1 inf values: the model is unusable")
    assert "background" not in err and list(out.parent.iterdir()) == []
    overflows = crafted(tmp_path / "overflows", overflowing)
    status, err = run_main(capsys, "score-variants", "--model", overflows, *args)
    assert status == 1 and err.startswith(f"cisflow score-variants: {overflows}: the model's outputs are NaN or "
                                          "infinite for 3 of 3 variants' alleles (v300, v700, v1100): its "
                                          "arithmetic overflows")
    assert list(out.parent.iterdir()) == []


def test_predict_refuses_a_model_that_also_takes_features_naming_its_file(tmp_path, capsys):
    from tests.test_score_variant_set import PARAMS

    attrs = {"task": "regression", "targets": ["expression"], "seq_len": 40, "features": ["half_life", "gc"]}
    model = tmp_path / "features.pt"
    save_model(model, build_for_dataset("basset", attrs, PARAMS), "basset", PARAMS, attrs)
    (tmp_path / "seqs.fa").write_text(">a\nACGT\n")
    status, err = run_main(capsys, "predict", "--model", model, "--fasta", tmp_path / "seqs.fa", "--out",
                           tmp_path / "pred.tsv")
    assert status == 1 and err == (f"cisflow predict: {model}: this model also takes per-sequence features "
                                   "(half_life, gc); predict takes sequences only\n")
    assert not (tmp_path / "pred.tsv").exists()


def test_ensemble_names_one_a_member_and_distinct_or_the_option_is_named(tmp_path, capsys):
    member = model_file(tmp_path / "member.pt")
    args = argparse.Namespace(members=[member, member], names=["a"], out=tmp_path / "ensemble.pt")
    with pytest.raises(ConfigError) as caught:
        ensemble_files(args)
    assert caught.value.key == "--names"
    status, err = run_main(capsys, "ensemble", "--out", tmp_path / "ensemble.pt", member, member, "--names", "a", "a")
    assert status == 1 and err == "cisflow ensemble: --names: 2 distinct names needed, one a member, got ['a', 'a']\n"
    assert not (tmp_path / "ensemble.pt").exists()


def test_score_variants_settings_are_the_options_given_and_the_schemas_defaults_for_the_others():
    """One default per setting, the schema's: an option not given leaves its key to it, and its help says it."""
    from cisflow.cli import _parser, jaspar_of, variant_set_of
    from cisflow.config.schema import key_schema
    from cisflow.config.settings import Interpret, VariantSet
    from cisflow.variants.inputs import INPUT_KINDS

    kinds = {kind.key: kind for kind in INPUT_KINDS}
    command = ["score-variants", "--model", "m.pt", "--genome", "g.fa"]
    args = _parser().parse_args([*command, "--vcf", "v.vcf", "--trait", "LDL"])
    assert variant_set_of(args, kinds["vcf"]) == VariantSet.from_mapping({"vcf": {"url": "v.vcf"}})
    defaults = Interpret.from_mapping({})
    assert jaspar_of(args) == {"release": defaults.jaspar_release, "tax_group": defaults.tax_group}
    args = _parser().parse_args([
        *command, "--sumstats", "s.tsv", "--trait", "LDL", "--p-threshold", "1e-6", "--locus-window", "100", "--r2",
        "0.9", "--proxies", "0.8", "--background", "0", "--background-reference", "30", "--seed", "5", "--ism-top",
        "2", "--indels", "skip", "--max-ref-mismatch", "0.1", "--precision", "fp32", "--motif-p-value", "0.001",
        "--tax-group", "plants"])
    given = variant_set_of(args, kinds["sumstats"])
    assert given == VariantSet.from_mapping({
        "sumstats": {"url": "s.tsv"}, "trait": "LDL", "p_threshold": 1e-6, "locus_window": 100, "r2": 0.9,
        "proxies": {"r2": 0.8}, "background": {"per_variant": 0, "reference": 30, "seed": 5}, "ism": {"top": 2},
        "indels": "skip", "max_ref_mismatch": 0.1, "precision": "fp32", "motif_p_value": 0.001})
    assert given.background.max == key_schema("variants.*.background.max")["default"]
    assert jaspar_of(args) == {"release": defaults.jaspar_release, "tax_group": "plants"}
    args = _parser().parse_args([*command, "--gwas-catalog", "c.tsv", "--trait", "LDL", "--trait", "EFO_0004611"])
    assert (variant_set_of(args, kinds["gwas_catalog"]).traits, variant_set_of(args, kinds["gwas_catalog"]).trait) == (
        ["LDL", "EFO_0004611"], None)
    helps = {action.dest: action.help or "" for action in _subcommand("score-variants")._actions}
    for option, key in (("background", "background.per_variant"), ("background_reference", "background.reference"),
                        ("seed", "background.seed"), ("ism_top", "ism.top"), ("locus_window", "locus_window"),
                        ("r2", "r2"), ("max_ref_mismatch", "max_ref_mismatch"), ("motif_p_value", "motif_p_value"),
                        ("indels", "indels"), ("precision", "precision")):
        assert f"(default {key_schema(f'variants.*.{key}')['default']}" in helps[option], option
    assert f"{key_schema('variants.*.ism.flank')['default']} bases a side" in helps["ism_top"]
    assert f"default {defaults.jaspar_release})" in helps["jaspar_release"]
    assert f"(default {defaults.tax_group};" in helps["tax_group"]


def _subcommand(name):
    from cisflow.cli import _parser

    return next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)).choices[name]
