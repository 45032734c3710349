"""Xpresso's eight mRNA half-life features per gene (Agarwal & Shendure 2020), derived from a gene
annotation and the genome: the lengths of the 5' UTR, ORF and 3' UTR and of the introns, the ORF's
exon density, and the GC content of the 5' UTR, ORF and 3' UTR, each of one transcript a gene.

As Xpresso's scripts did (vagarwal87/Xpresso, Fig1_S2: choose_reference_genes.pl,
generate_training_input.pl, setup_training_files.py), with the differences said:

- The transcript: among the gene's transcripts with a coding part, protein_coding ones first (or
  those of no stated type), the longest ORF, then the longest 5' UTR, then the longest 3' UTR, then
  the smallest transcript id. Xpresso took the longest CDS among transcripts with a 5' UTR, ties to
  the longer 5' then 3' UTR, scanning the file in order, over every transcript with a CDS; here the
  choice does not hang on the file's order, and a nonsense-mediated-decay transcript, whose ORF often
  equals the gene's main one with a longer 3' UTR, does not win over a protein_coding one.
- The parts, from the transcript's exons and coding lines (so GENCODE v19's plain ``UTR`` lines and
  Ensembl's five_prime_utr / three_prime_utr read alike): the ORF is its CDS and stop codon lines;
  the 5' UTR its exonic bases before the ORF, the 3' UTR those after it, in the transcript's
  direction; the intron length the bases between its first and last exon that no exon covers.
  Lengths are bases (end - start + 1 of GTF's inclusive intervals; Xpresso summed end - start, one
  base short a line, and left the stop codon out of its CDS).
- The ORF's exon density: the ORF's exons (its parts once touching ones are joined: a stop codon
  beside the last CDS exon is in it) per kb of ORF, as Xpresso computed it (CDS exons x 1000 / CDS
  length): the paper's "ORF exon junction density", its junctions + 1.
- The log scale: Xpresso took log10(x + 0.1) of the four lengths and of the exon density, and the GC
  contents as they are; so does this table (``PSEUDOCOUNT``). Xpresso then standardised every column
  over all genes; cisflow's models standardise features on the training split themselves.
- GC content: the fraction of G and C among the A, C, G and T of the genome's bases of the spliced
  part (N not counted); 0 for a part without any (no 5' UTR), as Xpresso's ``gcContent`` gave.
- A gene without a transcript with a coding part has no ORF: its features are missing (NaN), not 0,
  and the dataset drops such genes or imputes them as it says (Xpresso left them out). So are a
  gene's whose transcript lies on a contig the genome lacks.
"""

import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cisflow.io.annotation import Annotation, Transcript, read_annotation
from cisflow.io.contigs import contig_mapping
from cisflow.io.errors import InputError
from cisflow.io.genome import contig_codes, read_fai
from cisflow.io.textio import write_tsv
from cisflow.types import PathLike

log = logging.getLogger(__name__)

PSEUDOCOUNT = 0.1  # log10(x + 0.1), Xpresso's scale for the lengths and the exon density
LENGTHS = ("utr5_length_log10", "orf_length_log10", "utr3_length_log10", "intron_length_log10")
DENSITY = "orf_exon_density_log10"
GC = ("utr5_gc", "orf_gc", "utr3_gc")
FEATURES = (*LENGTHS, DENSITY, *GC)
"""The table's feature columns, in Xpresso's order of the paper's list."""
KEYS = ("gene_id", "gene_name", "transcript_id")
"""The table's other columns: the gene, its name (empty where the annotation gives none), the transcript chosen."""
_ENSEMBL_VERSION = re.compile(r"^(ENS[A-Z]*\d{11})\.\d+")
_C, _G, _N = 1, 2, 4  # codes of C, G and N (cisflow.encode)

Interval = tuple[int, int]


def unversioned(gene_id: str) -> str:
    """An Ensembl stable id without its version (``ENSG00000000003.10`` -> ``ENSG00000000003``;
    GENCODE's ``ENSG00000182378.14_PAR_Y`` -> ``ENSG00000182378_PAR_Y``); any other id as it is.

    Parameters
    ----------
    gene_id : str

    Returns
    -------
    str
    """
    return _ENSEMBL_VERSION.sub(r"\1", gene_id)


@dataclass(frozen=True)
class Parts:
    """A transcript's spliced parts (0-based, half-open intervals on the genome, ascending; the ORF's
    touching ones joined, so one interval an exon) and its intron length."""

    utr5: list[Interval]
    orf: list[Interval]
    utr3: list[Interval]
    intron_length: int


def _length(intervals: Iterable[Interval]) -> int:
    return sum(end - start for start, end in intervals)


def _joined(intervals: Iterable[Interval]) -> list[Interval]:
    """Intervals sorted, those that overlap or touch joined."""
    joined: list[Interval] = []
    for start, end in sorted(intervals):
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return joined


def transcript_parts(transcript: Transcript) -> Parts:
    """The 5' UTR, ORF and 3' UTR of a transcript with a coding part, and its intron length.

    Parameters
    ----------
    transcript : Transcript
        With at least one CDS (or stop codon) interval; a transcript given without exons is its ORF.

    Returns
    -------
    Parts
    """
    orf = _joined(transcript.coding)
    exons = _joined(transcript.exons) or orf
    first, last = orf[0][0], orf[-1][1]
    before = [(start, min(end, first)) for start, end in exons if start < first]
    after = [(max(start, last), end) for start, end in exons if end > last]
    intron = exons[-1][1] - exons[0][0] - _length(exons)
    if transcript.strand == "-":
        before, after = after, before
    return Parts(utr5=before, orf=orf, utr3=after, intron_length=intron)


def choose_transcript(transcripts: Sequence[Transcript]) -> Transcript | None:
    """A gene's transcript for its features: of those with a coding part, protein_coding ones (or of no
    stated type) first, then the longest ORF, 5' UTR and 3' UTR, then the smallest id; None if none has
    a coding part.

    Parameters
    ----------
    transcripts : sequence of Transcript
        The gene's.

    Returns
    -------
    Transcript or None
    """
    coding = [(transcript, transcript_parts(transcript)) for transcript in transcripts if transcript.coding]
    if not coding:
        return None

    def rank(candidate: tuple[Transcript, Parts]) -> tuple[bool, int, int, int, str]:
        transcript, parts = candidate
        return (transcript.biotype not in (None, "protein_coding"), -_length(parts.orf),
                -_length(parts.utr5), -_length(parts.utr3), transcript.transcript_id)

    return min(coding, key=rank)[0]


def gc_content(codes: np.ndarray, intervals: Sequence[Interval]) -> float:
    """The fraction of G and C among the A, C, G, T of ``codes`` (a contig's) in ``intervals``; 0 where none."""
    gc = acgt = 0
    for start, end in intervals:
        bases = codes[start:end]
        gc += int(np.count_nonzero((bases == _C) | (bases == _G)))
        acgt += int(np.count_nonzero(bases != _N))
    return gc / acgt if acgt else 0.0


def transcript_features(parts: Parts, codes: np.ndarray) -> list[float]:
    """The eight features (``FEATURES``' order) of a transcript's parts on its contig's ``codes``."""
    orf_length = _length(parts.orf)
    lengths = [_length(parts.utr5), orf_length, _length(parts.utr3), parts.intron_length]
    density = len(parts.orf) * 1000 / orf_length
    return ([math.log10(value + PSEUDOCOUNT) for value in (*lengths, density)]
            + [gc_content(codes, intervals) for intervals in (parts.utr5, parts.orf, parts.utr3)])


def derive_gene_features(annotation: Annotation, genome_path: PathLike, source: PathLike = "annotation"
                         ) -> pd.DataFrame:
    """Xpresso's eight features for every gene of ``annotation``, from its chosen transcript and the genome.

    Parameters
    ----------
    annotation : Annotation
        The genes and transcripts (``cisflow.io.annotation.read_annotation``).
    genome_path : str or Path
        The indexed genome FASTA (the genome rule's); the annotation's contig names are mapped to its
        (``chr1`` / ``1``), and logged.
    source : str or Path
        The annotation's file, for messages.

    Returns
    -------
    pandas.DataFrame
        One row a gene, in the annotation's order: ``KEYS`` then ``FEATURES``; a gene without a
        transcript with a coding part, or whose transcript lies on a contig the genome lacks, has an empty
        transcript_id (the former) and NaN features.

    Raises
    ------
    InputError
        A chosen transcript runs past its contig's end (the annotation is of another build).
    """
    index = read_fai(genome_path)
    by_gene: dict[str, list[Transcript]] = {}
    for transcript in annotation.transcripts.values():
        by_gene.setdefault(transcript.gene_id, []).append(transcript)
    chosen = {gene: choose_transcript(transcripts) for gene, transcripts in by_gene.items()}
    picked = [transcript for transcript in chosen.values() if transcript is not None]
    contigs = contig_mapping({transcript.chrom for transcript in picked}, index, source=str(source))
    by_contig: dict[str, list[Transcript]] = {}
    for transcript in picked:
        contig = contigs[transcript.chrom]
        if contig is not None:
            by_contig.setdefault(contig, []).append(transcript)
    tally = {"genes_without_coding_transcript": len(annotation.genes) - len(picked),
             "genes_on_contigs_not_in_genome": sum(contigs[transcript.chrom] is None for transcript in picked)}
    values = np.full((len(annotation.genes), len(FEATURES)), np.nan)
    rows = {gene: row for row, gene in enumerate(annotation.genes)}
    for contig, transcripts in by_contig.items():
        codes = contig_codes(genome_path, contig, index)
        for transcript in transcripts:
            parts = transcript_parts(transcript)
            end = max(end for _, end in (*parts.utr5, *parts.orf, *parts.utr3))
            if end > len(codes):
                raise InputError(source, f"transcript {transcript.transcript_id} ends at {end:,}, past the end of "
                                         f"{contig} ({len(codes):,} bases): is the annotation of the genome's build?")
            values[rows[transcript.gene_id]] = transcript_features(parts, codes)
    table = pd.DataFrame(values, columns=list(FEATURES))
    table.insert(0, "gene_id", list(annotation.genes))
    table.insert(1, "gene_name", [name or "" for name in annotation.genes.values()])
    transcript_ids = {transcript.gene_id: transcript.transcript_id for transcript in picked}
    table.insert(2, "transcript_id", [transcript_ids.get(gene, "") for gene in annotation.genes])
    log.info("%s: %d genes, %d with features", source, len(table), int(table["orf_gc"].notna().sum()))
    for name, value in tally.items():
        log.info("%s: %d", name, value)
    return table


def write_gene_features(annotation_path: PathLike, genome_path: PathLike, out: PathLike) -> pd.DataFrame:
    """The gene_features rule: the annotation read (GTF or GFF3), each gene's features derived and written
    as a TSV (gzipped where ``out`` ends in .gz; a missing value an empty cell).

    Parameters
    ----------
    annotation_path : str or Path
        GTF or GFF3, gzipped or not.
    genome_path : str or Path
        The indexed genome FASTA.
    out : str or Path
        The table to write.

    Returns
    -------
    pandas.DataFrame
        The table written (``derive_gene_features``).
    """
    table = derive_gene_features(read_annotation(annotation_path), genome_path, annotation_path)
    write_tsv(table, out, float_format="%.6g")
    return table


def read_gene_features(path: PathLike) -> pd.DataFrame:
    """A table of ``write_gene_features``: the id columns as text, the features as numbers (NaN where missing).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    pandas.DataFrame
    """
    return pd.read_csv(path, sep="\t", dtype={key: str for key in KEYS}, keep_default_na=False,
                       na_values={name: [""] for name in FEATURES})
