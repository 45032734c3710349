"""Rule intervals: peaks of every sample -> fixed-width regions, regions x samples targets, counts."""

import json
import logging

import pandas as pd

from cisflow.atomic import atomic_open, atomic_path
from cisflow.genome import contig_sizes
from cisflow.intervals import background_regions, merge_peaks
from cisflow.logs import log_to
from cisflow.peaks import read_peaks

log_to(snakemake.log[0])
spec = snakemake.params.spec
sizes = contig_sizes(snakemake.input.fai.removesuffix(".fai"))
peaks = {sample: read_peaks(path) for sample, path in zip(snakemake.params.samples, snakemake.input.peaks)}
regions, counts = merge_peaks(peaks, spec["width"], sizes, spec["center"], spec["missing_contig"])
background = background_regions(regions, round(spec["background"] * len(regions)), spec["width"], sizes, spec["seed"])
counts["background_regions"] = len(background)
for name, value in counts.items():
    logging.info("%s: %s", name, value)
with atomic_path(snakemake.output.regions) as tmp:
    pd.concat([regions, background], ignore_index=True).to_csv(tmp, sep="\t", index=False, compression="gzip")
with atomic_open(snakemake.output.counts) as out:
    json.dump(counts, out, indent=2)
