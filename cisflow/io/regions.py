"""The regions table the intervals rule writes: one fixed-width region a row, one 0/1 column a sample.

TSV (gzipped) with columns chrom, start, end (0-based, half-open), id, then one column per sample;
background regions (no peak in any sample) have all sample columns 0. Read by the dataset build
and by variant scoring (its peaks are what background SNPs are matched on), neither of which
needs the merging machinery of ``cisflow.data.intervals``.
"""

import pandas as pd


def read_regions(path):
    """The regions table written by the intervals rule (TSV: chrom, start, end, id, samples...)."""
    return pd.read_csv(path, sep="\t", dtype={"chrom": str, "id": str})


def sample_columns(regions):
    """The sample columns of a regions table."""
    return list(regions.columns[4:])
