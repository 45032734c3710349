"""Sequences of genomic regions, extracted one contig at a time from the indexed FASTA and N-filtered."""

import logging

import numpy as np

from cisflow.data.encode import N_CODE
from cisflow.io.genome import read_fai, window_codes

log = logging.getLogger(__name__)


def extract_regions(regions, genome_path):
    """(n, width) codes of equal-width regions (rows in the order given), each contig read once."""
    widths = (regions["end"] - regions["start"]).unique()
    if len(widths) != 1:
        raise ValueError(f"regions must share one width, found {sorted(widths)[:5]}")
    codes = np.empty((len(regions), int(widths[0])), np.uint8)
    index = read_fai(genome_path)
    for chrom, rows in regions.groupby("chrom", sort=False).indices.items():
        codes[rows] = window_codes(genome_path, chrom, regions["start"].to_numpy()[rows], int(widths[0]), index)
    return codes


def n_fraction(codes):
    return (codes == N_CODE).mean(axis=1)


def filter_n(codes, max_fraction):
    """Boolean mask of rows with at most ``max_fraction`` N."""
    return n_fraction(codes) <= max_fraction
