"""An experiment's members: their names and seeds, fold assignment (balanced, disjoint), each member's split."""

import numpy as np
import pytest

from cisflow.data.dataset import SPLITS, Dataset
from cisflow.io.errors import ConfigError
from cisflow.training.replicates import deal_chromosomes, deal_rows, held_out, member_split, members, replicate_problems

# Regions per chromosome of a Basset-like genome-scale dataset (about proportional to hg19's lengths)
HG19_LIKE = {f"chr{c}": n for c, n in zip([*range(1, 23), "X"], [124, 121, 98, 95, 91, 86, 79, 73, 70, 67, 67, 66,
                                                                  57, 53, 51, 45, 40, 39, 29, 31, 19, 20, 77])}


def genome_dataset(counts, seed=0):
    """A dataset whose rows lie on ``counts`` chromosomes, in shuffled order."""
    chroms = np.random.default_rng(seed).permutation(np.repeat(list(counts), list(counts.values())))
    n = len(chroms)
    return Dataset(codes=np.zeros((n, 4), np.uint8), targets=np.zeros((n, 1), np.uint8), split=np.zeros(n, np.uint8),
                   ids=[f"r{i}" for i in range(n)], attrs={"task": "classification", "targets": ["t"]}, chroms=chroms)


def table_dataset(n, seed=1):
    return Dataset(codes=np.zeros((n, 4), np.uint8), targets=np.zeros((n, 1), np.float32),
                   split=np.zeros(n, np.uint8), ids=[f"s{i}" for i in range(n)],
                   attrs={"task": "regression", "targets": ["t"], "split_rule": {"by": "random", "seed": seed}})


def test_one_member_without_replicates_and_seeds_from_the_training_seed():
    assert members(None, 7) == [{"name": "seed7", "seed": 7, "fold": None}]
    assert [m["name"] for m in members({"seeds": 3}, 7)] == ["seed7", "seed8", "seed9"]
    assert [m["seed"] for m in members({"folds": 4}, 2)] == [2, 3, 4, 5]
    assert members({"folds": [{"valid": ["chr2"], "test": ["chr1"]}]}, 1)[0]["fold"] == {"valid": ["chr2"],
                                                                                        "test": ["chr1"]}


def test_adding_members_keeps_the_ones_already_there():
    """seeds: 3 after a single model: the single model is the first member, unchanged, so that
    Snakemake trains only the two new ones; another training.seed gives other members."""
    assert members({"seeds": 3}, 1)[0] == members(None, 1)[0]
    assert members({"seeds": 5}, 1)[:3] == members({"seeds": 3}, 1)
    assert not {m["name"] for m in members({"seeds": 3}, 1)} & {m["name"] for m in members({"seeds": 3}, 4)}


def test_chromosomes_dealt_into_balanced_disjoint_folds():
    for k in (3, 5, 10):
        groups = deal_chromosomes(HG19_LIKE, k)
        dealt = [chrom for group in groups for chrom in group]
        assert sorted(dealt) == sorted(HG19_LIKE) and len(dealt) == len(set(dealt))  # each chromosome once
        totals = [sum(HG19_LIKE[c] for c in group) for group in groups]
        assert max(totals) - min(totals) <= max(HG19_LIKE.values()), (k, totals)  # within one chromosome's share
        assert max(totals) / (sum(totals) / k) < 1.25, (k, totals)
    assert deal_chromosomes(HG19_LIKE, 5) == deal_chromosomes(dict(reversed(list(HG19_LIKE.items()))), 5)


def test_more_folds_than_chromosomes_is_an_error_naming_them():
    with pytest.raises(ConfigError, match="^replicates.folds: 4 folds, but regions lie on only 3 chromosomes"):
        deal_chromosomes({"chr1": 5, "chr2": 3, "chr3": 1, "chrM": 0}, 4)


def test_every_region_is_tested_by_exactly_one_fold_and_validated_by_the_next():
    data = genome_dataset(HG19_LIKE)
    folds = members({"folds": 5}, 1)
    splits = np.stack([member_split(data, member) for member in folds])
    assert ((splits == SPLITS["test"]).sum(axis=0) == 1).all()
    assert ((splits == SPLITS["valid"]).sum(axis=0) == 1).all()
    for i in range(5):
        assert np.array_equal(splits[i] == SPLITS["valid"], splits[(i + 1) % 5] == SPLITS["test"])
        chromosomes = held_out(data, folds[i])
        assert not set(chromosomes["valid"]) & set(chromosomes["test"])
        assert set(data.chroms[splits[i] == SPLITS["test"]]) == set(chromosomes["test"])
    shares = (splits == SPLITS["test"]).sum(axis=1) / len(data.chroms)
    assert shares.min() > 0.16 and shares.max() < 0.24, shares


def test_given_folds_hold_out_their_chromosomes():
    data = genome_dataset({"chr1": 30, "chr2": 20, "chr3": 25, "chr4": 10})
    member = members({"folds": [{"valid": ["chr4"], "test": ["chr2"]}, {"valid": ["chr1"], "test": ["chr3"]}]}, 1)[0]
    split = member_split(data, member)
    assert set(data.chroms[split == SPLITS["test"]]) == {"chr2"} and set(data.chroms[split == SPLITS["valid"]]) == {
        "chr4"}
    assert set(data.chroms[split == SPLITS["train"]]) == {"chr1", "chr3"}


def test_seed_replicates_keep_the_datasets_split():
    data = table_dataset(50)
    data.split[:10] = SPLITS["test"]
    for member in members({"seeds": 2}, 1):
        assert member_split(data, member) is data.split


def test_table_folds_partition_the_rows_whatever_the_members_seed():
    data = table_dataset(103)
    folds = members({"folds": 4}, 1)
    splits = np.stack([member_split(data, member) for member in folds])
    assert ((splits == SPLITS["test"]).sum(axis=0) == 1).all()
    sizes = (splits == SPLITS["test"]).sum(axis=1)
    assert sizes.max() - sizes.min() <= 1
    other_seed = np.stack([member_split(data, member) for member in members({"folds": 4}, 9)])
    assert np.array_equal(splits, other_seed)  # the parts are the dataset's, the seeds the members'
    assert not np.array_equal(deal_rows(103, 4, 1), deal_rows(103, 4, 2))


def test_member_view_counts_the_members_split_sizes():
    from cisflow.training.replicates import member_view

    data = table_dataset(40)
    view = member_view(data, members({"folds": 4}, 1)[0])
    assert view.attrs["split_sizes"] == {"train": 20, "valid": 10, "test": 10} and data.split.sum() == 0


def test_chromosome_folds_need_the_datasets_chromosomes():
    data = table_dataset(10)
    member = members({"folds": [{"valid": ["chr2"], "test": ["chr1"]}, {"valid": ["chr1"], "test": ["chr2"]}]}, 1)[0]
    with pytest.raises(ConfigError, match="^replicates.folds: member fold1: .* rebuild it"):
        member_split(data, member)


@pytest.mark.parametrize("replicates, dataset, message", [
    ({"folds": [{"valid": ["chr2"], "test": ["chr1"]}, {"valid": ["chr3"], "test": ["chr1"]}]}, {"kind": "peaks"},
     "chr1 is already the test chromosome of fold 1"),
    ({"folds": [{"valid": ["chr1"], "test": ["chr1"]}, {"valid": ["chr3"], "test": ["chr2"]}]}, {"kind": "peaks"},
     "chr1 both in valid and test"),
    ({"folds": [{"valid": ["chr1"], "test": ["chr2"]}, {"valid": ["chr2"], "test": ["chr1"]}]}, {"kind": "table"},
     "need a genome dataset"),
    ({"folds": 3}, {"kind": "fasta", "test_sources": [{"table": "t", "label": 1}]}, "test_sources"),
])
def test_replicates_a_dataset_cannot_have_are_named_before_any_job(replicates, dataset, message):
    problems = replicate_problems("experiments.x.replicates", replicates, dataset)
    assert len(problems) == 1 and message in problems[0] and problems[0].startswith("experiments.x.replicates.folds")


def test_replicates_a_dataset_can_have_raise_nothing():
    assert replicate_problems("k", {"folds": 5}, {"kind": "table"}) == []
    assert replicate_problems("k", {"seeds": 3}, {"kind": "fasta", "test_sources": []}) == []
    assert replicate_problems("k", None, {"kind": "peaks"}) == []
