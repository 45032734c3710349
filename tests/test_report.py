import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from cisflow.interpret.matching import MATCH_COLUMNS
from cisflow.report.report import best_match_names, write_report

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "cisflow" / "report" / "template.html"


def png(path):
    Figure(figsize=(2, 2)).savefig(path, format="png")
    return path


def matches_table(path, members=("seed1",)):
    """A matches table of each of ``members``: filter 0 a credible CTCF, filter 1 an SP1 whose q fails."""
    rows = [dict(filter=0, status="tested", rank=1, jaspar_id="MA0139.2", name="CTCF", p_value=1e-9, q_value=1e-6,
                 shuffle_p_value=0.01, n_sites=50, information_content=12.0),
            dict(filter=0, status="tested", rank=2, jaspar_id="MA1929.2", name="CTCF", p_value=1e-5, q_value=0.01,
                 shuffle_p_value=0.5, n_sites=50, information_content=12.0),
            dict(filter=1, status="tested", rank=1, jaspar_id="MA0079.5", name="SP1", p_value=1e-4, q_value=0.2,
                 shuffle_p_value=0.01, n_sites=9, information_content=6.0)]
    table = pd.concat([pd.DataFrame(rows).reindex(columns=MATCH_COLUMNS).assign(member=member) for member in members],
                      ignore_index=True)
    table = table[["member", *MATCH_COLUMNS]]
    table.to_csv(path, sep="\t", index=False)
    return table


def experiment_files(folder, task="regression", members=("seed1",), variants=None):
    """The files the report reads of one experiment, as the workflow writes them (``report_manifest``'s
    roles), for ``members``: metrics with each member's and their spread, a history a member, each
    member's filter matches and influence, the motifs' reproducibility and the figures."""
    keys = ("pearson", "spearman", "r2") if task == "regression" else ("auroc", "auprc")
    figures = dict(zip(keys, (0.9, 0.8, 0.7)))
    (folder / "metrics.json").write_text(json.dumps(
        {"task": task, **figures, "n_test": 10, "per_target": {"y": figures},
         "evaluated": "one model on the test split" if len(members) == 1 else "the ensemble of seed replicates",
         "members": {m: {**{k: v - 0.01 * i for k, v in figures.items()}, "n_test": 10} for i, m in enumerate(members)},
         "member_spread": {k: {"mean": v - 0.01, "sd": 0.01} for k, v in figures.items()}}))
    histories = {}
    for member in members:
        histories[member] = folder / f"{member}.history.tsv"
        pd.DataFrame({"epoch": [1, 2], "train_loss": [1.0, 0.5], "valid_loss": [1.1, 0.7], "valid_score": [0.5, 0.9],
                      "lr": [1e-3, 1e-3], "seconds": [1.5, 1.5], "seqs_per_s": [10, 10]}).to_csv(
            histories[member], sep="\t", index=False)
    matches = matches_table(folder / "matches.tsv", members)
    pd.concat([pd.DataFrame({"member": member, "filter": [0, 1], "influence": [0.2, 0.01], "best_match": ["CTCF", ""],
                             "change_y": [-0.4, 0.1]}) for member in members]).to_csv(
        folder / "influence.tsv", sep="\t", index=False)
    pd.DataFrame({"name": ["CTCF"], "jaspar_id": ["MA0139.2"], "members": [len(members)], "of": [len(members)],
                  "found_in": [",".join(members)], "filters": [len(members)], "best_q_value": [1e-6]}).to_csv(
        folder / "reproducibility.tsv", sep="\t", index=False)
    files = {"metrics": folder / "metrics.json", "histories": histories, "matches": folder / "matches.tsv",
             "reproducibility": folder / "reproducibility.tsv", "performance": png(folder / "p.png"),
             "motif_plot": png(folder / "m.png"), "saliency": png(folder / "s.png"),
             "influence": folder / "influence.tsv", "variants": variants or {}}
    return files, matches


CONFIG = {
    "genome": {"name": "g"}, "report": {"title": "Lab meeting"},
    "datasets": {"d": {"kind": "table", "table": "t", "length": 50, "split": {"valid": 0.1, "test": 0.1}}},
    "experiments": {"e": {"dataset": "d", "model": {"name": "cnn", "params": {}},
                          "training": {"optimizer": "adam", "lr": 0.001, "batch_size": 8, "epochs": 3,
                                       "patience": 2}}},
}


def dataset_attrs(folder):
    (folder / "d").mkdir()
    (folder / "d" / "attrs.json").write_text(json.dumps(
        {"source": "table", "n": 100, "seq_len": 50, "split_sizes": {"train": 80, "valid": 10, "test": 10},
         "targets": ["y"], "counts": {"too_many_n": 2},
         "dropped_targets": {"K562": "none of its 8 peaks lie on contigs of the genome"}}))
    return {"d": folder / "d"}


def test_summary_and_self_contained_page(tmp_path):
    files, matches = experiment_files(tmp_path)
    datasets = dataset_attrs(tmp_path)
    logs = tmp_path / "logs"
    (logs / "train").mkdir(parents=True)
    (logs / "train/e.log").write_text("2026-11-21 10:00:00 INFO cisflow.job: cisflow job on host node7, SLURM job 81, "
                                      "partition gpu\n... \n2026-11-21 10:05:00 INFO cisflow.job: cisflow job "
                                      "finished in 300.0 s\n")
    (logs / "report.log").write_text("2026-11-21 10:06:00 INFO cisflow.job: cisflow job on host login1, SLURM job -, "
                                     "partition -\n")  # still running: not listed
    summary = write_report(CONFIG, {"experiments": {"e": files}, "datasets": datasets}, tmp_path / "index.html",
                           tmp_path / "summary.json", TEMPLATE, logs)
    written = json.loads((tmp_path / "summary.json").read_text())
    assert written["experiments"]["e"]["metrics"] == {"pearson": 0.9, "spearman": 0.8, "r2": 0.7}
    assert written["experiments"]["e"]["motifs"] == [{"member": "seed1", "filter": 0, "jaspar_id": "MA0139.2",
                                                      "name": "CTCF", "q_value": 1e-6}]
    assert summary["experiments"]["e"]["training_seconds"] == 3.0
    assert written["experiments"]["e"]["influential_filters"][0] == {"member": "seed1", "filter": 0, "influence": 0.2,
                                                                     "best_match": "CTCF"}
    assert best_match_names(matches) == {"CTCF": 1}
    assert written["jobs"] == [{"job": "train/e", "host": "node7", "slurm_job": "81", "partition": "gpu",
                                "seconds": 300.0}]
    html = (tmp_path / "index.html").read_text()
    assert "Lab meeting" in html and "CTCF" in html and "a cnn network was trained" in html
    assert "<b>target K562 dropped</b> (empty_targets: drop): none of its 8 peaks lie on contigs" in html
    assert "1 job, 5.0 minutes in all; 1 on the gpu partition" in html and "<td>node7</td>" in html
    assert all(src.startswith("data:image/png;base64,") for src in re.findall(r'src="([^"]*)"', html))
    assert "Members side by side" not in html and "Which motifs the members agree on" not in html


def test_members_side_by_side_with_their_spread_and_the_motifs_they_agree_on(tmp_path):
    members = ("seed1", "seed2", "seed3")
    files, matches = experiment_files(tmp_path, members=members)
    config = {**CONFIG, "experiments": {"e": {**CONFIG["experiments"]["e"], "replicates": {"seeds": 3}}}}
    summary = write_report(config, {"experiments": {"e": files}, "datasets": dataset_attrs(tmp_path)},
                           tmp_path / "index.html", tmp_path / "summary.json", TEMPLATE)
    experiment = summary["experiments"]["e"]
    assert [m["member"] for m in experiment["members"]] == list(members)
    assert experiment["members"][2]["pearson"] == 0.88 and experiment["training_seconds"] == 9.0
    assert experiment["member_spread"]["pearson"] == {"mean": 0.89, "sd": 0.01}
    assert experiment["motif_reproducibility"][0]["members"] == 3
    assert best_match_names(matches) == {"CTCF": 3}  # filter 0 of each member: three filters, not one
    html = (tmp_path / "index.html").read_text()
    assert "Members side by side" in html and "(members 0.890 ± 0.010)" in html
    assert "<td class=\"num\">3 of 3</td>" in html and "seed1, seed2, seed3" in html
    assert "3 such models were trained with different seeds and their ensemble" in html


def test_methods_paragraph_describes_labelled_fasta_datasets():
    from cisflow.report.report import _data_sentence

    data = {"kind": "fasta", "length": 200, "split": {"valid": 0.1, "seed": 1},
            "sources": [{"table": "oct4", "label": 1}, {"table": "mafk", "label": 0}],
            "test_sources": [{"table": "oct4_test", "label": 1}, {"table": "mafk_test", "label": 0}]}
    sentence = _data_sentence(data, {"n": 7_997})
    assert sentence == ("7,997 sequences of the labelled FASTA files 'oct4', 'mafk' padded to 200 nt (random split, "
                        "10% validation; the files 'oct4_test', 'mafk_test' as test)")


def test_undefined_metrics_read_back_as_null_are_shown_as_such(tmp_path):
    """An AUROC of one class (null in metrics.json, NaN before) and a truth AUROC without both
    classes: the page says n/a, with the reason where there is one, and summary.json stays JSON."""
    from cisflow.io.jsonio import write_json
    from tests.test_jsonio import strict_json

    members = ("seed1", "seed2")
    variants = {"summary": tmp_path / "v.summary.json", "table": tmp_path / "v.tsv.gz", "plot": png(tmp_path / "v.png")}
    files, _ = experiment_files(tmp_path, "classification", members, variants={"v": variants})
    undefined = {"auroc": None, "auprc": None}
    write_json(files["metrics"], {
        "task": "classification", **undefined, "n_test": 10, "evaluated": "the ensemble of seed replicates",
        "per_target": {"y": {**undefined, "note": "one class only (0 of 10 positive): no AUROC or AUPRC"}},
        "members": {member: {**undefined, "n_test": 10} for member in members},
        "member_spread": {key: {"mean": None, "sd": None} for key in undefined}})
    write_json(variants["summary"], {"kind": "vcf", "sites": 2, "rows": 2, "scored": 2, "flagged": 0,
                                     "status": {"scored": 2}, "alt_from": {"none": 2}, "truth_auroc": None,
                                     "truth_auroc_note": "one class only among the truth's ids that were scored"})
    pd.DataFrame({"rank": [1, 2], "id": ["v1", "v2"], "chrom": "chr1", "pos": [5, 9], "score": [2.0, 1.0]}).to_csv(
        variants["table"], sep="\t", index=False)
    write_report(CONFIG, {"experiments": {"e": files}, "datasets": dataset_attrs(tmp_path)}, tmp_path / "index.html",
                 tmp_path / "summary.json", TEMPLATE)
    written = strict_json(tmp_path / "summary.json")["experiments"]["e"]
    assert written["metrics"] == undefined and written["variants"]["v"]["truth_auroc"] is None
    html = (tmp_path / "index.html").read_text()
    assert "auroc <b>n/a</b> <span class=\"spread\">(members n/a ± n/a)</span>" in html
    assert "truth AUROC n/a (one class only among the truth&#39;s ids that were scored)" in html


def variant_files(folder, name, enriched):
    """A variant set's files as the variants rule writes them: summary (with one trait's enrichment where
    ``enriched``), ranked table and figure."""
    files = {"summary": folder / f"{name}.summary.json", "table": folder / f"{name}.tsv.gz",
             "plot": png(folder / f"{name}.png")}
    enrichment = [{"trait": "height", "n_sites": 9, "n_loci": 3, "auc": 0.8, "auc_low": 0.6, "auc_high": 0.9,
                   "p_value": 0.01, "q_value": 0.02, "top_output": "y"}] if enriched else []
    files["summary"].write_text(json.dumps({"kind": "vcf", "sites": 2, "rows": 2, "scored": 2, "flagged": 0,
                                            "status": {"scored": 2}, "alt_from": {"none": 2},
                                            "enrichment": enrichment}))
    pd.DataFrame({"rank": [1, 2], "id": ["v1", "v2"], "chrom": "chr1", "pos": [5, 9], "score": [2.0, 1.0]}).to_csv(
        files["table"], sep="\t", index=False)
    return files


def two_experiments(tmp_path):
    """The page of experiments ``a`` and ``a-b`` whose variant sets' names would clash if joined by ``-``
    (``a`` scores ``b-c`` and ``v``, ``a-b`` scores ``c`` and ``v``; ``b-c`` and ``v`` of ``a-b`` hold an
    enrichment; ``a`` has genome browser tracks), made of figures tall enough for a page to scroll."""
    experiments, manifest = {}, {}
    for name, sets in (("a", {"b-c": True, "v": False}), ("a-b", {"c": False, "v": True})):
        folder = tmp_path / name
        folder.mkdir()
        variants = {vs: variant_files(folder, vs, enriched) for vs, enriched in sets.items()}
        manifest[name], _ = experiment_files(folder, variants=variants)
        if name == "a":
            manifest[name]["tracks"] = {"hub": folder / "hub.txt", "session": folder / "igv_session.xml"}
        experiments[name] = CONFIG["experiments"]["e"]
    write_report({**CONFIG, "experiments": experiments}, {"experiments": manifest,
                                                          "datasets": dataset_attrs(tmp_path)},
                 tmp_path / "index.html", tmp_path / "summary.json", TEMPLATE)
    return tmp_path / "index.html"


CONTENTS = ["experiments", "data", "experiment/a", "tracks/a", "variants/a/b-c", "enrichment/a/b-c", "variants/a/v",
            "experiment/a-b", "variants/a-b/c", "variants/a-b/v", "enrichment/a-b/v", "methods"]


class Anchors(HTMLParser):
    """The ids of a page and the fragments its contents bar links to."""

    def __init__(self):
        super().__init__()
        self.ids, self.links, self.in_contents = [], [], False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag == "nav" and attributes.get("class") == "contents":
            self.in_contents = True
        elif tag == "a" and self.in_contents:
            self.links.append(attributes["href"])

    def handle_endtag(self, tag):
        if tag == "nav":
            self.in_contents = False


def test_contents_bar_links_every_section_to_an_id_of_its_own(tmp_path):
    """The bar links the overview, the data, each experiment, its tracks, each of its variant sets and
    their enrichment, and the methods, in the page's order; each link's id is on one element of the page."""
    anchors = Anchors()
    anchors.feed(two_experiments(tmp_path).read_text())
    assert anchors.links == [f"#{target}" for target in CONTENTS]
    assert len(anchors.ids) == len(set(anchors.ids)) and set(CONTENTS) <= set(anchors.ids)


def test_contents_bar_stays_in_view_in_a_real_browser(tmp_path):
    """In headless Chromium at a projector's 1280 x 800 px: scrolled far down, the bar is at the top of
    the screen; a click on each of its links brings the section into view, below the bar."""
    from tests.browser import contents_problems, open_page

    page = open_page(two_experiments(tmp_path), tmp_path / "screenshot.png")
    assert page["console_errors"] == [] and page["scroll_width"] <= page["viewport_width"], page
    assert page["contents"]["targets"] == CONTENTS
    assert contents_problems(page["contents"]) == [], page["contents"]


def test_genome_browser_tracks_are_linked_relative_to_the_page_with_how_to_open_them(tmp_path):
    files, _ = experiment_files(tmp_path)
    datasets = dataset_attrs(tmp_path)
    tracks = tmp_path / "results" / "tracks" / "e"
    files["tracks"] = {"hub": tracks / "hub.txt", "session": tracks / "igv_session.xml"}
    page = tmp_path / "results" / "report" / "index.html"
    page.parent.mkdir(parents=True)
    write_report(CONFIG, {"experiments": {"e": files}, "datasets": datasets}, page,
                 tmp_path / "summary.json", TEMPLATE)
    html = page.read_text()
    assert '<h3 id="tracks/e">Genome browser tracks</h3>' in html
    assert "File &gt; Open Session" in html and "Track Hubs" in html
    assert re.findall(r'<a href="([^"]*)">', html.split("Genome browser tracks")[1])[:2] == [
        "../tracks/e/igv_session.xml", "../tracks/e/hub.txt"]
    del files["tracks"]
    write_report(CONFIG, {"experiments": {"e": files}, "datasets": datasets}, page,
                 tmp_path / "summary.json", TEMPLATE)
    assert "Genome browser tracks" not in page.read_text()
