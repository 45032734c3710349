"""Background SNPs: matched to the scored sites on GC content and distance to the nearest peak."""

import numpy as np
import pandas as pd
import pytest

from cisflow.io.errors import InputError
from cisflow.io.genome import prepare_fasta
from cisflow.variants.background import (
    DISTANCE_EDGES,
    draw_background,
    merged_peaks,
    peak_distance,
    read_peak_regions,
    site_bins,
)
from tests.conftest import write_fasta


@pytest.fixture
def patchy_genome(tmp_path):
    """chr1: 40 kb AT-rich (25 % GC) then 40 kb GC-rich (75 %); chr2: 30 kb plain, with an N block."""
    rng = np.random.default_rng(2)

    def bases(n, gc):
        strong = rng.random(n) < gc
        return np.where(strong, rng.choice(list("CG"), n), rng.choice(list("AT"), n))

    chr1 = "".join(np.concatenate([bases(40_000, 0.25), bases(40_000, 0.75)]))
    chr2 = "".join(bases(30_000, 0.5))
    chr2 = chr2[:10_000] + "N" * 5_000 + chr2[15_000:]
    write_fasta(tmp_path / "src.fa", {"chr1": chr1, "chr2": chr2})
    prepare_fasta(tmp_path / "src.fa", tmp_path / "genome.fa")
    return tmp_path / "genome.fa"


PEAKS = pd.DataFrame({"chrom": ["chr1", "chr1", "chr1", "chr2"], "start": [5_000, 5_200, 60_000, 20_000],
                      "end": [5_400, 5_500, 60_300, 20_300]})


def test_distance_to_the_nearest_peak_by_hand():
    merged = merged_peaks(PEAKS)
    assert merged["chr1"][0].tolist() == [5_000, 60_000] and merged["chr1"][1].tolist() == [5_500, 60_300]
    distance = peak_distance(merged, "chr1", [4_999, 5_000, 5_499, 5_500, 30_000, 59_990, 70_000])
    assert distance.tolist() == [1, 0, 0, 1, 24_501, 10, 9_701]
    assert peak_distance(merged, "chr9", [10]).tolist() == [10**12]


def test_bins_separate_gc_and_distance():
    bins = site_bins([0.26, 0.26, 0.74, 0.74], [0, 5_000, 0, 5_000])
    assert len(set(bins.tolist())) == 4
    assert site_bins([1.0], [0])[0] == site_bins([0.99], [0])[0]  # GC 1.0 falls in the top bin
    assert len(DISTANCE_EDGES) == 4


def test_background_follows_each_site_in_gc_and_peak_distance(patchy_genome):
    sites = pd.DataFrame({"chrom": ["chr1"] * 4, "pos": [5_201, 20_001, 60_101, 75_001], "site": [0, 1, 2, 3],
                          "n_alleles": [1, 1, 3, 1], "transition": [True, False, False, True]})
    background, features = draw_background(sites, patchy_genome, PEAKS, 200, per_variant=6, seed=4)
    assert len(background) == 24 and background["matched_site"].value_counts().to_dict() == dict.fromkeys(range(4), 6)
    by_site = background.groupby("matched_site")
    gc = by_site["gc"].mean()
    assert gc[0] < 0.4 and gc[1] < 0.4 and gc[2] > 0.6 and gc[3] > 0.6  # AT-rich half, GC-rich half
    assert (background.loc[background["matched_site"] == 2, "peak_distance"] == 0).all()  # in a peak like site 2
    assert (background.loc[background["matched_site"] == 0, "peak_distance"] == 0).all()
    far = background.loc[background["matched_site"] == 1, "peak_distance"]
    assert ((far > 10_000) & (far <= 100_000)).all()  # like site 1, 14.5 kb from the nearest peak
    assert features["peak_distance"].tolist() == [0, 14_501, 0, 14_701]
    # one allele: same substitution class as the site's; three alleles: all three
    transitions = {"A": "G", "G": "A", "C": "T", "T": "C"}
    for row in background.itertuples():
        alts = row.alt.split(",")
        if row.matched_site == 2:
            assert sorted(alts) == sorted(set("ACGT") - {row.ref})
        else:
            assert len(alts) == 1 and (transitions[row.ref] == alts[0]) == (row.matched_site in (0, 3))
    assert not set(zip(background["chrom"], background["pos"])) & set(zip(sites["chrom"], sites["pos"]))


def test_background_avoids_n_and_contig_ends_and_is_seeded(patchy_genome):
    sites = pd.DataFrame({"chrom": ["chr2"] * 3, "pos": [9_000, 16_000, 25_000], "site": [0, 1, 2],
                          "n_alleles": [1, 1, 1], "transition": [True, True, True]})
    first, _ = draw_background(sites, patchy_genome, PEAKS, 300, per_variant=10, seed=9)
    again, _ = draw_background(sites, patchy_genome, PEAKS, 300, per_variant=10, seed=9)
    pd.testing.assert_frame_equal(first, again)
    positions = first["pos"].to_numpy()
    assert ((positions - 1 - 150 >= 0) & (positions - 1 + 150 <= 30_000)).all()
    assert not ((positions > 10_000 - 120) & (positions <= 15_000 + 120)).any()  # windows at most 10 % N
    assert set(first["ref"]) <= set("ACGT")


def test_max_keeps_at_least_one_per_site(patchy_genome):
    sites = pd.DataFrame({"chrom": ["chr1"] * 3, "pos": [1_000, 2_000, 3_000], "site": [0, 1, 2],
                          "n_alleles": [1, 1, 1], "transition": [True, False, True]})
    background, _ = draw_background(sites, patchy_genome, PEAKS, 100, per_variant=5, max_count=4)
    assert len(background) == 3


def test_peaks_from_an_intervals_table_or_a_bed(tmp_path):
    (tmp_path / "regions.tsv").write_text("chrom\tstart\tend\tid\tbackground\n1\t10\t20\tr1\t0\n"
                                          "1\t30\t40\tr2\t1\n2\t50\t60\tr3\t0\n")
    (tmp_path / "peaks.bed").write_text("chr1\t10\t20\tp\t0\t.\t1\t1\t1\t5\n")
    sizes = {"chr1": 100, "chr2": 100}
    table = read_peak_regions(tmp_path / "regions.tsv", sizes)
    assert table.values.tolist() == [["chr1", 10, 20], ["chr2", 50, 60]]  # the background row r2 left out
    assert read_peak_regions(tmp_path / "peaks.bed", sizes).values.tolist() == [["chr1", 10, 20]]
    (tmp_path / "old.tsv").write_text("chrom\tstart\tend\tid\tK562\n1\t10\t20\tr1\t1\n")
    with pytest.raises(InputError, match=r"old.tsv: not a regions table of this cisflow: its columns are chrom, start, "
                                         r"end, id, K562, not chrom, start, end, id, background \(run the intervals"):
        read_peak_regions(tmp_path / "old.tsv", sizes)


def test_beyond_max_a_sample_of_sites_gets_one_each(patchy_genome):
    sites = pd.DataFrame({"chrom": ["chr1"] * 6, "pos": [1_000 * (i + 1) for i in range(6)], "site": range(6),
                          "n_alleles": 1, "transition": True})
    background, features = draw_background(sites, patchy_genome, PEAKS, 100, per_variant=3, max_count=4, seed=2)
    assert len(background) == 4 and background["matched_site"].is_unique and len(features) == 6
