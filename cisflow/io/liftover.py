"""Variant positions lifted from one genome build to another with a UCSC chain file.

The GWAS Catalog publishes GRCh38 positions while Basset-style models are trained on hg19: a
variant set with a chain file (UCSC's ``hg38ToHg19.over.chain.gz``) is lifted before it is
checked. The ``liftover`` package (C++ chain-file index, maintained on PyPI) does the
coordinate work. A variant that maps to the minus strand has its alleles reverse-complemented;
one that maps nowhere or to several places keeps its source position, and its ``lift`` column
says why, so that it is reported (status ``unlifted``) instead of silently dropped.
"""

import os
import re
from typing import TYPE_CHECKING

import pandas as pd

from cisflow.encode import reverse_complement_text
from cisflow.io.errors import InputError
from cisflow.io.textio import open_text
from cisflow.types import PathLike

if TYPE_CHECKING:
    from liftover import ChainFile  # imported where a chain is read: only variant sets with a chain need it

_SCORE = re.compile(r"[0-9]+(\.[0-9]+)?")
ALLELE_COLUMNS = ("ref", "alt", "risk_allele", "known_alleles")  # comma-joined alleles, complemented on minus


def lift_variants(variants: pd.DataFrame, chain_path: PathLike) -> pd.DataFrame:
    """``variants`` (from ``read_vcf`` or ``read_gwas_table``) on the chain's target build.

    Adds ``source_chrom`` and ``source_pos`` (the positions as given) and ``lift``: 'ok',
    'no_match' (the position is not in the target build) or 'multiple' (several places). The
    allele columns (``ALLELE_COLUMNS`` present) of a minus-strand hit are reverse-complemented.
    """
    chain = read_chain(chain_path)
    lifted = variants.assign(source_chrom=variants["chrom"], source_pos=variants["pos"], lift="ok")
    alleles = [column for column in ALLELE_COLUMNS if column in variants]
    chroms, positions, outcomes = [], [], []
    values = {column: variants[column].tolist() for column in alleles}
    for i, row in enumerate(variants[["chrom", "pos", "ref"]].itertuples(index=False)):
        hits = _hits(chain, row.chrom, int(row.pos))
        if len(hits) != 1:
            outcomes.append("no_match" if not hits else "multiple")
            chroms.append(row.chrom)
            positions.append(row.pos)
            continue
        chrom, pos, strand = hits[0]
        chroms.append(chrom)
        outcomes.append("ok")
        if strand == "-":  # the position of the allele's first base on the other strand
            positions.append(pos - len(row.ref) + 1)
            for column in alleles:
                values[column][i] = ",".join(_reverse_complement(a) for a in values[column][i].split(","))
        else:
            positions.append(pos)
    return lifted.assign(chrom=chroms, pos=pd.array(positions, dtype="int64"), lift=outcomes, **values)


def read_chain(path: PathLike) -> "ChainFile":
    """The chain file at ``path`` (UCSC's, gzipped or not) as the ``liftover`` package's index.

    The file is checked a line at a time first (``_ChainCheck``): the package names no line in its
    messages (``invalid alignment line: abc``) and takes some faulty lines (an alignment line of four
    numbers) without a word. A file without any chain (empty, or of something else) is an InputError
    too: every variant would be ``unlifted``.
    """
    from liftover import ChainFile

    if not os.path.isfile(path):
        raise InputError(path, "chain file not found")
    check = _ChainCheck(path)
    with open_text(path) as handle:
        for number, line in enumerate(handle, 1):
            check.line(number, line.split())
    check.end()
    if not check.chains:
        raise InputError(path, "holds no chain: an empty file, or not a UCSC chain file (lines 'chain score tName "
                               "tSize tStrand tStart tEnd qName qSize qStrand qStart qEnd id', then 'size dt dq')")
    try:
        return ChainFile(str(path), one_based=True)
    except ValueError as error:  # a fault the check does not know
        raise InputError(path, f"not a chain file the liftover package can read ({error})") from None


class _ChainCheck:
    """The UCSC chain format, a line at a time: a header ``chain score tName tSize tStrand tStart tEnd qName
    qSize qStrand qStart qEnd [id]``, blocks ``size dt dq`` and a last ``size`` whose sizes and gaps add up
    to the header's spans, a blank line; ``#`` lines are comments. The first fault is an InputError."""

    def __init__(self, path: PathLike) -> None:
        self.path = path
        self.start: int | None = None  # the line of the chain being read
        self.spans = [0, 0]  # what of its target and query spans its blocks have not yet covered
        self.last, self.chains = 0, 0

    def line(self, number: int, fields: list[str]) -> None:
        self.last = number
        if fields and fields[0].startswith("#"):
            return
        if not fields:
            self._ends_inside(number)
        elif fields[0] == "chain":
            self._ends_inside(number)
            self._header(number, fields)
        elif self.start is None:
            raise InputError(self.path, f"{' '.join(fields)!r} is not a chain header ('chain score tName tSize "
                                        "tStrand tStart tEnd qName qSize qStrand qStart qEnd id') and follows none",
                             number)
        else:
            self._block(number, fields)

    def end(self) -> None:
        self._ends_inside(self.last + 1)

    def _header(self, number: int, fields: list[str]) -> None:
        numbers = [fields[i] for i in (3, 5, 6, 8, 10, 11)] if len(fields) in (12, 13) else []
        if (not numbers or not all(map(_is_count, numbers)) or {fields[4], fields[9]} - {"+", "-"}
                or not _SCORE.fullmatch(fields[1])):
            raise InputError(self.path, f"{' '.join(fields)!r} is not a chain header: 'chain score tName tSize tStrand "
                                        "tStart tEnd qName qSize qStrand qStart qEnd id', the strands + or -, the "
                                        "others but the names numbers", number)
        self.start, self.chains = number, self.chains + 1
        self.spans = [int(fields[6]) - int(fields[5]), int(fields[11]) - int(fields[10])]

    def _block(self, number: int, fields: list[str]) -> None:
        if len(fields) not in (1, 3) or not all(map(_is_count, fields)):
            raise InputError(self.path, f"{' '.join(fields)!r} is not an alignment line: 'size dt dq' (numbers), or "
                                        f"the chain's last 'size'", number)
        size, *gaps = map(int, fields)
        self.spans = [span - size - gap for span, gap in zip(self.spans, gaps or [0, 0])]
        if len(fields) == 1:
            if self.spans != [0, 0]:
                raise InputError(self.path, f"the blocks of the chain on line {self.start} do not add up to its "
                                            "header's spans (tEnd - tStart, qEnd - qStart)", number)
            self.start = None

    def _ends_inside(self, number: int) -> None:
        if self.start is not None:
            raise InputError(self.path, f"the chain on line {self.start} ends without its last block (a size "
                                        "alone): a truncated file?", number)


def _is_count(text):
    return text.isascii() and text.isdigit()


def _hits(chain, chrom, pos):
    """Hits of ``chrom:pos``, the contig named as given or with/without 'chr' (UCSC chains say
    chr1, the GWAS Catalog 1)."""
    names = [chrom, chrom[3:] if chrom.startswith("chr") else f"chr{chrom}"]
    return next((hits for hits in (chain[name][pos] for name in names) if hits), [])


def _reverse_complement(allele):
    if allele.startswith("<") or allele in ("*", "."):
        return allele
    return reverse_complement_text(allele)


def lift_counts(lifted: pd.DataFrame) -> dict[str, int]:
    """{outcome: number of records} of a lifted table, for the log and the summary."""
    return {outcome: int(n) for outcome, n in lifted["lift"].value_counts().items()}
