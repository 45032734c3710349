"""Negatives: peak-free genomic background windows (random or GC-matched), or shuffles.

A model told "peak" vs "random genome" can score well by learning GC content alone; negatives
drawn to match the positives' GC distribution, or dinucleotide shuffles of the positives (same
composition and dinucleotide counts, motifs destroyed), make it learn sequence instead.
"""

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cisflow.data.sequences import region_chunks
from cisflow.encode import gc_fraction
from cisflow.types import PathLike

log = logging.getLogger(__name__)

GC_BINS = np.linspace(0, 1, 51)


def gc_matched_choice(candidate_gc: np.ndarray, target_gc: np.ndarray, n: int, seed: int | None) -> np.ndarray:
    """Indices of ``n`` candidates whose GC histogram follows ``target_gc``'s (2% bins).

    Each bin gets its share of ``n``; a bin short of candidates is filled from the unused
    candidates nearest in GC, so exactly min(n, candidates) indices come back.
    """
    rng = np.random.default_rng(seed)
    candidate_bin = np.digitize(candidate_gc, GC_BINS[1:-1])
    want = np.round(np.bincount(np.digitize(target_gc, GC_BINS[1:-1]), minlength=len(GC_BINS) - 1)
                    / len(target_gc) * n).astype(int)
    chosen = []
    for gc_bin, count in enumerate(want):
        pool = np.flatnonzero(candidate_bin == gc_bin)
        chosen.extend(rng.choice(pool, min(count, len(pool)), replace=False))
    short = min(n, len(candidate_gc)) - len(chosen)
    if short > 0:
        unused = np.setdiff1d(np.arange(len(candidate_gc)), chosen)
        distance = np.abs(candidate_gc[unused] - np.median(target_gc))
        chosen.extend(unused[np.argsort(distance, kind="stable")[:short]])
    return np.sort(np.array(chosen[:n], dtype=np.int64))


def dinucleotide_shuffle(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random sequence with exactly the dinucleotide counts of ``codes`` (Altschul & Erickson).

    The sequence is a walk through the graph whose edges are its dinucleotides: a random
    last-exit edge is fixed for every letter but the final one so that the edges form a tree
    rooted at the final letter (which guarantees an Eulerian walk), the other exits are
    shuffled, and the walk from the first letter uses every edge once.
    """
    codes = np.asarray(codes)
    if len(codes) < 3:
        return codes.copy()
    exits: dict[int, list[int]] = {letter: [] for letter in np.unique(codes).tolist()}
    for a, b in zip(codes[:-1].tolist(), codes[1:].tolist()):
        exits[a].append(b)
    last = int(codes[-1])
    while True:
        last_exit = {a: edges[rng.integers(len(edges))] for a, edges in exits.items() if a != last and edges}
        if _reaches(last_exit, last):
            break
    order = {}
    for letter, edges in exits.items():
        rest = list(edges)
        if letter in last_exit:
            rest.remove(last_exit[letter])
        rng.shuffle(rest)
        order[letter] = rest + ([last_exit[letter]] if letter in last_exit else [])
    walk, position = [int(codes[0])], {letter: 0 for letter in order}
    for _ in range(len(codes) - 1):
        here = walk[-1]
        walk.append(order[here][position[here]])
        position[here] += 1
    return np.array(walk, dtype=codes.dtype)


def _reaches(last_exit, root):
    """Whether following last exits leads every letter to ``root`` (the exits form a tree)."""
    for start in last_exit:
        seen, letter = set(), start
        while letter != root:
            if letter in seen or letter not in last_exit:
                return False
            seen.add(letter)
            letter = last_exit[letter]
    return True


def background_regions(regions: pd.DataFrame, n: int, width: int, contig_sizes: Mapping[str, int], seed: int | None,
                       exclude_margin: int = 0) -> pd.DataFrame:
    """``n`` random windows that overlap no region and no other window (nor come within
    ``exclude_margin`` bp of either).

    Windows are drawn uniformly over the genome's contigs, seeded, in rounds: each round draws what
    is still missing (twice over) at once, drops those near a region or a window kept before, and of
    windows drawn near each other keeps the first drawn; so 1.5M windows beside 1.5M regions take
    seconds, not a loop of 1.5M draws. At most 100 draws a window are made: a genome too crowded
    for ``n`` gives fewer, with a warning. Returns their chrom, start, end and id (their targets, all
    zero, are the caller's to add).
    """
    rng = np.random.default_rng(seed)
    names = list(contig_sizes)
    room = np.array([contig_sizes[c] - width + 1 for c in names], np.int64)  # possible starts a contig
    usable = np.clip(room, 0, None)
    chance = usable / max(usable.sum(), 1)
    reach = width + exclude_margin  # starts closer than this overlap (or come within the margin)
    taken = {c: np.sort(g["start"].to_numpy()) for c, g in regions.groupby("chrom")}
    picked_contig, picked_start = [], []
    found, drawn, most = 0, 0, 100 * max(n, 1)
    while found < n and drawn < most and chance.sum() > 0:
        size = min(2 * (n - found) + 64, most - drawn)
        contig = rng.choice(len(names), size, p=chance)
        start = rng.integers(0, np.maximum(room[contig], 1))
        drawn += size
        keep = np.zeros(size, bool)
        for k in np.unique(contig):
            rows = np.flatnonzero(contig == k)
            clear = rows[_clear_of(taken.get(names[k], np.empty(0, np.int64)), start[rows], reach)]
            keep[clear[_first_drawn(start[clear], reach)]] = True
        keep &= np.cumsum(keep) <= n - found
        for k in np.unique(contig[keep]):
            name = names[k]
            new = start[keep & (contig == k)]
            taken[name] = np.sort(np.concatenate([taken.get(name, np.empty(0, np.int64)), new]))
        picked_contig.append(contig[keep])
        picked_start.append(start[keep])
        found += int(keep.sum())
    if found < n:
        log.warning("only %d of %d background windows found away from peaks", found, n)
    contig = np.concatenate([*picked_contig, np.empty(0, np.int64)])
    background = pd.DataFrame({"chrom": np.array(names, dtype=object)[contig],
                               "start": np.concatenate([*picked_start, np.empty(0, np.int64)])})
    background["end"] = background["start"] + width
    background["id"] = "bg:" + background["chrom"] + ":" + background["start"].astype(str)
    return background


def _clear_of(taken, starts, reach):
    """(starts,) whether no start of the sorted ``taken`` lies closer than ``reach`` to each start."""
    return np.searchsorted(taken, starts - reach, side="right") == np.searchsorted(taken, starts + reach)


def _first_drawn(starts, reach):
    """(starts,) whether each start (in draw order) has no start drawn before it closer than ``reach``."""
    order = np.argsort(starts, kind="stable")
    ordered = starts[order]
    later = np.zeros(len(starts), bool)
    gap = 1
    while gap < len(ordered):
        near = np.flatnonzero(ordered[gap:] - ordered[:-gap] < reach)  # sorted pairs (i, i + gap)
        if not len(near):
            break  # sorted: pairs further apart in the order are further apart on the contig
        later[np.maximum(order[near], order[near + gap])] = True
        gap += 1
    return ~later


def gc_matched_background(regions: pd.DataFrame, n: int, width: int, contig_sizes: Mapping[str, int], seed: int | None,
                          genome_path: PathLike, oversample: int = 5) -> pd.DataFrame:
    """``n`` peak-free genomic windows whose GC distribution follows the regions' (drawn from
    ``oversample`` times as many random candidates)."""
    candidates = background_regions(regions, n * oversample, width, contig_sizes, seed)
    chosen = gc_matched_choice(_gc(candidates, genome_path), _gc(regions, genome_path), n, seed)
    return candidates.iloc[chosen].reset_index(drop=True)


def _gc(regions, genome_path):
    """(regions,) GC fraction of each region, its sequence read a chunk of regions at a time."""
    return np.concatenate([gc_fraction(codes) for _, codes in region_chunks(regions, genome_path)] or [np.zeros(0)])


def shuffled_negatives(codes: np.ndarray, ids: Sequence[str], n: int,
                       seed: int | None) -> tuple[np.ndarray, list[str], np.ndarray]:
    """``n`` dinucleotide shuffles of the rows of ``codes`` (taken in turn), with ids naming their source.

    Returns (codes, ids, source rows): a shuffle keeps its source's split, so no held-out
    sequence leaks into training through its shuffle.
    """
    rng = np.random.default_rng(seed)
    sources = np.arange(n) % len(codes)
    shuffled = np.stack([dinucleotide_shuffle(codes[i], rng) for i in sources]) if n else codes[:0]
    return shuffled, [f"shuffle{k}:{ids[i]}" for k, i in enumerate(sources.tolist())], sources
