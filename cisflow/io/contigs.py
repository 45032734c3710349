"""Contig names across sources: UCSC writes `chr1` and `chrM`, Ensembl and NCBI `1` and `MT`.

Peaks, variants and genomes from different sources often disagree. ``contig_mapping`` decides,
for each name a source uses, which genome contig it means: the same name, the name with `chr`
added or removed, the mitochondrion's aliases, or an explicit alias from the config. Nothing is
renamed silently: the mapping is logged, and names that map to nothing are reported by the caller.
"""

import logging

log = logging.getLogger(__name__)

MITOCHONDRION = ("chrM", "chrMT", "MT", "M")


def _candidates(name):
    yield name
    yield name[3:] if name.lower().startswith("chr") else f"chr{name}"
    if name in MITOCHONDRION:
        yield from MITOCHONDRION


def contig_mapping(names, genome_contigs, aliases=None, source="input"):
    """{name: genome contig or None} for each of ``names``; ``aliases`` (name -> contig) win.

    Renamed names are logged once, as one line per source.
    """
    genome_contigs = set(genome_contigs)
    aliases = aliases or {}
    mapping = {}
    for name in dict.fromkeys(names):
        if name in aliases:
            mapping[name] = aliases[name] if aliases[name] in genome_contigs else None
            continue
        mapping[name] = next((c for c in _candidates(name) if c in genome_contigs), None)
    renamed = {k: v for k, v in mapping.items() if v is not None and v != k}
    if renamed:
        shown = ", ".join(f"{k} -> {v}" for k, v in list(renamed.items())[:8])
        log.info("%s: contig names mapped to the genome's (%d): %s%s", source, len(renamed), shown,
                 " ..." if len(renamed) > 8 else "")
    return mapping


def rename_contigs(table, genome_contigs, aliases=None, source="input"):
    """``table`` with its ``chrom`` column mapped to genome contig names; unmappable names are kept
    as they are (so later steps count them as missing contigs, with their original name)."""
    mapping = contig_mapping(table["chrom"].unique(), genome_contigs, aliases, source)
    mapped = table["chrom"].map(lambda name: mapping[name] or name)
    return table.assign(chrom=mapped)
