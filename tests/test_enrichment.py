"""Trait enrichment locus by locus: calibrated where a locus's SNPs are correlated, and far more powerful
than counting SNPs where one causal SNP hides among proxies."""

import numpy as np
import pandas as pd
import pytest

from cisflow.variants.enrichment import trait_enrichment

PER_VARIANT = 3  # matched background SNPs a site, as the workflow draws them


def simulated(rng, traits, n_loci, per_locus, rho=0.8, shift=0.0):
    """Site statistics of ``traits`` traits of ``n_loci`` loci of ``per_locus`` SNPs: |z| of normal
    z correlated at ``rho`` within a locus (one shared component), the first SNP of each locus
    shifted by ``shift`` (a causal SNP among proxies); background SNPs independent |z| of the same
    distribution, ``PER_VARIANT`` a site. Returns what ``trait_enrichment`` takes."""
    n = traits * n_loci * per_locus
    locus = np.arange(n) // per_locus
    z = np.sqrt(rho) * rng.normal(size=n // per_locus)[locus] + np.sqrt(1 - rho) * rng.normal(size=n)
    z[::per_locus] += shift
    sites = pd.DataFrame({"a": np.abs(z)}, index=pd.Index(np.arange(n), name="site"))
    sites["any"] = sites["a"]
    background = pd.DataFrame({"a": np.abs(rng.normal(size=n * PER_VARIANT)),
                               "matched_site": np.repeat(np.arange(n), PER_VARIANT)})
    background["any"] = background["a"]
    per_trait = n_loci * per_locus
    groups = {f"t{i}": list(range(i * per_trait, (i + 1) * per_trait)) for i in range(traits)}
    loci = {trait: {site: int(locus[site]) for site in members} for trait, members in groups.items()}
    return sites, background, groups, loci


def p_values(table):
    return table[table["output"] == "any"].set_index("trait")["p_value"]


@pytest.mark.parametrize("n_loci, per_locus", [(200, 1), (20, 10), (10, 50)])
def test_null_traits_of_correlated_clustered_snps_are_called_no_more_often_than_their_p_values_say(n_loci, per_locus):
    """300 null traits each: counting SNPs calls 0.18-0.33 of the clustered ones at p < 0.05 (the
    issue's measurement); counting loci keeps the share at or below the level."""
    sites, background, groups, loci = simulated(np.random.default_rng(n_loci), 300, n_loci, per_locus)
    p = p_values(trait_enrichment(sites, background, groups, loci))
    assert len(p) == 300
    assert (p < 0.05).mean() <= 0.08 and (p < 0.001).mean() <= 0.01, ((p < 0.05).mean(), (p < 0.001).mean())
    if per_locus > 1:  # the SNP-level test on the same traits: what the locus test replaces
        by_snp = p_values(trait_enrichment(sites, background, groups))
        assert (by_snp < 0.05).mean() > 0.15


def test_a_trait_whose_loci_each_hide_one_causal_snp_among_proxies_is_found_far_more_often():
    """Traits of 15 loci x 8 SNPs, one SNP of each locus shifted by 2.5 sd: the locus test finds
    every one at p < 0.05 (0.9-0.95 at p < 0.01 over seeds 5-7); the SNP test, diluted by the
    proxies, under half of them (0.28-0.35 at p < 0.01), its median p over 100 times larger."""
    sites, background, groups, loci = simulated(np.random.default_rng(5), 40, 15, 8, shift=2.5)
    by_locus = p_values(trait_enrichment(sites, background, groups, loci))
    by_snp = p_values(trait_enrichment(sites, background, groups))
    assert (by_locus < 0.05).mean() >= 0.95 and (by_snp < 0.05).mean() <= 0.6
    assert (by_locus < 0.01).mean() >= 0.8 and (by_snp < 0.01).mean() <= 0.45
    assert np.median(by_locus) < np.median(by_snp) / 100


def test_a_locus_statistic_is_its_largest_snp_or_the_weighted_mean_and_its_background_alike():
    sites = pd.DataFrame({"a": [1.0, 5.0, 2.0, 2.0, 2.0, 2.0, 2.0]}, index=pd.Index(range(7), name="site"))
    sites["any"] = sites["a"]
    background = pd.DataFrame({"a": np.arange(21, dtype=float), "matched_site": np.repeat(np.arange(7), 3)})
    background["any"] = background["a"]
    groups = {"t": list(range(7))}
    loci = {"t": {0: "x", 1: "x", 2: "y", 3: "z", 4: "w", 5: "v", 6: "u"}}
    table = trait_enrichment(sites, background, groups, loci).set_index("output")
    assert table.loc["a", "n_sites"] == 7 and table.loc["a", "n_loci"] == 6 and table.loc["a", "n_background"] == 18
    assert table.loc["a", "median_trait"] == 2.0  # loci: max(1, 5) = 5, and five loci of 2
    # background locus k of x: the k-th background SNP of sites 0 and 1: max(k, 3 + k) = 3 + k
    weighted = trait_enrichment(sites, background, groups, loci, weights={"t": {0: 0.75, 1: 0.25}})
    assert weighted.set_index("output").loc["a", "median_trait"] == 2.0
    single = trait_enrichment(sites.loc[[0, 1]], background, {"t": [0, 1]}, {"t": {0: "x", 1: "x"}}, min_loci=1)
    assert single.set_index("output").loc["a", "median_background"] == 4.0  # 3, 4, 5
    weighted = trait_enrichment(sites.loc[[0, 1]], background, {"t": [0, 1]}, {"t": {0: "x", 1: "x"}},
                                weights={"t": {0: 0.75, 1: 0.25}}, min_loci=1).set_index("output")
    assert weighted.loc["a", "median_trait"] == pytest.approx(0.75 * 1 + 0.25 * 5)
    assert weighted.loc["a", "median_background"] == pytest.approx(0.75 * 1 + 0.25 * 4)  # k = 1: 1 and 4
