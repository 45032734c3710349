"""The bundled demo, run in full as `make demo` runs it, finds what was planted in it."""

import json

import pandas as pd
import pytest

from tests.workflow_helpers import ROOT, demo_config, snakemake, write_config

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo")
    result = snakemake(workdir, write_config(workdir, demo_config()))
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    return workdir


@pytest.fixture(scope="module")
def summary(demo_run):
    return json.loads((demo_run / "results/report/summary.json").read_text())


def test_peak_model_separates_held_out_peaks(summary):
    assert summary["experiments"]["peaks_basset"]["metrics"]["auroc"] >= 0.90


def test_every_planted_motif_is_matched_by_name(summary):
    planted = pd.read_csv(ROOT / "resources/demo/motifs.tsv", sep="\t")
    expected = set(planted.loc[planted["role"] == "peaks", "tf"])
    matched = {motif["name"] for motif in summary["experiments"]["peaks_basset"]["motifs"]}
    assert expected <= matched, f"not matched: {expected - matched}"


def test_modisco_recovers_the_first_samples_planted_motif(summary):
    """TF-MoDISco on the attributions for the first sample (K562), whose peaks carry GATA1::TAL1."""
    patterns = summary["experiments"]["peaks_basset"]["modisco_patterns"]
    assert "GATA1::TAL1" in {pattern["match"] for pattern in patterns}, patterns


def test_motif_destroying_snps_rank_above_neutral_ones(summary):
    variants = summary["experiments"]["peaks_basset"]["variants"]
    assert variants["demo_gwas"]["truth_auroc"] >= 0.90  # the VCF
    assert variants["demo_catalog"]["truth_auroc"] >= 0.90  # the same SNPs as GWAS Catalog rows


def test_each_traits_snps_are_enriched_in_the_cell_type_of_the_motif_they_destroy(summary):
    """Red blood cell count's SNPs destroy GATA1::TAL1 sites (K562), lymphocyte count's CTCF
    sites (GM12878), body mass index's the SP1 sites all three share; height's are neutral."""
    enrichment = {row["trait"]: row for row in
                  summary["experiments"]["peaks_basset"]["variants"]["demo_catalog"]["enrichment"]}
    assert enrichment["erythrocyte count"]["top_output"] == "K562"
    assert enrichment["lymphocyte count"]["top_output"] == "GM12878"
    for trait in ("erythrocyte count", "lymphocyte count", "body mass index"):
        assert enrichment[trait]["q_value"] < 0.01 and enrichment[trait]["auc_low"] > 0.6, enrichment[trait]
    assert enrichment["body height"]["q_value"] > 0.05 and enrichment["body height"]["auc_low"] < 0.5


def test_regression_model_predicts_held_out_activity(summary):
    assert summary["experiments"]["activity_cnn"]["metrics"]["pearson"] >= 0.80


def test_report_in_a_real_browser(demo_run):
    """The demo's report opened in headless Chromium at a projector's 1280 px: every image
    decodes, nothing is logged as an error, nothing scrolls sideways. The screenshot is kept as a
    CI artifact: results/report-screenshot.png."""
    from tests.browser import open_page

    artifact = ROOT / "results" / "report-screenshot.png"
    page = open_page(demo_run / "results/report/index.html", artifact)
    assert page["images"] >= 10 and page["broken_images"] == [], page
    assert page["console_errors"] == [], page
    assert page["scroll_width"] <= page["viewport_width"], page
    assert artifact.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
