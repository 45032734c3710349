import json
import re
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from cisflow.interpret.matching import MATCH_COLUMNS
from cisflow.report.report import best_match_names
from cisflow.report.report import run as build_report

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "cisflow" / "report" / "template.html"


def png(path):
    Figure(figsize=(2, 2)).savefig(path, format="png")
    return path


def matches_table(path):
    rows = [dict(filter=0, status="tested", rank=1, jaspar_id="MA0139.2", name="CTCF", p_value=1e-9, q_value=1e-6,
                 shuffle_p_value=0.01, n_sites=50, information_content=12.0),
            dict(filter=0, status="tested", rank=2, jaspar_id="MA1929.2", name="CTCF", p_value=1e-5, q_value=0.01,
                 shuffle_p_value=0.5, n_sites=50, information_content=12.0),
            dict(filter=1, status="tested", rank=1, jaspar_id="MA0079.5", name="SP1", p_value=1e-4, q_value=0.2,
                 shuffle_p_value=0.01, n_sites=9, information_content=6.0)]
    table = pd.DataFrame(rows).reindex(columns=MATCH_COLUMNS)
    table.to_csv(path, sep="\t", index=False)
    return table


def test_summary_and_self_contained_page(tmp_path):
    config = {
        "genome": {"name": "g"}, "report": {"title": "Lab meeting"},
        "datasets": {"d": {"kind": "table", "table": "t", "length": 50, "split": {"valid": 0.1, "test": 0.1}}},
        "experiments": {"e": {"dataset": "d", "model": {"name": "cnn", "params": {}},
                              "training": {"optimizer": "adam", "lr": 0.001, "batch_size": 8, "epochs": 3,
                                           "patience": 2}}},
    }
    (tmp_path / "metrics.json").write_text(json.dumps(
        {"task": "regression", "pearson": 0.9, "spearman": 0.8, "r2": 0.7, "n_test": 10,
         "per_target": {"y": {"pearson": 0.9, "spearman": 0.8, "r2": 0.7}}}))
    pd.DataFrame({"epoch": [1, 2], "train_loss": [1.0, 0.5], "valid_loss": [1.1, 0.7], "valid_score": [0.5, 0.9],
                  "lr": [1e-3, 1e-3], "seconds": [1.5, 1.5], "seqs_per_s": [10, 10]}).to_csv(
        tmp_path / "history.tsv", sep="\t", index=False)
    matches = matches_table(tmp_path / "matches.tsv")
    files = {"metrics": tmp_path / "metrics.json", "history": tmp_path / "history.tsv",
             "matches": tmp_path / "matches.tsv", "performance": png(tmp_path / "p.png"),
             "motif_plot": png(tmp_path / "m.png"), "saliency": png(tmp_path / "s.png"),
             "influence": tmp_path / "influence.tsv", "variants": {}}
    pd.DataFrame({"filter": [0, 1], "influence": [0.2, 0.01], "best_match": ["CTCF", ""],
                  "change_y": [-0.4, 0.1]}).to_csv(tmp_path / "influence.tsv", sep="\t", index=False)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "attrs.json").write_text(json.dumps(
        {"source": "table", "n": 100, "seq_len": 50, "split_sizes": {"train": 80, "valid": 10, "test": 10},
         "targets": ["y"], "counts": {"too_many_n": 2},
         "dropped_targets": {"K562": "none of its 8 peaks lie on contigs of the genome"}}))
    datasets = {"d": tmp_path / "d"}
    logs = tmp_path / "logs"
    (logs / "train").mkdir(parents=True)
    (logs / "train/e.log").write_text("2026-11-21 10:00:00 INFO cisflow.job: cisflow job on host node7, SLURM job 81, "
                                      "partition gpu\n... \n2026-11-21 10:05:00 INFO cisflow.job: cisflow job "
                                      "finished in 300.0 s\n")
    (logs / "report.log").write_text("2026-11-21 10:06:00 INFO cisflow.job: cisflow job on host login1, SLURM job -, "
                                     "partition -\n")  # still running: not listed
    summary = build_report(config, {"experiments": {"e": files}, "datasets": datasets}, tmp_path / "index.html",
                           tmp_path / "summary.json", TEMPLATE, logs)
    written = json.loads((tmp_path / "summary.json").read_text())
    assert written["experiments"]["e"]["metrics"] == {"pearson": 0.9, "spearman": 0.8, "r2": 0.7}
    assert written["experiments"]["e"]["motifs"] == [{"filter": 0, "jaspar_id": "MA0139.2", "name": "CTCF",
                                                      "q_value": 1e-6}]
    assert summary["experiments"]["e"]["training_seconds"] == 3.0
    assert written["experiments"]["e"]["influential_filters"][0] == {"filter": 0, "influence": 0.2,
                                                                     "best_match": "CTCF"}
    assert best_match_names(matches) == {"CTCF": 1}
    assert written["jobs"] == [{"job": "train/e", "host": "node7", "slurm_job": "81", "partition": "gpu",
                                "seconds": 300.0}]
    html = (tmp_path / "index.html").read_text()
    assert "Lab meeting" in html and "CTCF" in html and "a cnn network was trained" in html
    assert "<b>target K562 dropped</b> (empty_targets: drop): none of its 8 peaks lie on contigs" in html
    assert "1 job, 5.0 minutes in all; 1 on the gpu partition" in html and "<td>node7</td>" in html
    assert all(src.startswith("data:image/png;base64,") for src in re.findall(r'src="([^"]*)"', html))


def test_methods_paragraph_describes_labelled_fasta_datasets():
    from cisflow.report.report import _data_sentence

    data = {"kind": "fasta", "length": 200, "split": {"valid": 0.1, "seed": 1},
            "sources": [{"table": "oct4", "label": 1}, {"table": "mafk", "label": 0}],
            "test_sources": [{"table": "oct4_test", "label": 1}, {"table": "mafk_test", "label": 0}]}
    sentence = _data_sentence(data, {"n": 7_997})
    assert sentence == ("7,997 sequences of the labelled FASTA files 'oct4', 'mafk' padded to 200 nt (random split, "
                        "10% validation; the files 'oct4_test', 'mafk_test' as test)")
