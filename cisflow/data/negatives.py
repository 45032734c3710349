"""Negatives: peak-free genomic background windows (random or GC-matched), or shuffles.

A model told "peak" vs "random genome" can score well by learning GC content alone; negatives
drawn to match the positives' GC distribution, or dinucleotide shuffles of the positives (same
composition and dinucleotide counts, motifs destroyed), make it learn sequence instead.
"""

import logging

import numpy as np
import pandas as pd

from cisflow.data.encode import gc_fraction
from cisflow.data.sequences import region_chunks

log = logging.getLogger(__name__)

GC_BINS = np.linspace(0, 1, 51)


def gc_matched_choice(candidate_gc, target_gc, n, seed):
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


def dinucleotide_shuffle(codes, rng):
    """A random sequence with exactly the dinucleotide counts of ``codes`` (Altschul & Erickson).

    The sequence is a walk through the graph whose edges are its dinucleotides: a random
    last-exit edge is fixed for every letter but the final one so that the edges form a tree
    rooted at the final letter (which guarantees an Eulerian walk), the other exits are
    shuffled, and the walk from the first letter uses every edge once.
    """
    codes = np.asarray(codes)
    if len(codes) < 3:
        return codes.copy()
    exits = {letter: [] for letter in np.unique(codes).tolist()}
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


def background_regions(regions, n, width, contig_sizes, seed, exclude_margin=0):
    """``n`` random windows that overlap no region (nor come within ``exclude_margin`` bp of one).

    Windows are drawn uniformly over the genome's contigs, seeded. Returns their chrom, start, end
    and id (their targets, all zero, are the caller's to add).
    """
    rng = np.random.default_rng(seed)
    names = list(contig_sizes)
    lengths = np.array([contig_sizes[c] for c in names], np.float64)
    usable = np.clip(lengths - width, 0, None)
    picked = []
    by_chrom = {c: np.sort(g["start"].to_numpy()) for c, g in regions.groupby("chrom")}
    attempts = 0
    while len(picked) < n and attempts < 100 * max(n, 1):
        attempts += 1
        chrom = names[rng.choice(len(names), p=usable / usable.sum())]
        start = int(rng.integers(0, contig_sizes[chrom] - width + 1))
        taken = by_chrom.get(chrom, np.empty(0, np.int64))
        near = np.searchsorted(taken, [start - width - exclude_margin, start + width + exclude_margin])
        if near[1] > near[0]:
            continue
        by_chrom[chrom] = np.insert(taken, np.searchsorted(taken, start), start)
        picked.append((chrom, start))
    if len(picked) < n:
        log.warning("only %d of %d background windows found away from peaks", len(picked), n)
    background = pd.DataFrame(picked, columns=["chrom", "start"])
    background["start"] = background["start"].astype(np.int64)
    background["end"] = background["start"] + width
    background["id"] = "bg:" + background["chrom"] + ":" + background["start"].astype(str)
    return background


def gc_matched_background(regions, n, width, contig_sizes, seed, genome_path, oversample=5):
    """``n`` peak-free genomic windows whose GC distribution follows the regions' (drawn from
    ``oversample`` times as many random candidates)."""
    candidates = background_regions(regions, n * oversample, width, contig_sizes, seed)
    chosen = gc_matched_choice(_gc(candidates, genome_path), _gc(regions, genome_path), n, seed)
    return candidates.iloc[chosen].reset_index(drop=True)


def _gc(regions, genome_path):
    """(regions,) GC fraction of each region, its sequence read a chunk of regions at a time."""
    return np.concatenate([gc_fraction(codes) for _, codes in region_chunks(regions, genome_path)] or [np.zeros(0)])


def shuffled_negatives(codes, ids, n, seed):
    """``n`` dinucleotide shuffles of the rows of ``codes`` (taken in turn), with ids naming their source.

    Returns (codes, ids, source rows): a shuffle keeps its source's split, so no held-out
    sequence leaks into training through its shuffle.
    """
    rng = np.random.default_rng(seed)
    sources = np.arange(n) % len(codes)
    shuffled = np.stack([dinucleotide_shuffle(codes[i], rng) for i in sources]) if n else codes[:0]
    return shuffled, [f"shuffle{k}:{ids[i]}" for k, i in enumerate(sources)], sources
