"""Reference genome access through pyfaidx: a random-access index, nothing loaded that is not asked for."""

import gzip
import shutil

import numpy as np
import pyfaidx

from cisflow.atomic import atomic_path
from cisflow.encode import encode
from cisflow.errors import InputError
from cisflow.textio import is_gzip


def prepare_fasta(source, dest):
    """Write ``source`` (FASTA, gzipped or not) to ``dest`` uncompressed and build its .fai index.

    Duplicate contig names are an error naming the line of the second one.
    """
    opener = gzip.open if is_gzip(source) else open
    seen = {}
    with opener(source, "rb") as src, atomic_path(dest) as tmp:
        with open(tmp, "wb") as out:
            for lineno, line in enumerate(src, 1):
                if line.startswith(b">"):
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
        pyfaidx.Faidx(str(tmp)).close()
        shutil.move(f"{tmp}.fai", f"{dest}.fai")


def open_genome(path):
    """A pyfaidx.Fasta over an indexed, uncompressed FASTA (sequences read on demand)."""
    return pyfaidx.Fasta(str(path), as_raw=True, sequence_always_upper=False, rebuild=False)


def contig_sizes(path):
    """{contig: length} from the FASTA's .fai index."""
    sizes = {}
    with open(f"{path}.fai") as fai:
        for line in fai:
            name, length = line.split("\t")[:2]
            sizes[name] = int(length)
    return sizes


def window_codes(genome, chrom, starts, width):
    """(n, width) codes of fixed-width windows on one contig, read in one pass over the contig."""
    contig = encode(genome[chrom][:])
    starts = np.asarray(starts, dtype=np.int64)
    return contig[starts[:, None] + np.arange(width)]
