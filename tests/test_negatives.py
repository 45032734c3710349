from collections import Counter

import numpy as np
import pandas as pd

from cisflow.data.encode import encode, gc_fraction
from cisflow.data.negatives import background_regions, dinucleotide_shuffle, gc_matched_choice


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
