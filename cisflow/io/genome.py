"""Reference genome access through pyfaidx: a random-access index, nothing loaded that is not asked for."""

import logging
import os
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pyfaidx
from numpy.lib.stride_tricks import sliding_window_view

from cisflow.encode import encode
from cisflow.io.atomic import atomic_path
from cisflow.io.errors import InputError
from cisflow.io.textio import is_gzip, open_bytes, open_text, read_error
from cisflow.types import PathLike

log = logging.getLogger(__name__)


IUPAC_AMBIGUOUS = b"RYKMSWBDHVrykmswbdhv"
_TO_N = bytes.maketrans(IUPAC_AMBIGUOUS, b"N" * 10 + b"n" * 10)
ALLOWED = b"ACGTNacgtn"
LINE_WIDTH = 60
_BLOCK = 1 << 23  # bytes of the source read at a time
_LINE_ENDS = np.frombuffer(b"\r\n", np.uint8)
_TAIL = 4096  # what may follow a genome's last base: line ends and blank lines
_GATHER = 1 << 24  # bytes of lines gathered at a time for windows

FaiEntry = tuple[int, int, int, int]
"""A contig's .fai fields: length, byte offset, bases a line, bytes a line."""


def prepare_genome(source: PathLike, dest: PathLike) -> None:
    """The genome rule: write ``source`` (FASTA, gzipped or not) to ``dest`` uncompressed, and its .fai index.

    The sequence is rewrapped to LINE_WIDTH bases a line, so any layout (one line a contig, ragged
    lines, CRLF, blank lines) can be indexed, and the index is written in the same pass. IUPAC
    ambiguity codes (a few in GRCh38) become N, and how many is logged. Errors naming the line: any
    other character outside ACGTN (either case), a duplicate contig name, a name that is not ASCII,
    a contig without sequence. Nothing is left at ``dest`` on error.

    The source is read in blocks of ``_BLOCK`` bytes; in each, headers are found, line ends cut
    out and bases checked by bytes methods and written as lines by numpy, so a 3 Gb genome costs
    a few passes of C over its bytes and the memory of a few blocks, not a Python step a line.
    """
    with open_bytes(source) as src, atomic_path(dest) as tmp, atomic_path(f"{dest}.fai") as fai:
        with open(tmp, "wb") as out:
            fasta = _Rewrap(source, out)
            for block in iter(lambda: src.read(_BLOCK), b""):
                fasta.feed(block)
            fasta.feed(b"", last=True)
        if fasta.ambiguous:
            log.warning("%s: %d IUPAC ambiguity codes written as N", source, fasta.ambiguous)
        with open(fai, "w") as out:
            for name, _, offset, length in fasta.index:
                bases = min(length, LINE_WIDTH)
                out.write(f"{name}\t{length}\t{offset}\t{bases}\t{bases + 1}\n")


class _Rewrap:
    """prepare_genome's pass over the source: fed its bytes a block at a time, it writes headers and
    bases at LINE_WIDTH a line to ``out`` and keeps the index ([name, header line, offset, length]
    a contig). Kept between blocks: the line ends read so far, the bases of the current contig short
    of a whole line, and the end of a block that cannot be read alone (a header cut by the block's
    end, or a '\r' whose '\n' may open the next block)."""

    def __init__(self, source, out):
        self.source, self.out = source, out
        self.index, self.seen, self.ambiguous = [], {}, 0
        self.lines = 0  # line ends before ``held``
        self.held, self.held_at_line_start = b"", True
        self.carry = b""

    def feed(self, block, last=False):
        """Read ``block``, the next bytes of the source (``last``: the source has no more)."""
        data, at_line_start = self.held + block, self.held_at_line_start
        self.held, pos = b"", 0
        while pos < len(data):
            if at_line_start and data[pos] == ord(">"):
                end = data.find(b"\n", pos) + 1
                if not end and not last:
                    self.held, self.held_at_line_start = data[pos:], True
                    return
                end = end or len(data)
                self._header(data[pos:end])
            else:
                mark = data.find(b">", pos)  # a header's, or a bad character that ends the chunk read
                end = len(data) if mark < 0 else mark if mark > pos and data[mark - 1] == ord("\n") else mark + 1
                chunk = data[pos:end]
                if end == len(data) and chunk.endswith(b"\r"):
                    chunk = chunk[:-1]  # a trailing '\r': a line end with the next block's '\n', or the file's last
                    if not last:
                        self.held, self.held_at_line_start = b"\r", False
                self._bases(chunk)
            self.lines += data.count(b"\n", pos, end)
            at_line_start, pos = data[end - 1] == ord("\n"), end
        if not self.held:
            self.held_at_line_start = at_line_start
        if last:
            self._end_contig()
            if not self.index:
                raise InputError(self.source, "no FASTA records found")

    def _header(self, line):
        self._end_contig()
        line, lineno = line.rstrip(b"\r\n"), self.lines + 1
        name = line[1:].split(None, 1)[0] if line[1:].strip() else b""
        if not name:
            raise InputError(self.source, "FASTA header without a name", lineno)
        if not name.isascii():
            raise InputError(self.source, f"contig name '{name.decode('ascii', 'backslashreplace')}' is not ASCII: "
                                          "genome FASTA ids are plain ASCII (chr1, NC_000001.11)", lineno)
        name = name.decode()
        if name in self.seen:
            raise InputError(self.source, f"contig {name!r} appears twice (first on line {self.seen[name]})", lineno)
        self.seen[name] = lineno
        self.out.write(line + b"\n")
        self.index.append([name, lineno, self.out.tell(), 0])

    def _bases(self, chunk):
        """Check the lines of sequence ``chunk`` and write its bases."""
        bases = (chunk.replace(b"\r\n", b"\n") if b"\r" in chunk else chunk).translate(None, b"\n")
        if not bases:
            return
        if not self.index:
            raise InputError(self.source, "sequence before the first '>' header",
                             self._line_of(chunk, len(chunk) - len(chunk.lstrip(b"\r\n"))))
        if bases.translate(None, ALLOWED):
            plain = bases.translate(_TO_N)
            bad = plain.translate(None, ALLOWED)
            if bad:
                probe = chunk.replace(b"\r\n", b"\n\n")  # positions kept; a '\r' left is no line end
                first = min(probe.find(bytes([code])) for code in set(bad))
                raise InputError(self.source, f"character {chr(probe[first])!r} is not a base (ACGTN or an IUPAC "
                                              "ambiguity code)", self._line_of(chunk, first))
            self.ambiguous += len(bases) - len(bases.translate(None, IUPAC_AMBIGUOUS))
            bases = plain
        self.index[-1][3] += len(bases)
        self._write_lines(self.carry + bases)

    def _line_of(self, chunk, position):
        return self.lines + chunk.count(b"\n", 0, position) + 1

    def _write_lines(self, bases):
        """Write the whole lines of ``bases`` (LINE_WIDTH bases and a newline each); carry the rest."""
        whole = len(bases) - len(bases) % LINE_WIDTH
        if whole:
            lines = np.empty((whole // LINE_WIDTH, LINE_WIDTH + 1), np.uint8)
            lines[:, :LINE_WIDTH] = np.frombuffer(bases, np.uint8, count=whole).reshape(-1, LINE_WIDTH)
            lines[:, LINE_WIDTH] = ord("\n")
            self.out.write(lines.data)
        self.carry = bases[whole:]

    def _end_contig(self):
        """Write the last bases of the contig being read, if any; a contig without bases is an error."""
        if not self.index:
            return
        name, lineno, _, length = self.index[-1]
        if not length:
            raise InputError(self.source, f"contig {name!r} has no sequence", lineno)
        if self.carry:
            self.out.write(self.carry + b"\n")
            self.carry = b""


def open_genome(path: PathLike) -> pyfaidx.Fasta:
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


def read_fai(path: PathLike) -> dict[str, FaiEntry]:
    """{contig: (length, byte offset, bases a line, bytes a line)} from the FASTA's .fai index.

    A line that is not an index entry (a name and four numbers, tab-separated) is an InputError naming
    the .fai and the line: an index written by another tool, or damaged, is deleted and made anew.
    """
    index = {}
    fai = f"{path}.fai"
    with open_text(fai) as handle:
        for number, line in enumerate(handle, 1):
            fields = line.rstrip("\r\n").split("\t")
            numbers = fields[1:5]
            if len(numbers) < 4 or not all(text.isascii() and text.isdigit() for text in numbers):
                raise InputError(fai, f"not a FASTA index entry (name, length, offset, bases a line, bytes a line; "
                                      f"tab-separated): delete {fai} and run again to index {path} anew", number)
            length, offset, bases, width = (int(text) for text in numbers)
            index[fields[0]] = (length, offset, bases, width)
    if not index:
        raise InputError(fai, f"an empty FASTA index: delete {fai} and run again to index {path} anew")
    return index


def contig_sizes(path: PathLike) -> dict[str, int]:
    """{contig: length} from the FASTA's .fai index."""
    return {name: entry[0] for name, entry in read_fai(path).items()}


def contig_codes(path: PathLike, chrom: str, index: Mapping[str, FaiEntry] | None = None) -> np.ndarray:
    """Codes of a whole contig, read straight from the indexed FASTA file.

    The file is memory-mapped and the line ends are cut out with a reshape, so reading a
    chromosome costs a pass of numpy over its bytes, not a Python loop over its lines.
    """
    lines, last = _contig_lines(path, (index or read_fai(path))[chrom])
    return encode(_span(lines, last, 0, lines.size + last.size))


def window_codes(path: PathLike, chrom: str, starts: npt.ArrayLike, width: int,
                 index: Mapping[str, FaiEntry] | None = None) -> np.ndarray:
    """(n, width) codes of fixed-width windows on one contig of the indexed FASTA at ``path``.

    Windows that together cover the span from the first to the last (overlapping, dense) are
    gathered from that span, read and encoded once. Sparser ones are each cut, at their column,
    out of the few lines they span, gathered a block of windows at a time (those reaching the
    contig's last, partial line from its decoded tail). Either way no contig is read whole (unless
    it is one line) and memory is set by the windows; the caller checks bounds.
    """
    lines, last = _contig_lines(path, (index or read_fai(path))[chrom])
    starts = np.asarray(starts, dtype=np.int64)
    if not len(starts):
        return np.empty((0, width), np.uint8)
    low, high = int(starts.min()), int(starts.max()) + width
    if high - low <= len(starts) * width:
        return sliding_window_view(encode(_span(lines, last, low, high)), width)[starts - low]
    codes = np.empty((len(starts), width), np.uint8)
    line_bases = lines.shape[1]
    spanned = (line_bases + width - 2) // line_bases + 1  # lines a window may span
    first, column = starts // line_bases, starts % line_bases
    inner = np.flatnonzero(first + spanned <= len(lines))
    step = max(1, _GATHER // (spanned * line_bases))
    for at in range(0, len(inner), step):
        rows = inner[at : at + step]
        block = lines[first[rows, None] + np.arange(spanned)].reshape(len(rows), -1)
        codes[rows] = encode(sliding_window_view(block, width, axis=1)[np.arange(len(rows)), column[rows]])
    outer = np.flatnonzero(first + spanned > len(lines))
    if len(outer):
        tail = max(len(lines) - spanned, 0) * line_bases
        codes[outer] = sliding_window_view(encode(_span(lines, last, tail, high)), width)[starts[outer] - tail]
    return codes


def _contig_lines(path: PathLike, entry: FaiEntry) -> tuple[np.ndarray, np.ndarray]:
    """A contig of the FASTA at ``path`` (``entry``: its .fai fields), memory-mapped: its whole lines
    as rows of bases (line ends strided over), and the bases of its last, partial line."""
    length, offset, line_bases, line_bytes = entry
    full_lines, rest = divmod(length, line_bases)
    raw = np.memmap(path, np.uint8, mode="r", offset=offset, shape=(full_lines * line_bytes + rest,))
    whole = full_lines * line_bytes
    return raw[:whole].reshape(full_lines, line_bytes)[:, :line_bases], raw[whole:]


def _span(lines, last, low, high):
    """The bases (bytes, not yet codes) from ``low`` to ``high`` of a contig given as ``_contig_lines``."""
    line_bases = lines.shape[1]
    first, stop = low // line_bases, -(-high // line_bases)
    bases = lines[first:stop].reshape(-1)
    if stop > len(lines):
        bases = np.concatenate([bases, last])
    return bases[low - first * line_bases : high - first * line_bases]
