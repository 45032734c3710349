"""Reference genome access through pyfaidx: a random-access index, nothing loaded that is not asked for."""

import logging
import os

import numpy as np
import pyfaidx
from numpy.lib.stride_tricks import sliding_window_view

from cisflow.data.encode import encode
from cisflow.io.atomic import atomic_path
from cisflow.io.errors import InputError
from cisflow.io.textio import is_gzip, open_bytes, read_error

log = logging.getLogger(__name__)


IUPAC_AMBIGUOUS = b"RYKMSWBDHVrykmswbdhv"
_TO_N = bytes.maketrans(IUPAC_AMBIGUOUS, b"N" * 10 + b"n" * 10)
ALLOWED = b"ACGTNacgtn"
LINE_WIDTH = 60
_FLUSH = 1 << 20  # pending bases written as lines once this many have gathered
_LINE_ENDS = np.frombuffer(b"\r\n", np.uint8)
_TAIL = 4096  # what may follow a genome's last base: line ends and blank lines


def prepare_fasta(source, dest):
    """Write ``source`` (FASTA, gzipped or not) to ``dest`` uncompressed, and its .fai index.

    The sequence is rewrapped to LINE_WIDTH bases a line, so any layout (one line a contig, ragged
    lines) can be indexed, and the index is written in the same pass. IUPAC ambiguity codes (a few
    in GRCh38) become N, and how many is logged. Errors naming the line: any other character
    outside ACGTN (either case), a duplicate contig name, a name that is not ASCII, a contig
    without sequence. Nothing is left at ``dest`` on error.
    """
    seen, ambiguous, index = {}, 0, []
    with open_bytes(source) as src, atomic_path(dest) as tmp, atomic_path(f"{dest}.fai") as fai:
        with open(tmp, "wb") as out:
            pending = bytearray()  # bases of the current contig not yet written
            for lineno, line in enumerate(src, 1):
                line = line.rstrip(b"\r\n")
                if line.startswith(b">"):
                    _end_contig(source, out, pending, index)
                    name = line[1:].split(None, 1)[0] if line[1:].strip() else b""
                    if not name:
                        raise InputError(source, "FASTA header without a name", lineno)
                    if not name.isascii():
                        raise InputError(source, f"contig name '{name.decode('ascii', 'backslashreplace')}' is not "
                                                 "ASCII: genome FASTA ids are plain ASCII (chr1, NC_000001.11)", lineno)
                    name = name.decode()
                    if name in seen:
                        raise InputError(source, f"contig {name!r} appears twice (first on line {seen[name]})",
                                         lineno)
                    seen[name] = lineno
                    out.write(line + b"\n")
                    index.append([name, lineno, out.tell(), 0])
                elif line:
                    if not index:
                        raise InputError(source, "sequence before the first '>' header", lineno)
                    if line.translate(None, ALLOWED):
                        plain = line.translate(_TO_N)
                        bad = plain.translate(None, ALLOWED)
                        if bad:
                            raise InputError(source, f"character {chr(bad[0])!r} is not a base (ACGTN or an "
                                                     f"IUPAC ambiguity code)", lineno)
                        ambiguous += sum(line.count(code) for code in IUPAC_AMBIGUOUS)
                        line = plain
                    pending += line
                    index[-1][3] += len(line)
                    if len(pending) >= _FLUSH:
                        _write_lines(out, pending)
            _end_contig(source, out, pending, index)
        if not index:
            raise InputError(source, "no FASTA records found")
        if ambiguous:
            log.warning("%s: %d IUPAC ambiguity codes written as N", source, ambiguous)
        with open(fai, "w") as out:
            for name, _, offset, length in index:
                bases = min(length, LINE_WIDTH)
                out.write(f"{name}\t{length}\t{offset}\t{bases}\t{bases + 1}\n")


def _write_lines(out, pending):
    """Write the whole lines of ``pending`` (LINE_WIDTH bases and a newline each); keep the rest."""
    whole = len(pending) - len(pending) % LINE_WIDTH
    lines = np.frombuffer(bytes(pending[:whole]), np.uint8).reshape(-1, LINE_WIDTH)
    out.write(np.column_stack([lines, np.full(len(lines), ord("\n"), np.uint8)]).tobytes())
    del pending[:whole]


def _end_contig(source, out, pending, index):
    """Write the last bases of the contig being read, if any; a contig without bases is an error."""
    if not index:
        return
    name, lineno, _, length = index[-1]
    if not length:
        raise InputError(source, f"contig {name!r} has no sequence", lineno)
    _write_lines(out, pending)
    if pending:
        out.write(pending + b"\n")
        pending.clear()


def open_genome(path):
    """A pyfaidx.Fasta over an uncompressed FASTA (sequences read on demand), indexed if it is not yet.

    A missing or gzipped file, or a .fai that no longer fits the FASTA (the FASTA changed after
    it was indexed; pyfaidx would read wrong bases), is an InputError saying what to do.
    """
    if not os.path.exists(path):
        raise InputError(path, "genome FASTA not found")
    if is_gzip(path):
        raise InputError(path, "the genome FASTA is gzipped; it is read at random positions, so it must be "
                               "uncompressed: gunzip it (bgzip is not supported either) and give the .fa")
    _check_index(path)
    try:
        return pyfaidx.Fasta(str(path), as_raw=True, sequence_always_upper=False, rebuild=False)
    except UnicodeDecodeError as error:
        raise read_error(path, error) from None
    except pyfaidx.FastaIndexingError as error:
        raise InputError(path, f"cannot be indexed: {error}; rewrap it to lines of one length "
                               "(seqtk seq -l 60 in.fa > out.fa), as the workflow's genome rule does") from None
    except OSError as error:
        raise InputError(path, f"has no index and {path}.fai cannot be written ({error}): index it with "
                               "samtools faidx where you may write, or copy it to a folder you can write to") from None


def _check_index(path):
    """An InputError if the .fai of ``path`` exists but does not fit the file: some contig's sequence
    does not start after a line end, or end in a base followed by a line end, or the file goes on
    past the last contig. Reads two bytes a contig and the file's end."""
    fai = f"{path}.fai"
    if not os.path.exists(fai):
        return
    entries = np.array([entry for entry in read_fai(path).values() if entry[0]], dtype=np.int64).reshape(-1, 4)
    length, offset, bases, width = entries.T
    end = offset + (length - 1) // bases * width + (length - 1) % bases + 1  # just after each contig's last base
    size = os.path.getsize(path)
    fits = len(entries) > 0 and offset.min() > 0 and end.max() <= size
    if fits:
        data = np.memmap(path, np.uint8, mode="r")
        tail = bytes(data[end.max() : end.max() + _TAIL])
        fits = ((data[offset - 1] == ord("\n")).all() and not np.isin(data[end - 1], _LINE_ENDS).any()
                and np.isin(data[end[end < size]], _LINE_ENDS).all() and len(tail) < _TAIL and not tail.strip())
    if not fits:
        raise InputError(fai, f"does not match {path} (the FASTA changed after it was indexed): delete {fai} "
                              "and run again to index it anew")


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


def run(source: str, dest: str) -> None:
    """The genome rule: the downloaded genome (gzipped or not) as an indexed FASTA at ``dest``."""
    prepare_fasta(source, dest)
