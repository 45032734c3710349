"""Variant positions lifted from one genome build to another with a UCSC chain file.

The GWAS Catalog publishes GRCh38 positions while Basset-style models are trained on hg19: a
variant set with a chain file (UCSC's ``hg38ToHg19.over.chain.gz``) is lifted before it is
checked. The ``liftover`` package (C++ chain-file index, maintained on PyPI) does the
coordinate work. A variant that maps to the minus strand has its alleles reverse-complemented;
one that maps nowhere or to several places keeps its source position, and its ``lift`` column
says why, so that it is reported (status ``unlifted``) instead of silently dropped.
"""

import pandas as pd

from cisflow.data.encode import reverse_complement_text

ALLELE_COLUMNS = ("ref", "alt", "risk_allele", "known_alleles")  # comma-joined alleles, complemented on minus


def lift_variants(variants, chain_path):
    """``variants`` (from ``read_vcf`` or ``read_gwas_table``) on the chain's target build.

    Adds ``source_chrom`` and ``source_pos`` (the positions as given) and ``lift``: 'ok',
    'no_match' (the position is not in the target build) or 'multiple' (several places). The
    allele columns (``ALLELE_COLUMNS`` present) of a minus-strand hit are reverse-complemented.
    """
    from liftover import ChainFile

    chain = ChainFile(str(chain_path), one_based=True)
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


def _hits(chain, chrom, pos):
    """Hits of ``chrom:pos``, the contig named as given or with/without 'chr' (UCSC chains say
    chr1, the GWAS Catalog 1)."""
    names = [chrom, chrom[3:] if chrom.startswith("chr") else f"chr{chrom}"]
    return next((hits for hits in (chain[name][pos] for name in names) if hits), [])


def _reverse_complement(allele):
    if allele.startswith("<") or allele in ("*", "."):
        return allele
    return reverse_complement_text(allele)


def lift_counts(lifted):
    """{outcome: number of records} of a lifted table, for the log and the summary."""
    return {outcome: int(n) for outcome, n in lifted["lift"].value_counts().items()}
