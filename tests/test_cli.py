"""The `cisflow` command: a model file alone predicts sequences and scores variants."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from cisflow.cli import main
from cisflow.training.train import train
from tests.conftest import MOTIF
from tests.test_checkpoint import RunsACommand, model_file

MODEL = {"conv": [{"filters": 16, "width": 7, "pool": 4}], "dense": [16]}
TRAINING = {"epochs": 8, "batch_size": 32, "optimizer": "adam", "lr": 0.01, "weight_decay": 0.0, "patience": 10,
            "lr_patience": 3, "reverse_complement": True, "seed": 3, "resident_limit_gb": 16, "shift": 0,
            "selection": "auto"}


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
    (["--out", "sub"], "sub: --out is a directory; give a file path"),
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
