"""Contig names across sources: UCSC writes `chr1` and `chrM`, Ensembl and NCBI `1` and `MT`.

Peaks, variants and genomes from different sources often disagree. ``contig_mapping`` decides,
for each name a source uses, which genome contig it means: the same name, the name with `chr`
added or removed, the mitochondrion's aliases, or an explicit alias from the config. Nothing is
renamed silently: the mapping is logged, and names that map to nothing are reported by the caller
(``on_genome`` does it for a file of regions: counted, or an error naming the file where none is left).
"""

import logging
import re
from collections.abc import Iterable, Iterator, Mapping

import pandas as pd

from cisflow.io.errors import InputError
from cisflow.types import PathLike

log = logging.getLogger(__name__)

MITOCHONDRION = ("chrM", "chrMT", "MT", "M")
SEX_CHROMOSOMES = ("x", "y", "z", "w")  # after the numbered ones, in this order (birds have Z and W)
NUMBERED = re.compile(r"(\d+)([a-z]?)")  # 1, 22, 01 (rice), 2l (fly arms), 2a (chimpanzee)
UNITS = ("", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix")
ROMAN = {"x" * (n // 10) + UNITS[n % 10]: n for n in range(1, 40)}  # i .. xxxix: yeast's i .. xvi, worm's i .. v


def _candidates(name: str) -> Iterator[str]:
    yield name
    yield name[3:] if name.lower().startswith("chr") else f"chr{name}"
    if name in MITOCHONDRION:
        yield from MITOCHONDRION


def contig_mapping(names: Iterable[str], genome_contigs: Iterable[str], aliases: Mapping[str, str] | None = None,
                   source: str = "input") -> dict[str, str | None]:
    """{name: genome contig or None} for each of ``names``; ``aliases`` (name -> contig) win.

    Renamed names are logged once, as one line per source.
    """
    contigs = set(genome_contigs)
    aliases = aliases or {}
    mapping: dict[str, str | None] = {}
    for name in dict.fromkeys(names):
        if name in aliases:
            mapping[name] = aliases[name] if aliases[name] in contigs else None
            continue
        mapping[name] = next((c for c in _candidates(name) if c in contigs), None)
    renamed = {k: v for k, v in mapping.items() if v is not None and v != k}
    if renamed:
        shown = ", ".join(f"{k} -> {v}" for k, v in list(renamed.items())[:8])
        log.info("%s: contig names mapped to the genome's (%d): %s%s", source, len(renamed), shown,
                 " ..." if len(renamed) > 8 else "")
    return mapping


def rename_contigs(table: pd.DataFrame, genome_contigs: Iterable[str], aliases: Mapping[str, str] | None = None,
                   source: str = "input") -> pd.DataFrame:
    """``table`` with its ``chrom`` column mapped to genome contig names; unmappable names are kept
    as they are (so later steps count them as missing contigs, with their original name)."""
    mapping = contig_mapping(table["chrom"].unique(), genome_contigs, aliases, source)
    mapped = table["chrom"].map(lambda name: mapping[name] or name)
    return table.assign(chrom=mapped)


def on_genome(table: pd.DataFrame, path: PathLike, genome_contigs: Iterable[str], genome_path: PathLike,
              aliases: Mapping[str, str] | None = None, what: str = "peaks") -> pd.DataFrame:
    """The rows of ``table`` on contigs of the genome, their ``chrom`` in the genome's names.

    Parameters
    ----------
    table : DataFrame
        Rows of ``path`` with a ``chrom`` column (peaks, regions).
    path : str or Path
        The file they were read from, for the log and the error.
    genome_contigs : iterable of str
        The genome's contig names.
    genome_path : str or Path
        The genome, for the messages.
    aliases : dict, optional
        Contig name -> the genome's (the config's ``contig_aliases``).
    what : str
        What a row is, in the messages (plural).

    Returns
    -------
    DataFrame
        ``table``'s rows on the genome. Rows on other contigs are left out with a warning that counts them;
        where none is on the genome, an InputError naming ``path`` shows both sides' names.
    """
    contigs = list(genome_contigs)
    mapping = contig_mapping(table["chrom"].unique(), contigs, aliases, str(path))
    mapped = table["chrom"].map(mapping)
    known = mapped.notna().to_numpy()
    if known.all():
        return table.assign(chrom=mapped)
    missing = list(dict.fromkeys(table["chrom"][~known]))
    if not known.any():
        raise InputError(path, f"none of its {len(table):,} {what} is on a contig of the genome {genome_path} "
                               f"({what} on {_shown(missing)}; the genome has {_shown(contigs)})"
                               f"{_hint(missing, contigs)}")
    log.warning("%s: %d of %d %s are on contigs the genome %s lacks (%s): left out", path, (~known).sum(), len(table),
                what, genome_path, _shown(missing))
    return table[known].assign(chrom=mapped[known])


def _shown(names: list[str], first: int = 4) -> str:
    return ", ".join(names[:first]) + (", ..." if len(names) > first else "")


def _key(name: str) -> str:
    """A contig name without case or chr prefix: what names that differ only so share."""
    name = name.lower()
    return name[3:] if name.startswith("chr") else name


def _hint(names: list[str], genome_contigs: list[str]) -> str:
    """How to make ``names`` (none a genome contig) the genome's: the pair that differs only in case or a chr
    prefix where there is one, else what to check."""
    keys = {_key(contig): contig for contig in genome_contigs}
    near = next(((name, keys[_key(name)]) for name in names if _key(name) in keys), None)
    if near:
        return (f": the names differ from the genome's in case or a chr prefix ({near[0]} / {near[1]}); map them with "
                "contig_aliases")
    return ": check that both are of one species and build, or map other names (NC_000001.11) with contig_aliases"


def karyotype_order(names: Iterable[str], genome_contigs: Iterable[str] = ()) -> list[str]:
    """The distinct ``names`` as a geneticist reads a genome: numbered chromosomes by number, then X, Y (Z, W),
    then the mitochondrion, then every other contig in the genome's order.

    Names are read with or without a ``chr`` prefix, in any case (``chr1``, ``1``, ``Chr01``, ``chrX``, ``MT``,
    ``chrM``); a number may carry one letter (``chr2L``, ``chr2R`` of the fly, ``chr2A`` of the chimpanzee), which
    orders the arms of one number. Where the names (with the genome's) are numbered in roman numerals and never in
    arabic ones (yeast's ``chrI`` .. ``chrXVI``, the worm's ``I`` .. ``V``), the numerals are numbers, and ``X`` the
    tenth (for the worm, whose X follows V, the order is the same). Anything else (``chrUn_gl000220``,
    ``chr1_gl000191_random``, ``Mito``, scaffolds) comes after, in the genome's order.

    Parameters
    ----------
    names : iterable of str
        Contig names to order (repeats are dropped).
    genome_contigs : iterable of str
        The genome's contigs in its order (the .fai's); names it lacks follow its own, in order of first appearance.

    Returns
    -------
    list of str
        The distinct names, in karyotype order.
    """
    distinct = list(dict.fromkeys(names))
    order = {name: index for index, name in enumerate(dict.fromkeys(genome_contigs))}
    for name in distinct:
        order.setdefault(name, len(order))
    roman = _roman_numbered(order)
    return sorted(distinct, key=lambda name: (*_chromosome_rank(name, roman), order[name]))


def _roman_numbered(names: Iterable[str]) -> bool:
    """Whether ``names`` number their chromosomes in roman numerals: none is an arabic number and one is a numeral
    other than X (which alone is the human X)."""
    keys = {_key(name) for name in names}
    return not any(NUMBERED.fullmatch(key) for key in keys) and any(key in ROMAN for key in keys - {"x"})


def _chromosome_rank(name: str, roman: bool) -> tuple[int, int, str]:
    """(class, number, arm) of a contig name: class 0 numbered, 1 sex chromosome, 2 mitochondrion, 3 anything else."""
    key = _key(name)
    numbered = NUMBERED.fullmatch(key)
    if numbered:
        return 0, int(numbered.group(1)), numbered.group(2)
    if roman and key in ROMAN:
        return 0, ROMAN[key], ""
    if key in SEX_CHROMOSOMES:
        return 1, SEX_CHROMOSOMES.index(key), ""
    if key in {_key(alias) for alias in MITOCHONDRION}:
        return 2, 0, ""
    return 3, 0, ""
