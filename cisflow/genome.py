"""Reference genome access through pyfaidx: a random-access index, nothing loaded that is not asked for."""

import gzip
import logging
import shutil

import numpy as np
import pyfaidx
from numpy.lib.stride_tricks import sliding_window_view

from cisflow.atomic import atomic_path
from cisflow.encode import encode
from cisflow.errors import InputError
from cisflow.textio import is_gzip

log = logging.getLogger(__name__)


IUPAC_AMBIGUOUS = b"RYKMSWBDHVrykmswbdhv"
_TO_N = bytes.maketrans(IUPAC_AMBIGUOUS, b"N" * 10 + b"n" * 10)
ALLOWED = b"ACGTNacgtn\r\n"


def prepare_fasta(source, dest):
    """Write ``source`` (FASTA, gzipped or not) to ``dest`` uncompressed and build its .fai index.

    IUPAC ambiguity codes (a few in GRCh38) become N, and how many is logged; any other
    character outside ACGTN (either case) is an error naming the line, as are duplicate contig
    names.
    """
    opener = gzip.open if is_gzip(source) else open
    seen, ambiguous = {}, 0
    with opener(source, "rb") as src, atomic_path(dest) as tmp:
        with open(tmp, "wb") as out:
            for lineno, line in enumerate(src, 1):
                if not line.startswith(b">"):
                    if not seen:
                        raise InputError(source, "sequence before the first '>' header", lineno)
                    if line.translate(None, ALLOWED):
                        plain = line.translate(_TO_N)
                        bad = plain.translate(None, ALLOWED)
                        if bad:
                            raise InputError(source, f"character {chr(bad[0])!r} is not a base (ACGTN or an "
                                                     f"IUPAC ambiguity code)", lineno)
                        ambiguous += sum(line.count(code) for code in IUPAC_AMBIGUOUS)
                        line = plain
                else:
                    name = line[1:].split(None, 1)[0].decode() if line[1:].strip() else ""
                    if not name:
                        raise InputError(source, "FASTA header without a name", lineno)
                    if name in seen:
                        raise InputError(source, f"contig {name!r} appears twice (first on line {seen[name]})",
                                         lineno)
                    seen[name] = lineno
                out.write(line)
        if not seen:
            raise InputError(source, "no FASTA records found")
        if ambiguous:
            log.warning("%s: %d IUPAC ambiguity codes written as N", source, ambiguous)
        pyfaidx.Faidx(str(tmp)).close()
        shutil.move(f"{tmp}.fai", f"{dest}.fai")


def open_genome(path):
    """A pyfaidx.Fasta over an indexed, uncompressed FASTA (sequences read on demand)."""
    return pyfaidx.Fasta(str(path), as_raw=True, sequence_always_upper=False, rebuild=False)


def read_fai(path):
    """{contig: (length, byte offset, bases a line, bytes a line)} from the FASTA's .fai index."""
    index = {}
    with open(f"{path}.fai") as fai:
        for line in fai:
            name, length, offset, line_bases, line_bytes = line.split("\t")[:5]
            index[name] = (int(length), int(offset), int(line_bases), int(line_bytes))
    return index


def contig_sizes(path):
    """{contig: length} from the FASTA's .fai index."""
    return {name: entry[0] for name, entry in read_fai(path).items()}


def contig_codes(path, chrom, index=None):
    """Codes of a whole contig, read straight from the indexed FASTA file.

    The file is memory-mapped and the line ends are cut out with a reshape, so reading a
    chromosome costs a pass of numpy over its bytes, not a Python loop over its lines.
    """
    length, offset, line_bases, line_bytes = (index or read_fai(path))[chrom]
    full_lines, rest = divmod(length, line_bases)
    raw = np.memmap(path, np.uint8, mode="r", offset=offset, shape=(full_lines * line_bytes + rest,))
    body = raw[: full_lines * line_bytes].reshape(full_lines, line_bytes)[:, :line_bases]
    return encode(np.concatenate([body.reshape(-1), raw[full_lines * line_bytes :]]))


def window_codes(path, chrom, starts, width, index=None):
    """(n, width) codes of fixed-width windows on one contig of the indexed FASTA at ``path``.

    The contig is read and encoded once (one byte a base) and the windows are gathered as rows
    of a strided view, so no (n, width) index array is ever built; the caller checks bounds.
    """
    contig = contig_codes(path, chrom, index)
    return sliding_window_view(contig, width)[np.asarray(starts, dtype=np.int64)]
