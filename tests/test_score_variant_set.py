"""The variants stage end to end on a model file (``score_variant_set``): every input kind, nothing to score,
wrong models, truth."""

import dataclasses
import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from cisflow.config.settings import Interpret, Ism, VariantSet
from cisflow.io.errors import ConfigError, InputError
from cisflow.models.checkpoint import save_model
from cisflow.models.registry import build_for_dataset
from cisflow.variants.outputs import output_paths
from cisflow.variants.variants import score_variant_set
from tests.conftest import write_fasta
from tests.test_jsonio import strict_json

ROOT = Path(__file__).resolve().parents[1]
CATALOG = Path(__file__).parent / "data" / "gwas_catalog_associations.tsv"
VCF_HEADER = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
PARAMS = {"conv": [{"filters": 8, "width": 7, "pool": 2}], "dense": [8]}
INTERPRET = Interpret.from_mapping({})  # an experiment's interpret section, where the config sets nothing
JASPAR = {"release": INTERPRET.jaspar_release, "tax_group": INTERPRET.tax_group}  # the motifs changes are named from


def model_file(path, source="peaks", seq_len=40, targets=("K562", "HepG2")):
    attrs = {"task": "classification", "targets": list(targets), "seq_len": seq_len, "source": source}
    torch.manual_seed(0)
    model = build_for_dataset("basset", attrs, PARAMS)
    save_model(path, model, "basset", PARAMS, attrs, training={"reverse_complement": True})
    return path


@pytest.fixture
def setup(tmp_path):
    rng = np.random.default_rng(4)
    records = {"chr1": "".join(rng.choice(list("ACGT"), 3200)), "chrX": "".join(rng.choice(list("ACGT"), 800))}
    fasta = write_fasta(tmp_path / "genome.fa", records)
    from cisflow.io.genome import prepare_genome

    prepare_genome(fasta, tmp_path / "indexed.fa")
    (tmp_path / "peaks.bed").write_text("chr1\t400\t700\nchr1\t1100\t1300\nchrX\t200\t400\n")
    return {"model": model_file(tmp_path / "model.pt"), "genome": tmp_path / "indexed.fa", "records": records,
            "peaks": tmp_path / "peaks.bed", "dir": tmp_path}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo's genome, its K562 peaks and a small model of 60-base windows."""
    from cisflow.io.genome import prepare_genome

    directory = tmp_path_factory.mktemp("demo")
    prepare_genome(ROOT / "resources/demo/genome.fa.gz", directory / "genome.fa")
    return {"genome": directory / "genome.fa", "peaks": ROOT / "resources/demo/peaks/K562.narrowPeak.gz",
            "model": model_file(directory / "model.pt", seq_len=60), "dir": directory}


def variant_set(kind="vcf", **keys):
    """A variant set's settings: an input of ``kind``, the ``keys`` given, the schema's defaults for the others."""
    return VariantSet.from_mapping({kind: {"url": "input"}, **keys}, "variants.test")


def outputs(directory, stem="out"):
    """Every output of the stage, named as the rule and the command line name them."""
    return {role: Path(path) for role, path in output_paths(directory / stem).items()}


def test_the_gwas_catalog_scored_calibrated_and_tested_for_enrichment(setup):
    out = outputs(setup["dir"])
    summary = score_variant_set(setup["model"], CATALOG, setup["genome"], out,
                                variant_set("gwas_catalog", background={"per_variant": 4}), JASPAR,
                                peaks_path=setup["peaks"], name="catalog")
    assert summary["input_rows"] == 14 and summary["sites"] == 12 and summary["input_status"]["unmapped"] == 1
    assert summary["alt_from"]["alt_unknown"] > 0 and summary["alt_from"]["risk_allele"] > 0
    assert summary["background"]["snps"] >= 4 * summary["status"]["scored"] // 3
    ranked = pd.read_csv(out["table"], sep="\t")
    scored = ranked[ranked["score"].notna()]
    assert (scored["score"].diff().dropna() <= 0).all() and scored["rank"].tolist() == list(range(1, len(scored) + 1))
    for column in ("top_z", "top_effect", "top_sad", "empirical_p", "traits", "alt_from"):
        assert column in ranked
    assert not any(column.startswith(("z_", "sad_")) for column in ranked)  # per output: in the Parquet file
    assert ((scored["empirical_p"] > 0) & (scored["empirical_p"] <= 1)).all()
    scores = pd.read_parquet(out["scores"])
    assert scores["id"].tolist() == ranked["id"].tolist() and set(ranked.columns) <= set(scores.columns)
    for column in ("z_K562", "p_HepG2", "logodds_K562", "sad_K562"):
        assert scores[column].dtype == np.float32
    top = scores.loc[scored.index]
    at_top = [row[f"z_{target}"] for target, (_, row) in zip(top["top_target"], top.iterrows())]
    np.testing.assert_allclose(scored["top_z"], at_top, rtol=1e-4)
    np.testing.assert_allclose(scored["top_z"].abs(), scored["score"], rtol=1e-4)
    associations = pd.read_csv(out["associations"], sep="\t")
    assert len(associations) == 14
    assert associations.loc[associations["snp"] == "kgp8152035", "status"].item() == "unmapped"
    tcf7l2 = associations[associations["snp"] == "rs7903146"]
    assert len(tcf7l2) == 2 and tcf7l2["score"].nunique() == 1 and tcf7l2["genome_chrom"].eq("chr1").all()
    assert pd.read_csv(out["background"], sep="\t")["matched_site"].notna().all()
    assert set(pd.read_csv(out["enrichment"], sep="\t").columns) >= {"trait", "output", "auc", "p_value", "q_value"}
    for role in ("plot", "enrichment_plot", "trait_ism", "ism", "manhattan"):
        assert out[role].read_bytes()[:4] == b"\x89PNG"


def test_summary_statistics_above_the_threshold_are_left_out(setup):
    seq = setup["records"]["chr1"]
    sumstats = setup["dir"] / "ss.tsv"
    sumstats.write_text("chromosome\tbase_pair_location\teffect_allele\tother_allele\tp_value\trsid\n" + "".join(
        f"1\t{pos}\t{'A' if seq[pos - 1] != 'A' else 'C'}\t{seq[pos - 1]}\t{p}\trs{pos}\n"
        for pos, p in [(500, "1e-9"), (900, "0.3"), (1500, "2e-12"), (2500, "4e-8"), (600, "1e-20"), (700, "3e-9"),
                       (800, "1 x 10-10"), (1000, "0.001")]))
    summary = score_variant_set(setup["model"], sumstats, setup["genome"], outputs(setup["dir"], "ss"),
                                variant_set("sumstats", trait="LDL cholesterol", background={"per_variant": 3},
                                            locus_window=50), JASPAR)
    assert summary["sites"] == 6 and summary["status"]["scored"] == 6
    assert summary["loci"] == {"LDL cholesterol": {"snps": 6, "loci": 6}}  # 100 bp apart at least: six loci
    assert summary["enrichment"][0]["trait"] == "LDL cholesterol" and summary["enrichment"][0]["n_loci"] == 6
    summary = score_variant_set(setup["model"], sumstats, setup["genome"], outputs(setup["dir"], "ss"),
                                variant_set("sumstats", trait="LDL cholesterol", background={"per_variant": 3},
                                            locus_window=150), JASPAR)
    assert summary["loci"] == {"LDL cholesterol": {"snps": 6, "loci": 3}}  # 500-600-700-800 chained
    assert summary["enrichment"] == []  # three loci are too few to test
    table = pd.read_csv(setup["dir"] / "ss.tsv.gz", sep="\t").drop_duplicates("id").set_index("id")
    assert table.loc[["rs500", "rs600", "rs700", "rs800"], "locus"].tolist() == ["chr1:600"] * 4  # the smallest p
    assert table.loc["rs500", "lead"] == "rs600" and table.loc["rs1500", "locus"] == "chr1:1500"
    associations = pd.read_csv(setup["dir"] / "ss.associations.tsv.gz", sep="\t").set_index("id")
    assert associations.loc["rs700", "locus"] == "chr1:600" and associations.loc["rs700", "lead"] == "rs600"


@pytest.mark.parametrize("records", [
    ["chr1\t100\tsym\tA\t<DEL>", "chr1\t200\tbnd\tA\tA]chr1:900]"],  # only symbolic alleles
    ["chrQ\t100\tq1\tA\tG", "chrZ\t5\tq2\tC\tT"],  # every contig missing
    [],  # a header and no records
])
def test_a_vcf_with_nothing_to_score_keeps_every_record_and_says_so(setup, records):
    vcf = setup["dir"] / "none.vcf"
    vcf.write_text(VCF_HEADER + "".join(f"{r}\t.\tPASS\t.\n" for r in records))
    out = outputs(setup["dir"], "none")
    summary = score_variant_set(setup["model"], vcf, setup["genome"], out, variant_set(), JASPAR,
                                peaks_path=setup["peaks"])
    assert summary["scored"] == 0 and summary["rows"] == len(records)
    assert summary["note"] == "no variant could be scored: see the status counts"
    table = pd.read_csv(out["table"], sep="\t")
    assert len(table) == len(records) and table["rank"].isna().all()
    assert len(pd.read_parquet(out["scores"])) == len(records)
    assert all(path.exists() for path in out.values())


def test_ism_maps_the_top_variants_it_is_asked_for(setup):
    seq = setup["records"]["chr1"]
    vcf = setup["dir"] / "top.vcf"
    vcf.write_text(VCF_HEADER + "".join(f"chr1\t{pos}\tv{pos}\t{seq[pos - 1]}\t{'A' if seq[pos - 1] != 'A' else 'C'}"
                                        f"\t.\tPASS\t.\n" for pos in range(300, 2900, 200)))
    out = outputs(setup["dir"], "top")
    score_variant_set(setup["model"], vcf, setup["genome"], out,
                      variant_set(background={"per_variant": 0}, ism={"top": 3, "flank": 5}), JASPAR)
    table = pd.read_csv(out["table"], sep="\t")
    assert table["ism_max_abs"].notna().tolist() == [True] * 3 + [False] * (len(table) - 3)
    with pytest.raises(ConfigError, match="ism.flank: 20: the model's windows are 40 bases, so at most 19"):
        score_variant_set(setup["model"], vcf, setup["genome"], out, variant_set(ism={"flank": 20}), JASPAR)
    with pytest.raises(ConfigError, match=r"^variants\.test: ism\.top: -1 is less than the minimum of 0"):
        variant_set(ism={"top": -1})
    with pytest.raises(ConfigError, match="ism.top: -1"):  # settings built without the schema: checked all the same
        score_variant_set(setup["model"], vcf, setup["genome"], out,
                          dataclasses.replace(variant_set(), ism=Ism(top=-1, flank=5)), JASPAR)


def test_indels_only_with_indels_skipped(setup):
    seq = setup["records"]["chr1"]
    vcf = setup["dir"] / "indels.vcf"
    vcf.write_text(VCF_HEADER + f"chr1\t500\td1\t{seq[499:501]}\t{seq[499]}\t.\tPASS\t.\n")
    summary = score_variant_set(setup["model"], vcf, setup["genome"], outputs(setup["dir"], "indels"),
                                variant_set(indels="skip"), JASPAR)
    assert summary["status"]["indel"] == 1 and summary["scored"] == 0


def test_a_model_trained_on_a_table_is_refused(setup):
    model = model_file(setup["dir"] / "table_model.pt", source="table")
    with pytest.raises(InputError, match="table_model.pt: this model was trained on a table dataset, not on genomic"):
        score_variant_set(model, CATALOG, setup["genome"], outputs(setup["dir"]), variant_set("gwas_catalog"),
                          JASPAR)


def cli(*args):
    return subprocess.run([sys.executable, "-m", "cisflow", *map(str, args)], capture_output=True, text=True)


def test_cli_scores_the_catalog_with_traits_and_truth(setup):
    truth = setup["dir"] / "truth.tsv"
    truth.write_text("id\teffect\nrs7903146\t1\nrs1000\t0\nrs4001\tDestroys\nrs7001\tNEUTRAL\n")
    result = cli("score-variants", "--model", setup["model"], "--gwas-catalog", CATALOG, "--genome", setup["genome"],
                 "--peaks", setup["peaks"], "--trait", "type 2 diabetes mellitus", "--trait", "EFO_0004305",
                 "--truth", truth, "--background", "3", "--background-reference", "60", "--out",
                 setup["dir"] / "cli.tsv.gz")
    assert result.returncode == 0, result.stderr
    summary = json.loads((setup["dir"] / "cli.summary.json").read_text())
    assert 0 <= summary["truth_auroc"] <= 1 and summary["input_rows"] == 6
    background = pd.read_csv(setup["dir"] / "cli.background.tsv.gz", sep="\t")
    reference = background[background["role"] == "reference"]
    assert reference["stratum"].value_counts().max() == 60 and summary["background"]["reference"] == len(reference)
    assert summary["precision"].startswith("precision auto: ")  # the choice and why, for the report
    with gzip.open(setup["dir"] / "cli.associations.tsv.gz", "rt") as handle:
        assert set(pd.read_csv(handle, sep="\t")["groups"]) == {"type 2 diabetes mellitus", "EFO_0004305"}


def test_cli_refuses_a_table_model_and_a_bad_truth_before_scoring(setup):
    table_model = model_file(setup["dir"] / "table_model.pt", source="table")
    result = cli("score-variants", "--model", table_model, "--gwas-catalog", CATALOG, "--genome", setup["genome"])
    assert result.returncode == 1 and "not on genomic peaks" in result.stderr
    truth = setup["dir"] / "truth.tsv"
    truth.write_text("variant\tclass\nrs1\tdestroys\n")
    result = cli("score-variants", "--model", setup["model"], "--gwas-catalog", CATALOG, "--genome", setup["genome"],
                 "--truth", truth, "--out", setup["dir"] / "t.tsv.gz")
    assert result.returncode == 1 and "truth.tsv:1: a truth table needs the columns id and effect" in result.stderr
    assert not (setup["dir"] / "t.tsv.gz").exists()


def test_the_report_says_there_is_nothing_to_rank(setup, tmp_path):
    """A variant set in which nothing could be scored still gets its section: the statuses, and
    a table that says there is nothing to rank instead of an empty one."""
    from cisflow.report.report import write_report
    from tests.test_report import TEMPLATE, experiment_files

    vcf = setup["dir"] / "none.vcf"
    vcf.write_text(VCF_HEADER + "chrQ\t100\tq1\tA\tG\t.\tPASS\t.\n")
    out = outputs(setup["dir"], "none")
    score_variant_set(setup["model"], vcf, setup["genome"], out, variant_set(), JASPAR)
    files, _ = experiment_files(tmp_path, "classification", variants={
        "none": {"summary": out["summary"], "table": out["table"], "plot": out["plot"]}})
    config = {"genome": {"name": "g"}, "report": {"title": "t"},
              "datasets": {"d": {"kind": "peaks", "width": 40, "center": "summit", "split": {"valid": ["x"],
                                                                                            "test": ["y"]}}},
              "experiments": {"e": {"dataset": "d", "model": {"name": "basset", "params": {}},
                                    "training": {"optimizer": "adam", "lr": 0.001, "batch_size": 8, "epochs": 3,
                                                 "patience": 2}}}}
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "attrs.json").write_text(json.dumps(
        {"source": "peaks", "n": 10, "seq_len": 40, "targets": ["K562", "HepG2"],
         "split_sizes": {"train": 8, "valid": 1, "test": 1}, "counts": {}}))
    datasets = {"d": tmp_path / "d"}
    write_report(config, {"experiments": {"e": files}, "datasets": datasets}, tmp_path / "index.html",
                 tmp_path / "summary.json", TEMPLATE)
    html = (tmp_path / "index.html").read_text()
    assert "nothing to rank: no variant could be scored" in html and "contig missing 1" in html
    assert "no variant could be scored: see the status counts" in html
    assert "Scored with precision auto: " in html


def test_cli_writes_its_outputs_as_a_set(setup, monkeypatch, capsys):
    """A failure half-way (here the last plot but one) leaves the previous run's outputs as they were
    and no new one beside them; a run that succeeds replaces them all. No temporary folder stays."""
    from cisflow.cli import main
    from cisflow.variants import variants as module

    seq = setup["records"]["chr1"]
    vcf = setup["dir"] / "set.vcf"
    vcf.write_text(VCF_HEADER + "".join(f"chr1\t{pos}\tv{pos}\t{seq[pos - 1]}\t{'A' if seq[pos - 1] != 'A' else 'C'}"
                                        f"\t.\tPASS\t.\n" for pos in (500, 1200)))
    out = outputs(setup["dir"] / "results", "set")
    out["table"].parent.mkdir()
    for role in ("table", "plot", "summary"):
        out[role].write_text(f"previous {role}")
    argv = ["score-variants", "--model", setup["model"], "--vcf", vcf, "--genome", setup["genome"], "--background",
            "0", "--out", out["table"]]

    def fails(*args, **kwargs):
        raise ValueError("the enrichment plot failed")

    monkeypatch.setattr(module, "plot_enrichment", fails)
    assert main([str(arg) for arg in argv]) == 1
    assert capsys.readouterr().err == "cisflow score-variants: the enrichment plot failed\n"
    assert sorted(out["table"].parent.iterdir()) == sorted(out[role] for role in ("table", "plot", "summary"))
    assert all(out[role].read_text() == f"previous {role}" for role in ("table", "plot", "summary"))
    monkeypatch.undo()
    assert main([str(arg) for arg in argv]) == 0
    assert sorted(out["table"].parent.iterdir()) == sorted(out.values())
    assert json.loads(out["summary"].read_text())["scored"] == 2
    assert out["plot"].read_bytes()[:4] == b"\x89PNG" and len(pd.read_csv(out["table"], sep="\t")) == 2


def test_a_sites_z_does_not_depend_on_the_order_or_company_of_the_records(demo):
    """The demo's first 40 SNVs in file order and reversed, and one of them alone: the same effects,
    z-scores and ranks; the site alone draws the same background SNPs and gets the same z."""
    lines = (ROOT / "resources/demo/variants.vcf").read_text().splitlines()
    header = [line for line in lines if line.startswith("#")]
    snvs = [line for line in lines if not line.startswith("#") and all(len(f) == 1 for f in line.split("\t")[3:5])]
    runs = {"forward": snvs[:40], "reversed": snvs[:40][::-1], "alone": [snvs[17]]}
    tables, backgrounds = {}, {}
    for name, records in runs.items():
        vcf = demo["dir"] / f"{name}.vcf"
        vcf.write_text("\n".join(header + records) + "\n")
        out = outputs(demo["dir"], name)
        summary = score_variant_set(demo["model"], vcf, demo["genome"], out,
                                    variant_set(ism={"top": 0}, background={"per_variant": 3, "reference": 200}),
                                    JASPAR, peaks_path=demo["peaks"])
        assert summary["background"]["reference"] >= 200 and summary["background"]["snps"] == 3 * summary["sites"]
        tables[name] = pd.read_parquet(out["scores"]).set_index("id")
        backgrounds[name] = pd.read_csv(out["background"], sep="\t")
    forward, backward = tables["forward"], tables["reversed"].loc[tables["forward"].index]
    assert forward["score"].notna().all() and len(forward) == 40
    effects = [column for column in forward if column.startswith("logodds_")]
    z = [column for column in forward if column.startswith("z_")]
    np.testing.assert_allclose(backward[effects], forward[effects], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(backward[z], forward[z], rtol=1e-6, atol=1e-6)
    unique = ~forward["score"].round(4).duplicated(keep=False)  # ties may swap
    assert unique.sum() > 30 and (backward.loc[unique, "rank"] == forward.loc[unique, "rank"]).all()
    one = tables["alone"].index[0]
    assert np.abs(tables["alone"].loc[one, z].to_numpy(float) - forward.loc[one, z].to_numpy(float)).max() < 0.1
    drawn = {name: background.loc[background["matched_site"] == site, ["id", "chrom", "pos", "ref", "alt"]]
             for name, background, site in (("alone", backgrounds["alone"], 0),
                                            ("forward", backgrounds["forward"], 17))}
    assert len(drawn["alone"]) == 3
    pd.testing.assert_frame_equal(drawn["alone"].reset_index(drop=True), drawn["forward"].reset_index(drop=True))
    reference = {name: background[background["role"] == "reference"].reset_index(drop=True)
                 for name, background in backgrounds.items()}
    pd.testing.assert_frame_equal(reference["alone"], reference["forward"])
    pd.testing.assert_frame_equal(reference["reversed"], reference["forward"])


def test_credible_sets_are_loci_their_snps_ranked_by_predicted_effect_with_pip_beside(setup):
    """Six credible sets of three SNPs (a plain table, one set without alleles): each set is a
    locus named by its id, its candidate the SNP of largest predicted |z|, whatever its PIP; the
    trait is tested on its sets' PIP-weighted |z|."""
    seq = setup["records"]["chr1"]
    rows = ["trait\tcredible_set\tchrom\tpos\tref\talt\tpip"]
    for number in range(6):
        for offset, pip in zip((0, 40, 80), (0.6, 0.3, 0.1)):
            pos = 200 + 450 * number + offset
            ref = seq[pos - 1] if number else "."
            alt = next(base for base in "ACGT" if base != seq[pos - 1]) if number else "."
            rows.append(f"LDL\tcs{number}\tchr1\t{pos}\t{ref}\t{alt}\t{pip}")
    path = setup["dir"] / "sets.tsv"
    path.write_text("\n".join(rows) + "\n")
    out = outputs(setup["dir"], "cs")
    summary = score_variant_set(setup["model"], path, setup["genome"], out,
                                variant_set("credible_sets", background={"per_variant": 3, "reference": 60},
                                            ism={"top": 0}), JASPAR, peaks_path=setup["peaks"])
    assert summary["loci"] == {"LDL": {"snps": 18, "loci": 6}}
    loci = pd.read_csv(out["loci"], sep="\t")
    assert sorted(loci["locus"].unique()) == [f"cs{i}" for i in range(6)] and loci["pip"].notna().all()
    for name, rows_of in loci.groupby("locus"):
        scored = rows_of.dropna(subset=["score"])
        candidate = rows_of[rows_of["candidate"]]
        assert len(candidate) == 1 and candidate["score"].iloc[0] == scored["score"].max()
        assert rows_of.loc[rows_of["pip"].idxmax(), "id"] == rows_of["lead"].iloc[0]  # the lead: the largest PIP
    assert summary["top_loci"][0]["score"] == pytest.approx(loci["score"].max(), rel=1e-4)
    assert summary["top_loci"][0]["pip"] is not None
    table = pd.read_csv(out["table"], sep="\t")
    assert table.loc[table["pos"] == 200, "alt_from"].eq("alt_unknown").all()  # cs0 without alleles: all three
    assert summary["enrichment"][0]["n_loci"] == 6 and summary["enrichment"][0]["n_sites"] == 18
    assert out["loci_plot"].read_bytes()[:4] == b"\x89PNG"


def test_leads_expanded_to_their_proxies_in_a_reference_panel_and_clumped_into_loci(setup):
    """A panel of 100 samples in which chr1:1,000's haplotypes are copied at 1,200 and 1,400 (r² 1)
    and 2,000 is unlinked: scoring the lead with --proxies scores its two proxies too, each naming
    it, and the three are one LD locus; 2,000, though within the window, is not a proxy."""
    from tests.test_panel import panel_vcf

    seq = setup["records"]["chr1"]
    rng = np.random.default_rng(3)
    haplotypes, free = rng.random((100, 2)) < 0.4, rng.random((100, 2)) < 0.4

    def record(pos, name, h):
        alt = next(base for base in "ACGT" if base != seq[pos - 1])
        return ("chr1", pos, name, seq[pos - 1], alt, [f"{int(a)}|{int(b)}" for a, b in h])

    panel = panel_vcf(setup["dir"] / "panel.vcf", [record(1000, "lead", haplotypes), record(1200, "p1", haplotypes),
                                                   record(1400, "p2", haplotypes), record(2000, "free", free)], 100)
    lead_alt = next(base for base in "ACGT" if base != seq[999])
    vcf = setup["dir"] / "lead.vcf"
    vcf.write_text(VCF_HEADER + f"chr1\t1000\trsLead\t{seq[999]}\t{lead_alt}\t.\tPASS\t.\n")
    result = cli("score-variants", "--model", setup["model"], "--vcf", vcf, "--genome", setup["genome"],
                 "--ld-panel", panel, "--proxies", "0.8", "--locus-window", "5000", "--background", "0",
                 "--out", setup["dir"] / "proxies.tsv.gz")
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(setup["dir"] / "proxies.tsv.gz", sep="\t").set_index("id")
    assert sorted(table.index) == ["p1", "p2", "rsLead"] and (table["status"] == "scored").all()
    assert table.loc[["p1", "p2"], "proxy_of"].tolist() == ["rsLead", "rsLead"]
    assert table.loc[["p1", "p2"], "alt_from"].tolist() == ["panel", "panel"]
    assert table["locus"].nunique() == 1 and (table["lead"] == "rsLead").all()


def test_proxies_without_a_reference_panel_are_refused_naming_the_key_before_anything_is_read(setup):
    with pytest.raises(ConfigError, match=r"^proxies: needs a reference panel \(the variant set's ld_panel, or --ld"):
        score_variant_set(setup["dir"] / "no_model.pt", setup["dir"] / "no.vcf", setup["genome"],
                          outputs(setup["dir"], "proxies"), variant_set(proxies={"r2": 0.8}), JASPAR)


def two_snvs(setup, name="two.vcf"):
    seq = setup["records"]["chr1"]
    vcf = setup["dir"] / name
    vcf.write_text(VCF_HEADER + "".join(f"chr1\t{pos}\tv{pos}\t{seq[pos - 1]}\t{'A' if seq[pos - 1] != 'A' else 'C'}"
                                        f"\t.\tPASS\t.\n" for pos in (500, 1200)))
    return vcf


def test_a_truth_table_of_other_ids_is_refused_before_scoring(setup):
    truth = setup["dir"] / "truth.tsv"
    truth.write_text("id\teffect\n" + "".join(f"chr1:{pos}:A:G\t{i % 2}\n" for i, pos in enumerate(range(40))))
    out = outputs(setup["dir"], "other")
    with pytest.raises(InputError) as caught:
        score_variant_set(setup["model"], two_snvs(setup), setup["genome"], out, variant_set(), JASPAR,
                          truth_path=truth)
    assert str(caught.value) == (f"{truth}: none of its 40 ids (destroys or neutral) is in the variant set of 2 ids "
                                 "(the truth's look like chr1:0:A:G / chr1:1:A:G / chr1:2:A:G ...; the variant "
                                 "set's like v500 / v1200): the truth AUROC would have nothing to rank")
    assert not any(path.exists() for path in out.values())


def test_a_truth_auroc_without_both_classes_scored_is_null_with_its_reason(setup, caplog):
    truth = setup["dir"] / "truth.tsv"
    truth.write_text("id\teffect\nv500\tdestroys\nv1200\tdestroys\nv9\tneutral\n")
    out = outputs(setup["dir"], "one_class")
    caplog.set_level("INFO")
    score_variant_set(setup["model"], two_snvs(setup), setup["genome"], out, variant_set(background={"per_variant": 0}),
                      JASPAR, truth_path=truth)
    summary = strict_json(out["summary"])
    assert summary["truth_auroc"] is None and summary["truth_scored"] == {"destroys": 2, "neutral": 0}
    assert summary["truth_auroc_note"] == ("one class only among the truth's ids that were scored (2 destroys, "
                                           "0 neutral; see the status counts): no AUROC")
    assert summary["truth_auroc_by"] == {"max_abs_sad": None, "max_abs_effect": None}
    assert "truth AUROC (destroys vs neutral): n/a" in caplog.text  # 2 of its 3 ids matched: no warning
    assert "ids (destroys or neutral) are in the variant set" not in caplog.text


def test_cli_refuses_peaks_none_of_which_is_on_the_genome_and_writes_nothing(setup):
    peaks = setup["dir"] / "other.bed"
    peaks.write_text("NC_000001.11\t400\t700\nNC_000023.11\t200\t400\n")
    out = setup["dir"] / "p.tsv.gz"
    result = cli("score-variants", "--model", setup["model"], "--gwas-catalog", CATALOG, "--genome", setup["genome"],
                 "--peaks", peaks, "--background", "3", "--background-reference", "20", "--out", out)
    assert result.returncode == 1
    assert (f"{peaks}: none of its 2 peaks is on a contig of the genome {setup['genome']} (peaks on NC_000001.11, "
            "NC_000023.11; the genome has chr1, chrX)") in result.stderr
    assert not list(setup["dir"].glob("p.*"))
