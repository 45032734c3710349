"""Gene annotations, GTF or GFF3 (gzipped or not, told by content): each gene's name and each
transcript's exons and coding parts (CDS and stop codon), read in one pass.

A parser of the project's own rather than a library's: what is needed (four columns and a few
attributes of the gene, transcript, exon, CDS and stop_codon lines) is a few dozen lines, and a
malformed line must stop the run as ``file:line: problem`` like every other input. gtfparse reads
a GTF whole into polars (an engine the envs do not carry) and knows no GFF3; pyranges pulls in its
own interval engine and reports a bad line as a parser's exception without its line. Both would
then leave the GFF3 hierarchy (exon -> transcript -> gene through ``Parent``) to the caller anyway.

GTF (GENCODE, Ensembl): the exon, CDS and stop_codon lines carry ``gene_id`` and ``transcript_id``,
a transcript's type is ``transcript_type`` (GENCODE) or ``transcript_biotype`` (Ensembl), a gene's
name ``gene_name``. GFF3: exon, CDS and stop_codon lines name their transcript(s) by ``Parent``, a
transcript its gene by ``Parent``; ids are the ``transcript_id``/``gene_id`` attributes where given
(GENCODE, Ensembl) and ``ID`` otherwise, names ``gene_name`` or ``Name``, types ``transcript_type``
or ``biotype``; a CDS whose parent has no parent (a gene, as prokaryotic GFF3 writes) is its own
transcript. Coordinates become 0-based, half-open.
"""

import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field

from cisflow.io.errors import InputError
from cisflow.io.textio import open_text
from cisflow.types import PathLike

STRANDS = ("+", "-", ".", "?")  # GFF3's '?': unknown; GTF writes '.' for none
PARTS = ("exon", "CDS", "stop_codon")  # the lines whose intervals a transcript is built from
_GTF_ATTRIBUTE = re.compile(r'\s*([^\s";]+)\s+(?:"([^"]*)"|([^\s";]+))\s*(?:;|$)')
_GFF3_HEADER = "##gff-version 3"


@dataclass
class Transcript:
    """One transcript: its intervals (0-based, half-open, in the file's order) and what it belongs to."""

    transcript_id: str
    gene_id: str
    chrom: str
    strand: str
    biotype: str | None = None
    exons: list[tuple[int, int]] = field(default_factory=list)
    coding: list[tuple[int, int]] = field(default_factory=list)  # CDS and stop codon


@dataclass
class Annotation:
    """The genes of an annotation (gene id -> name, or None where it gives none; in the file's order) and
    their transcripts that have an exon or a coding part, by transcript id."""

    genes: dict[str, str | None]
    transcripts: dict[str, Transcript]


def read_annotation(path: PathLike) -> Annotation:
    """The genes and transcripts of a GTF or GFF3 file, read in one pass.

    Parameters
    ----------
    path : str or Path
        GTF or GFF3 (GFF3 where the file opens with ``##gff-version 3`` or its first attributes are
        ``key=value``), gzipped or not.

    Returns
    -------
    Annotation

    Raises
    ------
    InputError
        ``file:line: problem`` at a line without 9 tab-separated columns, with a start or end that is
        not a positive integer, a start after its end, a strand that is not +, -, . or ?, an exon, CDS or
        stop codon on no strand or without its gene_id and transcript_id (GTF) or Parent (GFF3), a
        transcript's lines on two contigs or strands; a GFF3 Parent that no line has as ID; a file
        without genes.
    """
    lines = _records(path)
    first = next(lines, None)
    if first is None:
        raise InputError(path, "no annotation line in the file (only comments or blank lines)")
    declared, number, fields = first
    reader = _Gff3(path) if declared or _gff3_like(fields[8]) else _Gtf(path)
    reader.add(number, fields)
    for _, number, fields in lines:
        reader.add(number, fields)
    annotation = reader.annotation()
    if not annotation.genes:
        raise InputError(path, "no gene in the annotation (no exon, CDS or gene line)")
    return annotation


def _records(path: PathLike) -> Iterator[tuple[bool, int, list[str]]]:
    """(the file declared GFF3, line number, its 9 columns) of each feature line, its columns checked."""
    declared = False
    with open_text(path) as handle:
        for number, line in enumerate(handle, 1):
            text = line.rstrip("\r\n")
            if text.startswith("#"):
                declared = declared or text.startswith(_GFF3_HEADER)
                if text.startswith("##FASTA"):  # GFF3's sequences follow: no more features
                    return
                continue
            if not text.strip():
                continue
            fields = text.split("\t")
            _check_columns(path, number, fields)
            yield declared, number, fields


def _check_columns(path, number, fields):
    if len(fields) != 9:
        raise InputError(path, f"{len(fields)} tab-separated columns; an annotation line has 9 (seqname, source, "
                               "feature, start, end, score, strand, frame, attributes)", number)
    start, end = fields[3], fields[4]
    for name, value in (("start", start), ("end", end)):
        if not (value.isascii() and value.isdigit() and int(value) > 0):
            raise InputError(path, f"{name} {value!r} is not a positive integer", number)
    if int(start) > int(end):
        raise InputError(path, f"start {start} is after end {end}", number)
    if fields[6] not in STRANDS:
        raise InputError(path, f"strand {fields[6]!r} is not +, -, . or ?", number)
    if fields[2] in PARTS and fields[6] not in ("+", "-"):
        raise InputError(path, f"{fields[2]} line on no strand ({fields[6]!r}): its transcript cannot be read "
                               "5' to 3'", number)


class _Reader:
    """What both formats keep while reading: transcripts by id, genes' names by id."""

    def __init__(self, path: PathLike) -> None:
        self.path = path
        self.genes: dict[str, str | None] = {}
        self.transcripts: dict[str, Transcript] = {}

    def gene(self, gene_id: str, name: str | None) -> None:
        if self.genes.get(gene_id) is None:
            self.genes[gene_id] = name

    def part(self, number: int, fields: list[str], transcript_id: str, gene_id: str, biotype: str | None) -> None:
        """Add the interval of ``fields`` (an exon, CDS or stop codon line) to its transcript."""
        transcript = self.transcripts.get(transcript_id)
        if transcript is None:
            transcript = self.transcripts[transcript_id] = Transcript(transcript_id, gene_id, fields[0], fields[6])
        elif (transcript.chrom, transcript.strand) != (fields[0], fields[6]):
            raise InputError(self.path, f"transcript {transcript_id!r} on {fields[0]} {fields[6]}, its earlier lines "
                                        f"on {transcript.chrom} {transcript.strand}", number)
        transcript.biotype = transcript.biotype or biotype
        interval = (int(fields[3]) - 1, int(fields[4]))
        (transcript.exons if fields[2] == "exon" else transcript.coding).append(interval)

    def annotation(self) -> Annotation:
        return Annotation(self.genes, self.transcripts)


class _Gtf(_Reader):
    """GTF: every line names its gene and transcript."""

    def add(self, number: int, fields: list[str]) -> None:
        kind = fields[2]
        if kind not in ("gene", "transcript", *PARTS):
            return
        attributes = {key: quoted if bare == "" else bare for key, quoted, bare in _GTF_ATTRIBUTE.findall(fields[8])}
        gene_id = attributes.get("gene_id")
        if gene_id is None:
            raise InputError(self.path, f"{kind} line without gene_id", number)
        self.gene(gene_id, attributes.get("gene_name"))
        if kind in PARTS:
            transcript_id = attributes.get("transcript_id")
            if transcript_id is None:
                raise InputError(self.path, f"{kind} line without transcript_id", number)
            biotype = attributes.get("transcript_type") or attributes.get("transcript_biotype")
            self.part(number, fields, transcript_id, gene_id, biotype)


@dataclass
class _Node:
    """A GFF3 line with an ID: its feature type, parent(s) and the attributes a gene or transcript is named by."""

    line: int
    kind: str
    parents: list[str]
    attributes: dict[str, str]


class _Gff3(_Reader):
    """GFF3: lines joined through ID and Parent once the whole file is read."""

    def __init__(self, path: PathLike) -> None:
        super().__init__(path)
        self.nodes: dict[str, _Node] = {}
        self.parts: list[tuple[int, list[str], str]] = []  # (line, columns, parent) of each exon, CDS, stop codon

    def add(self, number: int, fields: list[str]) -> None:
        attributes = _gff3_attributes(fields[8])
        parents = attributes["Parent"].split(",") if attributes.get("Parent") else []
        if "ID" in attributes and attributes["ID"] not in self.nodes:
            self.nodes[attributes["ID"]] = _Node(number, fields[2], parents, attributes)
        if fields[2] in PARTS:
            if not parents:
                raise InputError(self.path, f"{fields[2]} line without Parent", number)
            self.parts += [(number, fields, parent) for parent in parents]

    def annotation(self) -> Annotation:
        for node_id, node in self.nodes.items():  # genes (gene, ncRNA_gene, pseudogene) in the file's order
            if node.kind.endswith("gene") and not node.parents:
                self.gene(node.attributes.get("gene_id", node_id), _name(node))
        for number, fields, parent in self.parts:
            transcript = self.nodes.get(parent)
            if transcript is None:
                raise InputError(self.path, f"Parent {parent!r}: no line has it as ID", number)
            gene_id = transcript.parents[0] if transcript.parents else parent
            gene = self.nodes.get(gene_id)
            if gene is None:
                raise InputError(self.path, f"Parent {gene_id!r}: no line has it as ID", transcript.line)
            gene_key = gene.attributes.get("gene_id", gene_id)
            self.gene(gene_key, _name(gene))
            biotype = transcript.attributes.get("transcript_type") or transcript.attributes.get("biotype")
            self.part(number, fields, transcript.attributes.get("transcript_id", parent), gene_key, biotype)
        return super().annotation()


def _gff3_like(attributes: str) -> bool:
    """Whether a line's attributes open as GFF3's ``key=value`` rather than GTF's ``key "value"``."""
    return "=" in attributes.split(";")[0].split('"')[0]


def _name(node: _Node) -> str | None:
    return node.attributes.get("gene_name") or node.attributes.get("Name")


def _gff3_attributes(text: str) -> dict[str, str]:
    """GFF3's ``key=value;...`` attributes, values percent-decoded (a comma-separated list stays one string)."""
    attributes = {}
    for pair in text.split(";"):
        key, sep, value = pair.strip().partition("=")
        if sep and key not in attributes:
            attributes[key] = urllib.parse.unquote(value)
    return attributes
