"""The demo genome: four small hg19-named contigs of random, CpG-depleted background.

Every contig starts with a block of N and one contig (``GAP_CONTIG``) holds an internal N block; a few hundred
random stretches are soft-masked (written in lower case) as repeats would be. Outside the sites planted in peaks
(``cisflow.demo.peaks``) the genome is random background, so the motifs are the only signal a model can learn.
``plain_segments`` gives the sequence away from N blocks and contig ends, where peaks and flanking SNPs go;
``fasta_bytes`` writes genome.fa.gz.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from cisflow.encode import N_CODE

CONTIGS = {"chr19": 800_000, "chr20": 700_000, "chr21": 250_000, "chr22": 250_000}
GAP_CONTIG = "chr20"  # holds the internal N block, the two peaks inside it and the SNP near its end
TELOMERE = 10_000  # N at every contig start
GAP = 5_000  # the internal N block
GC = 0.45  # before CpG decay, which brings it to about 0.41
CPG_KEPT = 0.2
MASKED_STRETCHES = 300  # soft-masked "repeats" of 150-1,200 bp: about 10% of the genome

_UPPER = np.frombuffer(b"ACGTN", np.uint8)
_LOWER = np.frombuffer(b"acgtn", np.uint8)


@dataclass
class Genome:
    codes: dict[str, np.ndarray]  # contig -> uint8 codes
    masked: dict[str, np.ndarray]  # contig -> bool, written in lower case
    gaps: list[tuple[str, int, int]]  # (contig, start, end) of the N blocks


def background(rng: np.random.Generator, length: int) -> np.ndarray:
    """Random bases with a human-like CpG deficit.

    Bases are drawn independently, then most CpGs decay the way methylated ones do in real genomes: to TpG,
    or (the C on the other strand) to CpA. Neither change can make a new CpG, so one pass is enough, and C
    and G stay balanced.
    """
    at, gc = (1 - GC) / 2, GC / 2
    codes = rng.choice(4, size=length, p=[at, gc, gc, at]).astype(np.uint8)
    cpg = np.flatnonzero((codes[:-1] == 1) & (codes[1:] == 2))
    decayed = cpg[rng.random(cpg.size) >= CPG_KEPT]
    to_tpg = rng.random(decayed.size) < 0.5
    codes[decayed[to_tpg]] = 3
    codes[decayed[~to_tpg] + 1] = 0
    return codes


def make_genome(rng: np.random.Generator, sizes: Mapping[str, int]) -> Genome:
    """Background contigs with N at each start and one internal N block, some stretches soft-masked."""
    codes, gaps = {}, []
    for contig, size in sizes.items():
        codes[contig] = background(rng, size)
        blocks = [(0, TELOMERE)]
        if contig == GAP_CONTIG:
            blocks.append((round(0.4 * size), round(0.4 * size) + GAP))
        for start, end in blocks:
            codes[contig][start:end] = N_CODE
            gaps.append((contig, start, end))
    stretches = round(MASKED_STRETCHES * sum(sizes.values()) / sum(CONTIGS.values()))
    return Genome(codes, soft_mask(rng, codes, stretches), gaps)


def soft_mask(rng: np.random.Generator, codes: Mapping[str, np.ndarray], stretches: int) -> dict[str, np.ndarray]:
    """{contig: mask} marking random stretches (repeats), N blocks excluded."""
    contigs = list(codes)
    sizes = np.array([len(codes[contig]) for contig in contigs])
    masked = {contig: np.zeros(len(codes[contig]), dtype=bool) for contig in contigs}
    which = rng.choice(len(contigs), size=stretches, p=sizes / sizes.sum())
    for i, length in zip(which, rng.integers(150, 1_201, stretches)):
        start = rng.integers(0, sizes[i] - length)
        masked[contigs[i]][start : start + length] = True
    return {contig: mask & (codes[contig] != N_CODE) for contig, mask in masked.items()}


def plain_segments(genome: Genome, margin: int) -> Iterator[tuple[str, int, int]]:
    """(contig, start, end) of the sequence between N blocks and contig ends, shrunk by ``margin`` each side."""
    for contig, codes in genome.codes.items():
        bounds = sorted((start, end) for name, start, end in genome.gaps if name == contig)
        edges = [0] + [x for bound in bounds for x in bound] + [len(codes)]
        for start, end in zip(edges[::2], edges[1::2]):
            if end - start > 2 * margin:
                yield contig, start + margin, end - margin


def fasta_bytes(genome: Genome, width: int = 60) -> bytes:
    """The genome as FASTA, soft-masked stretches in lower case, ``width`` bases a line."""
    parts = []
    for contig, codes in genome.codes.items():
        chars = np.where(genome.masked[contig], _LOWER[codes], _UPPER[codes]).tobytes()
        parts.append(f">{contig}\n".encode())
        parts.extend(chars[i : i + width] + b"\n" for i in range(0, len(chars), width))
    return b"".join(parts)
