"""The `cisflow` command: a model file alone predicts sequences and scores variants."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from cisflow.train import train
from tests.conftest import MOTIF

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
    assert table["rank"].iloc[0] == 1 and "sad_bound" in table
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
