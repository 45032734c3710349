"""An experiment's members: seed replicates or folds, each trained and evaluated as a job of its own.

An experiment without ``replicates`` is one member, trained with ``training.seed`` on the
dataset's split. ``replicates: {seeds: N}`` adds members on the same split seeded
``training.seed + 1``, ... ``+ N - 1`` (Borzoi's replicates); ``replicates: {folds: ...}`` gives
each member a split of its own (chrombpnet's folds):

* ``folds: K`` on a genome dataset (peaks, promoters) deals the chromosomes into K groups of about
  equal numbers of regions (``deal_chromosomes``); fold i holds out group i for test and group
  i + 1 for validation, so that every region is a test region of exactly one fold;
* ``folds: K`` on a table or FASTA dataset deals its rows into K seeded parts alike (the seed of
  the dataset's split, so that every member sees the same parts);
* ``folds: [{valid: [...], test: [...]}, ...]`` names each fold's chromosomes (genome datasets);
  no chromosome may be a test chromosome of two folds.

Fold i is seeded ``training.seed + i``. Member names say what they are (``seed3``, ``fold2``), so
that paths stay readable (``results/models/<experiment>/<member>/model.pt``), and a member keeps
its name, its settings and its trained model when members are added: ``seeds: 3`` after a single
model trains ``seed2`` and ``seed3`` only. This module imports no torch: the workflow lists the
members when it builds its DAG.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cisflow.data.dataset import SPLITS, Dataset, split_by_chromosome
from cisflow.io.contigs import karyotype_order
from cisflow.io.errors import ConfigError

GENOME_KINDS = ("peaks", "promoters")  # datasets whose rows have chromosomes


def members(replicates: Mapping[str, Any] | None, seed: int) -> list[dict[str, Any]]:
    """The members of an experiment.

    Parameters
    ----------
    replicates : dict or None
        The experiment's ``replicates`` config: ``{seeds: N}`` or ``{folds: K or [{valid, test}, ...]}``.
    seed : int
        The experiment's ``training.seed``.

    Returns
    -------
    list of dict
        One a member: ``name``, ``seed`` (its training seed) and ``fold``: None (the dataset's own
        split), ``{index, of}`` (fold ``index`` of ``of`` dealt automatically) or ``{valid, test}``
        (its held-out chromosomes).
    """
    if not replicates:
        return [{"name": f"seed{seed}", "seed": seed, "fold": None}]
    if "seeds" in replicates:
        return [{"name": f"seed{seed + i}", "seed": seed + i, "fold": None} for i in range(replicates["seeds"])]
    folds = replicates["folds"]
    if isinstance(folds, int):
        return [{"name": f"fold{i + 1}", "seed": seed + i, "fold": {"index": i, "of": folds}} for i in range(folds)]
    return [{"name": f"fold{i + 1}", "seed": seed + i,
             "fold": {"valid": list(fold["valid"]), "test": list(fold["test"])}} for i, fold in enumerate(folds)]


def replicate_problems(key: str, replicates: Mapping[str, Any] | None, dataset: Mapping[str, Any]) -> list[str]:
    """What is wrong with an experiment's ``replicates`` for its ``dataset`` config, one line a
    problem, found before any job runs (``key`` names the setting in the messages)."""
    if not replicates or "folds" not in replicates:
        return []
    folds, kind = replicates["folds"], dataset["kind"]
    if kind == "fasta" and "test_sources" in dataset:
        return [f"{key}.folds: dataset has test_sources, a fixed test set that folds would not hold out; "
                "use replicates.seeds"]
    if isinstance(folds, int):
        return []
    if kind not in GENOME_KINDS:
        return [f"{key}.folds: chromosome folds need a genome dataset (peaks or promoters), not a {kind} dataset; "
                "give the number of folds (folds: 5) to deal its rows into seeded folds"]
    problems: list[str] = []
    tested: dict[str, int] = {}
    for i, fold in enumerate(folds):
        both = sorted(set(fold["valid"]) & set(fold["test"]))
        if both:
            problems.append(f"{key}.folds.{i}: {', '.join(both)} both in valid and test")
        for chrom in fold["test"]:
            if chrom in tested:
                problems.append(f"{key}.folds.{i}.test: {chrom} is already the test chromosome of fold "
                                f"{tested[chrom] + 1}; each region is held out for test by one fold")
            tested.setdefault(chrom, i)
    return problems


def deal_chromosomes(counts: Mapping[str, int], k: int) -> list[list[str]]:
    """Chromosomes dealt into ``k`` groups of about equal total counts (largest first, each to the
    group with the fewest so far; ties to the first group), each group sorted by name.

    Parameters
    ----------
    counts : dict
        {chromosome: regions on it}.
    k : int
        Groups to deal into (at most the number of chromosomes).

    Returns
    -------
    list of k lists of chromosome names
    """
    chroms = [chrom for chrom in counts if counts[chrom] > 0]
    if k > len(chroms):
        raise ConfigError("replicates.folds", f"{k} folds, but regions lie on only {len(chroms)} chromosomes "
                                              f"({', '.join(karyotype_order(chroms))}); use fewer folds")
    groups: list[list[str]] = [[] for _ in range(k)]
    totals = np.zeros(k, np.int64)
    for chrom in sorted(chroms, key=lambda name: (-counts[name], name)):
        smallest = int(np.argmin(totals))
        groups[smallest].append(chrom)
        totals[smallest] += counts[chrom]
    return [sorted(group) for group in groups]


def deal_rows(n: int, k: int, seed: int) -> np.ndarray:
    """(n,) fold number 0..k-1 of each row: a seeded permutation dealt round-robin, so that the
    folds differ in size by one row at most."""
    if k > n:
        raise ConfigError("replicates.folds", f"{k} folds of {n} sequences: use fewer folds")
    folds = np.empty(n, np.int64)
    folds[np.random.default_rng(seed).permutation(n)] = np.arange(n) % k
    return folds


def held_out(data: Dataset, member: Mapping[str, Any]) -> dict[str, list[str]] | None:
    """The chromosomes a genome member holds out ({valid, test}), None for a member on the
    dataset's own split or on dealt rows."""
    fold = member["fold"]
    if fold is None:
        return None
    if "test" in fold:
        return {"valid": fold["valid"], "test": fold["test"]}
    if data.chroms is None:
        return None
    names, counts = np.unique(data.chroms, return_counts=True)
    groups = deal_chromosomes(dict(zip(names.tolist(), counts.tolist())), fold["of"])
    return {"valid": groups[(fold["index"] + 1) % fold["of"]], "test": groups[fold["index"]]}


def member_split(data: Dataset, member: Mapping[str, Any]) -> np.ndarray:
    """(n,) uint8 split codes (train 0, valid 1, test 2) of ``member`` on the dataset ``data``
    (``cisflow.data.dataset.Dataset``): the dataset's own for a seed replicate, the fold's else."""
    fold = member["fold"]
    if fold is None:
        return data.split
    chromosomes = held_out(data, member)
    if chromosomes is not None:
        if data.chroms is None:
            raise ConfigError("replicates.folds", f"member {member['name']}: chromosome folds need the dataset's "
                              "chromosomes, which this dataset was built without; rebuild it (delete it and run the "
                              "workflow again)")
        return split_by_chromosome(data.chroms, chromosomes["valid"], chromosomes["test"])
    parts = deal_rows(len(data.split), fold["of"], data.attrs.get("split_rule", {}).get("seed", 1))
    split = np.full(len(parts), SPLITS["train"], np.uint8)
    split[parts == fold["index"]] = SPLITS["test"]
    split[parts == (fold["index"] + 1) % fold["of"]] = SPLITS["valid"]
    return split


def member_view(data: Dataset, member: Mapping[str, Any]) -> Dataset:
    """``data`` with ``member``'s split in place of the dataset's."""
    return data.with_split(member_split(data, member))


def describe(member: Mapping[str, Any], chromosomes: Mapping[str, Sequence[str]] | None = None) -> str:
    """A member in words, for logs and the report: its seed and what it holds out."""
    fold = member["fold"]
    if fold is None:
        return f"seed {member['seed']}, the dataset's split"
    if chromosomes is not None:
        test, valid = (", ".join(karyotype_order(chromosomes[split])) for split in ("test", "valid"))
        return f"seed {member['seed']}, test {test}, valid {valid}"
    return f"seed {member['seed']}, fold {fold['index'] + 1} of {fold['of']} dealt rows"
