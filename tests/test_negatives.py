from collections import Counter

import numpy as np
import pandas as pd

from cisflow.data.negatives import background_regions, dinucleotide_shuffle, gc_matched_choice
from cisflow.encode import encode, gc_fraction


def dinucleotides(codes):
    return Counter(zip(codes[:-1].tolist(), codes[1:].tolist()))


def test_dinucleotide_shuffle_keeps_counts_ends_and_changes_order():
    rng = np.random.default_rng(0)
    codes = encode("ACGTTGCAACGGTTAACCGTNNACGTACGGATCCATGCATGC" * 3)
    shuffles = [dinucleotide_shuffle(codes, rng) for _ in range(20)]
    for shuffled in shuffles:
        assert dinucleotides(shuffled) == dinucleotides(codes)
        assert shuffled[0] == codes[0] and shuffled[-1] == codes[-1]
    assert len({bytes(s) for s in shuffles}) > 10


def test_gc_matched_choice_follows_the_target_distribution():
    rng = np.random.default_rng(1)
    target = rng.normal(0.6, 0.05, 500).clip(0, 1)
    candidates = rng.uniform(0.2, 0.8, 5000)
    chosen = gc_matched_choice(candidates, target, 500, seed=2)
    assert len(chosen) == 500 == len(set(chosen))
    assert abs(candidates[chosen].mean() - target.mean()) < 0.01
    assert abs(candidates.mean() - target.mean()) > 0.05  # unmatched, they would differ


def test_gc_fraction_ignores_n():
    assert gc_fraction(encode("GGNNAT")).tolist() == [0.5]


def test_gc_matched_background_avoids_regions(genome):
    import pandas as pd

    from cisflow.data.negatives import gc_matched_background
    from cisflow.io.genome import contig_sizes

    fasta, _ = genome
    regions = pd.DataFrame({"chrom": ["chrA"] * 3, "start": [100, 700, 1300], "end": [200, 800, 1400],
                            "id": ["a", "b", "c"]})
    background = gc_matched_background(regions, 4, 100, contig_sizes(fasta), seed=1, genome_path=fasta)
    assert len(background) == 4 and list(background.columns) == ["chrom", "start", "end", "id"]
    for start in background.loc[background["chrom"] == "chrA", "start"]:
        assert all(abs(start - r) >= 100 for r in regions["start"])


def test_background_windows_avoid_regions_and_are_seeded():
    regions = pd.DataFrame({"chrom": ["chr1"], "start": [4050], "end": [4150], "id": ["r1"]})
    first = background_regions(regions, 20, 100, {"chr1": 10_000, "chr2": 5_000}, seed=3)
    again = background_regions(regions, 20, 100, {"chr1": 10_000, "chr2": 5_000}, seed=3)
    assert first.equals(again) and len(first) == 20
    near = (first["chrom"] == "chr1") & ((first["start"] - 4050).abs() < 100)  # would overlap the region
    assert not near.any()
    assert (first["end"] <= first["chrom"].map({"chr1": 10_000, "chr2": 5_000})).all()


def nearest_distance(starts, others):
    """(starts,) distance from each start to the nearest of the sorted ``others`` (inf if none)."""
    if not len(others):
        return np.full(len(starts), np.inf)
    i = np.searchsorted(others, starts)
    return np.minimum(np.abs(starts - others[np.clip(i, 0, len(others) - 1)]),
                      np.abs(starts - others[np.clip(i - 1, 0, len(others) - 1)]))


def test_background_windows_overlap_nothing_and_follow_contig_lengths():
    """A crowded genome (half of it near a region or a window): every window clear of regions, of the margin and of
    each other, and contigs drawn in proportion to their room."""
    rng = np.random.default_rng(5)
    sizes = {"chr1": 4_000_000, "chr2": 2_000_000, "chrM": 16_569, "tiny": 50}
    chrom = rng.choice(["chr1", "chr2"], 1_000, p=[2 / 3, 1 / 3])
    start = rng.integers(0, 900_000, 1_000)
    regions = pd.DataFrame({"chrom": chrom, "start": start, "end": start + 500})
    background = background_regions(regions, 1_500, 500, sizes, seed=9, exclude_margin=100)
    assert len(background) == 1_500 and (background["end"] - background["start"] == 500).all()
    assert (background["end"] <= background["chrom"].map(sizes)).all()
    for name, windows in background.groupby("chrom"):
        starts = np.sort(windows["start"].to_numpy())
        assert (np.diff(starts) >= 600).all()
        assert (nearest_distance(starts, np.sort(start[chrom == name])) >= 600).all()
    share = background["chrom"].value_counts(normalize=True)
    assert abs(share["chr1"] - 2 / 3) < 0.05 and "tiny" not in share


def test_background_windows_in_a_genome_too_small_for_them(caplog):
    regions = pd.DataFrame({"chrom": ["chr1"], "start": [400], "end": [500]})
    background = background_regions(regions, 50, 100, {"chr1": 1_000}, seed=1)
    starts = np.sort(background["start"].to_numpy())
    assert 1 <= len(background) < 10 and (np.diff(starts) >= 100).all()
    assert "background windows found away from peaks" in caplog.text


def test_of_windows_drawn_near_each_other_the_first_drawn_is_kept():
    from cisflow.data.negatives import _first_drawn

    # drawn order: 500, 450 (near 500: dropped), 100, 520 (near 500), 900, 140 (near 100)
    assert _first_drawn(np.array([500, 450, 100, 520, 900, 140]), 100).tolist() == [
        True, False, True, False, True, False]
