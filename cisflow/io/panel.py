"""A reference panel's genotypes, read only where they are needed: r² between a trait's SNPs (LD loci)
and a lead SNP's proxies.

The panel is a VCF of samples' GT calls (one 1000 Genomes population, say), plain or bgzipped. With
an index beside it (``<file>.tbi`` or ``<file>.csi``, as 1000 Genomes distributes its VCFs) only the
windows asked for are read (cyvcf2: htslib's region queries); without one the file is streamed once
and only the records inside those windows kept. Biallelic SNVs only: a multi-allelic record's GT does
not give the dosage of one ALT. A sample's dosage is its count of ALT alleles (0, 1, 2), one byte
(``MISSING`` where the call is), so that a window of a 2,500-sample panel costs 2.5 kB a variant; a
missing call is left out of the r² of the pairs it is in. Contig names are mapped to the genome's
(``cisflow.io.contigs``).
"""

import itertools
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from cisflow.io.contigs import contig_mapping
from cisflow.io.errors import InputError
from cisflow.io.textio import BLOCK, open_bytes, open_text
from cisflow.types import PathLike

log = logging.getLogger(__name__)

MISSING = 255
DOSAGE = np.array([0, 1, 2, MISSING], np.uint8)  # cyvcf2's gt_types with gts012: hom ref, het, hom alt, unknown


@dataclass
class Genotypes:
    """Panel variants and their dosages: ``chrom``, ``pos`` (1-based), ``id``, ``ref``, ``alt`` (n,)
    arrays, ``dosage`` (n, samples) uint8, ``MISSING`` where a call is."""

    chrom: np.ndarray
    pos: np.ndarray
    id: np.ndarray
    ref: np.ndarray
    alt: np.ndarray
    dosage: np.ndarray

    def __len__(self) -> int:
        return len(self.pos)


def indexed(path: PathLike) -> bool:
    """Whether the panel has an index beside it (``.tbi`` or ``.csi``)."""
    return any(Path(f"{path}{suffix}").is_file() for suffix in (".tbi", ".csi"))


def read_panel(path: PathLike, windows: Mapping[str, Sequence[tuple[int, int]]],
               genome_contigs: Collection[str]) -> Genotypes:
    """The panel's biallelic SNVs inside ``windows``, with their dosages.

    Parameters
    ----------
    path : str or Path
        The panel VCF (plain or bgzipped; indexed or not: module docstring).
    windows : Mapping of str to sequence of (int, int)
        {genome contig: [(start, end), ...]}, 1-based and inclusive.
    genome_contigs : collection of str
        The genome's contig names, to map the panel's onto (``chr1`` / ``1``).

    Returns
    -------
    Genotypes
        Sorted by contig (in ``windows``' order) and position; ``chrom`` in the genome's names.
    """
    vcf = _open(path)
    genome_name: dict[str, str | None] = {
        name: contig for name, contig in contig_mapping(vcf.seqnames, genome_contigs, source=str(path)).items()
        if contig is not None}
    panel_name = {contig: name for name, contig in genome_name.items() if contig is not None}
    merged = {chrom: _merge(spans) for chrom, spans in windows.items() if spans}
    rows = []
    if indexed(path):
        for chrom, spans in merged.items():
            if chrom in panel_name:
                for start, end in spans:
                    region = f"{panel_name[chrom]}:{start}-{end}"
                    rows += [_row(record, chrom) for _, record in _records(path, vcf(region), f" in {region}")
                             if _usable(record)]
    else:
        log.info("%s: no index beside the reference panel (.tbi/.csi): reading it through once", path)
        for line, record in _records(path, vcf, "", _header_lines(path) + 1):
            if record.POS < 1:
                raise InputError(path, "not a VCF record (CHROM, POS, ID, REF, ALT ... tab-separated)", line)
            if record.CHROM not in genome_name:  # a contig the header does not declare
                genome_name.update(contig_mapping([record.CHROM], genome_contigs, source=str(path)))
            contig = genome_name[record.CHROM]
            if contig in merged and _inside(merged[contig], record.POS) and _usable(record):
                rows.append(_row(record, contig))
    vcf.close()
    order = {chrom: i for i, chrom in enumerate(merged)}
    rows.sort(key=lambda row: (order[row[0]], row[1]))
    if not rows:
        return Genotypes(np.empty(0, object), np.empty(0, np.int64), np.empty(0, object), np.empty(0, object),
                         np.empty(0, object), np.empty((0, len(vcf.samples)), np.uint8))
    chroms, positions, ids, refs, alts, dosages = zip(*rows)
    return Genotypes(np.array(chroms, object), np.array(positions, np.int64), np.array(ids, object),
                     np.array(refs, object), np.array(alts, object), np.stack(dosages))


def _open(path):
    """The panel as a cyvcf2.VCF; a file htslib cannot open or whose header it cannot parse, or one without
    samples, is an InputError."""
    import cyvcf2  # htslib: only where a panel is given

    try:
        vcf = cyvcf2.VCF(str(path), gts012=True, lazy=True)
    except Exception as error:  # cyvcf2 raises OSError, or a bare Exception for a header it cannot parse
        _check_gzip(path)
        raise InputError(path, f"cannot read the reference panel as a VCF ({error})") from None
    if not vcf.samples:
        raise InputError(path, "the reference panel has no samples (no genotype columns): r² needs genotypes")
    return vcf


def _check_gzip(path):
    """An InputError naming the line where the panel's gzip stream is cut short or corrupt, if it is: what
    htslib reports only as a header or record it cannot parse. Reads the whole file: only once htslib failed."""
    with open_bytes(path) as handle:
        while handle.read(BLOCK):
            pass


def _header_lines(path):
    """How many lines the panel's header has (htslib's copy of it gains lines of its own)."""
    with open_text(path) as handle:
        return sum(1 for _ in itertools.takewhile(lambda line: line.startswith("#"), handle))


def _records(path, records, where, first=None):
    """(line, record) of a cyvcf2 iteration: ``first`` the first record's line (None where unknown, as in a
    region); a record htslib refuses (cyvcf2 raises a bare Exception) is an InputError naming its line, or
    ``where`` it is."""
    line = first
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except Exception as error:  # cyvcf2's: htslib's own message went to stderr
            _check_gzip(path)
            raise InputError(path, f"htslib cannot read the record{where} ({error}; its message is above)",
                             line) from None
        yield line, record
        line = None if line is None else line + 1


def _usable(record):
    return record.is_snp and len(record.ALT) == 1


def _row(record, chrom):
    return (chrom, record.POS, record.ID or f"{chrom}:{record.POS}:{record.REF}:{record.ALT[0]}", record.REF,
            record.ALT[0], DOSAGE[record.gt_types])


def _merge(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, overlapping spans merged: [(start, end), ...]."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _inside(spans, pos):
    starts = [start for start, _ in spans]
    i = np.searchsorted(starts, pos, side="right") - 1
    return i >= 0 and pos <= spans[i][1]


def r_squared(dosage: npt.ArrayLike, other: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """r² between the rows of (n, samples) ``dosage`` and the (samples,) dosages ``other`` over the
    samples called in both: (n,) float64, NaN where either does not vary there. Dosages as
    ``Genotypes`` holds them (``MISSING`` for a missing call) or as floats (NaN)."""
    dosage, other = _floats(dosage), _floats(other)[None, :]
    both = ~np.isnan(dosage) & ~np.isnan(other)
    count = both.sum(axis=1)
    x, y = np.where(both, dosage, 0.0), np.where(both, other, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_x, mean_y = x.sum(axis=1) / count, y.sum(axis=1) / count
        cov = (x * y).sum(axis=1) / count - mean_x * mean_y
        var_x = (x * x).sum(axis=1) / count - mean_x**2
        var_y = (y * y).sum(axis=1) / count - mean_y**2
        r2 = cov**2 / (var_x * var_y)
    return np.where((var_x > 1e-12) & (var_y > 1e-12), np.clip(r2, 0, 1), np.nan)


def _floats(dosage):
    """Dosages as float64, a missing call NaN."""
    dosage = np.asarray(dosage)
    if dosage.dtype == np.uint8:
        return np.where(dosage == MISSING, np.nan, dosage.astype(np.float64))
    return dosage.astype(np.float64)
