"""Calibration against the reference background SNPs, and the trait enrichment test."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu

from cisflow.io.errors import ConfigError
from cisflow.stats import benjamini_hochberg
from cisflow.variants.calibration import calibrate, site_statistics
from cisflow.variants.enrichment import (
    auc_test,
    plot_enrichment,
    top_outputs,
    trait_enrichment,
    trait_groups,
)


def effects(values, **extra):
    """A scored-table stand-in: logodds_<t> columns from a dict {t: values}."""
    table = pd.DataFrame({f"logodds_{t}": v for t, v in values.items()})
    n = len(table)
    return table.assign(top_target="x", score=np.abs(table.to_numpy()).max(axis=1), **extra) if n else table


def test_z_scores_and_empirical_p_by_hand():
    background = effects({"a": [0.0, 1.0, 2.0, 3.0, 4.0], "b": [0.0, 0.1, 0.2, 0.3, 0.4]}, id=list("vwxyz"),
                         site=range(5), matched_site=-1, role="reference")
    scored = effects({"a": [2.0, 9.0, np.nan], "b": [0.2, 0.0, np.nan]}, site=[0, 1, 2])
    scored.loc[2, "score"] = np.nan
    calibrated, reference = calibrate(scored, background, "classification")
    # robust z: median 2 and 0.2, median absolute deviation 1 and 0.1, scaled by 1.4826
    sd_a, sd_b = 1.4826, 0.14826
    assert calibrated["z_a"].tolist()[:2] == pytest.approx([0.0, 7.0 / sd_a])
    assert calibrated["z_b"].tolist()[:2] == pytest.approx([0.0, -0.2 / sd_b])
    # |z| of the background on a: 2, 1, 0, 1, 2 (/ 1.4826): p of z 0 is (1 + 5) / 6, of 7 / 1.4826 (1 + 0) / 6
    assert calibrated["p_a"].tolist()[:2] == pytest.approx([1.0, 1 / 6])
    assert calibrated["top_target"].tolist()[:2] == ["a", "a"] and calibrated["score"].tolist()[1] == pytest.approx(
        7 / sd_a)
    assert calibrated["empirical_p"].tolist()[1] == pytest.approx(1 / 6)
    assert np.isnan(calibrated["score"].iloc[2]) and pd.isna(calibrated["top_target"].iloc[2])
    assert "z_a" in reference and "p_a" not in reference and reference["score"].notna().all()


def test_a_noisy_output_no_longer_dominates_the_ranking():
    """Output 'noisy' moves a lot at every SNP; 'quiet' moves only at the real hit. By raw effect
    the noisy output ranks a neutral SNP first; on the z scale the hit comes first."""
    rng = np.random.default_rng(0)
    background = effects({"noisy": rng.normal(0, 3, 500), "quiet": rng.normal(0, 0.05, 500)},
                         id=[f"b{i}" for i in range(500)], site=range(500), matched_site=-1, role="reference")
    scored = effects({"noisy": [4.0, 0.5], "quiet": [0.0, 1.0]}, id=["neutral", "hit"], site=[0, 1])
    assert scored.sort_values("score", ascending=False)["id"].iloc[0] == "neutral"
    calibrated, _ = calibrate(scored, background, "classification")
    assert calibrated.sort_values("score", ascending=False)["id"].iloc[0] == "hit"
    assert calibrated.set_index("id").loc["hit", "top_target"] == "quiet"


def test_too_little_background_is_an_error_naming_the_key():
    with pytest.raises(ConfigError, match=r"^background.reference: 1 background SNP\(s\) of the reference scored"):
        calibrate(effects({"a": [1.0]}, site=[0]), effects({"a": [0.5]}, id=["b"], matched_site=-1, role="reference"),
                  "classification")
    matched = effects({"a": [0.5, 0.7, 0.1]}, id=list("bcd"), matched_site=0, role="matched")
    with pytest.raises(ConfigError, match="0 background SNP"):  # matched SNPs are no reference
        calibrate(effects({"a": [1.0]}, site=[0]), matched, "classification")


def test_a_few_background_snps_that_hit_a_site_do_not_shrink_every_z():
    """The scale is the typical SNV's: 5 % of background SNPs with huge effects (they hit a motif)
    leave it nearly unchanged, where they would triple a standard deviation."""
    rng = np.random.default_rng(4)
    plain = rng.normal(0, 0.1, 380)
    hits = np.r_[plain, rng.normal(-3, 0.5, 20)]
    scored = effects({"a": [-1.0]}, site=[0])
    z_plain = calibrate(scored, effects({"a": plain}, id=range(380), role="reference"), "classification")[0]["z_a"][0]
    z_hits = calibrate(scored, effects({"a": hits}, id=range(400), role="reference"), "classification")[0]["z_a"][0]
    assert z_hits == pytest.approx(z_plain, rel=0.15) and abs(z_plain) > 8
    assert np.std(hits, ddof=1) > 3 * np.std(plain, ddof=1)


def test_mostly_exact_zero_effects_fall_back_to_the_mean_deviation():
    background = effects({"a": [0.0] * 90 + [0.5] * 10}, id=range(100), role="reference")
    calibrated, _ = calibrate(effects({"a": [0.5]}, site=[0]), background, "classification")
    assert calibrated["z_a"][0] == pytest.approx(0.5 / (1.2533 * 0.05))


def test_matched_background_snps_are_calibrated_against_the_reference_not_part_of_it():
    """Only the reference sets the scale: matched SNPs, however many and however large their
    effects (they are drawn near the sites), change no site's z, and get their own z on the
    same scale, for the trait enrichment."""
    rng = np.random.default_rng(5)
    reference = effects({"a": rng.normal(0, 0.2, 300)}, id=[f"r{i}" for i in range(300)], matched_site=-1,
                        role="reference", stratum=np.repeat([0, 1], 150))
    matched = effects({"a": rng.normal(3, 2, 40)}, id=[f"m{i}" for i in range(40)], matched_site=np.arange(40) % 4,
                      role="matched", stratum=np.arange(40) % 2)
    scored = effects({"a": [1.0, -0.5, 0.1, 0.0]}, site=range(4), stratum=[0, 1, 0, np.nan])
    alone, _ = calibrate(scored, reference, "classification")
    with_matched, background = calibrate(scored, pd.concat([reference, matched], ignore_index=True), "classification")
    for column in ("z_a", "p_a", "empirical_p", "score"):
        np.testing.assert_array_equal(with_matched[column], alone[column])
    again, _ = calibrate(scored.iloc[::-1], reference, "classification")  # each row alone against the reference
    np.testing.assert_array_equal(again["z_a"].iloc[::-1], alone["z_a"])
    matched_z = background.loc[background["role"] == "matched"]
    for value in (0, 1):
        stratum = reference.loc[reference["stratum"] == value, "logodds_a"]
        centre = stratum.median()
        scale = 1.4826 * (stratum - centre).abs().median()
        expected = (matched_z.loc[matched_z["stratum"] == value, "logodds_a"] - centre) / scale
        np.testing.assert_allclose(matched_z.loc[matched_z["stratum"] == value, "z_a"], expected, rtol=1e-5)


def test_site_statistics_average_a_sites_alleles():
    scored = pd.DataFrame({"site": [0, 0, 0, 1], "z_a": [1.0, -2.0, 3.0, 0.5], "z_b": [0.0, 0.0, 3.0, -4.0],
                           "score": [1, 2, 3, 4]})
    stats = site_statistics(scored, "classification")
    assert stats.loc[0, ["a", "b", "any"]].tolist() == [2.0, 1.0, 2.0]
    assert stats.loc[1, ["a", "b", "any"]].tolist() == [0.5, 4.0, 4.0]


def test_auc_and_its_interval_against_scipy():
    rng = np.random.default_rng(1)
    trait, background = rng.normal(0.5, 1, 60), rng.normal(0, 1, 300)
    auc, low, high, p = auc_test(trait, background)
    expected = mannwhitneyu(trait, background, alternative="greater")
    assert auc == pytest.approx(np.mean(trait[:, None] > background[None, :]))
    assert p == pytest.approx(expected.pvalue) and low < auc < high and 0.1 < high - low < 0.3


def test_benjamini_hochberg_by_hand():
    # 4 p-values; sorted 0.01, 0.03, 0.04, 0.5 -> p m / rank 0.04, 0.06, 0.0533, 0.5 -> running minimum from the top
    q = benjamini_hochberg([0.01, 0.04, 0.03, np.nan, 0.5])
    assert q[[0, 1, 2, 4]].tolist() == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5])
    assert np.isnan(q[3])


def test_a_trait_whose_snps_hit_one_output_is_enriched_there_and_a_neutral_one_is_not(tmp_path):
    rng = np.random.default_rng(2)
    sites = pd.DataFrame({"site": range(60), "traits": ["blood"] * 30 + ["height"] * 30})
    site_stats = pd.DataFrame({"K562": np.r_[rng.gamma(4, 1, 30), rng.gamma(1, 1, 30)],
                               "HepG2": rng.gamma(1, 1, 60)}, index=pd.Index(range(60), name="site"))
    site_stats["any"] = site_stats.max(axis=1)
    background = pd.DataFrame({"K562": rng.gamma(1, 1, 300), "HepG2": rng.gamma(1, 1, 300),
                               "matched_site": np.repeat(np.arange(60), 5)})
    background["any"] = background[["K562", "HepG2"]].max(axis=1)
    table = trait_enrichment(site_stats, background, trait_groups(sites, "set"))
    rows = table.set_index(["trait", "output"])
    assert rows.loc[("blood", "K562"), "q_value"] < 1e-4 and rows.loc[("blood", "K562"), "auc"] > 0.8
    assert rows.loc[("blood", "HepG2"), "q_value"] > 0.05 and rows.loc[("height", "any"), "q_value"] > 0.05
    assert rows.loc[("blood", "K562"), "n_background"] == 150
    assert rows.loc[("blood", "K562"), "fold"] == pytest.approx(
        rows.loc[("blood", "K562"), "median_trait"] / rows.loc[("blood", "K562"), "median_background"])
    plot_enrichment(table, tmp_path / "e.png")
    plot_enrichment(table.iloc[:0], tmp_path / "none.png")
    assert (tmp_path / "e.png").read_bytes()[:4] == b"\x89PNG" and (tmp_path / "none.png").exists()


def test_the_top_output_is_the_largest_fold_among_the_enriched_ones():
    """A multi-task model that loses K562's motif moves HeLa-S3's log-odds too: both enriched,
    HeLa-S3 with the higher AUC (its background is quieter), K562 with the larger typical effect."""
    table = pd.DataFrame({
        "trait": ["blood"] * 4 + ["height"] * 3,
        "output": ["K562", "HeLa-S3", "GM12878", "any", "K562", "HeLa-S3", "any"],
        "auc": [0.78, 0.81, 0.68, 0.82, 0.52, 0.55, 0.5], "q_value": [1e-4, 5e-5, 0.2, 3e-5, 0.6, 0.5, 0.7],
        "fold": [8.7, 6.4, 3.1, 6.0, 1.1, 1.0, 1.0]})
    assert top_outputs(table) == {"blood": "K562", "height": "HeLa-S3"}  # height: none enriched, the largest AUC


def test_a_plain_vcf_is_one_group_and_small_traits_are_left_out():
    sites = pd.DataFrame({"site": range(4), "traits": ["", "", "", ""]})
    assert trait_groups(sites, "demo_gwas") == {"demo_gwas": [0, 1, 2, 3]}
    stats = pd.DataFrame({"a": [1.0, 2.0], "any": [1.0, 2.0]}, index=[0, 1])
    background = pd.DataFrame({"a": [0.5] * 10, "any": [0.5] * 10, "matched_site": [0, 1] * 5})
    assert trait_enrichment(stats, background, {"t": [0, 1]}).empty


def test_each_row_meets_the_background_of_its_own_distance_stratum():
    """In peaks, background effects are small; in flanks (probabilities near 0) log-odds move
    more for any SNV. A flank SNV's effect of 1.0 is then ordinary, an in-peak one's exceptional."""
    rng = np.random.default_rng(3)
    background = effects({"a": np.r_[rng.normal(0, 0.2, 200), rng.normal(0, 1.0, 200)]},
                         id=[f"b{i}" for i in range(400)], matched_site=-1, role="reference",
                         stratum=[0] * 200 + [1] * 200)
    scored = effects({"a": [1.0, 1.0, 1.0]}, site=[0, 1, 2], stratum=[0, 1, np.nan])
    calibrated, reference = calibrate(scored, background, "classification")
    in_peak, flank, indel = calibrated["z_a"]
    assert in_peak > 3.5 and 0.5 < flank < 1.5 and 1.0 < indel < in_peak  # the indel: the whole background
    assert calibrated["empirical_p"].iloc[0] < 0.02 < 0.1 < calibrated["empirical_p"].iloc[1]
    assert abs(reference.loc[reference["stratum"] == 1, "z_a"].mean()) < 0.2
    few = background[(background["stratum"] == 0) | (background.index >= 360)]  # 40 flank rows: too few alone
    calibrated, _ = calibrate(scored, few, "classification")
    assert calibrated["z_a"].iloc[1] == pytest.approx(calibrated["z_a"].iloc[2])
