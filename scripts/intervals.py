"""Rule intervals: peaks of every sample -> fixed-width regions, regions x samples targets, counts."""

import json
import logging

import pandas as pd

from cisflow.atomic import atomic_open, atomic_path
from cisflow.contigs import rename_contigs
from cisflow.genome import contig_sizes
from cisflow.intervals import background_regions, drop_blacklisted, merge_peaks
from cisflow.logs import log_to
from cisflow.negatives import gc_matched_background
from cisflow.peaks import read_peaks

log_to(snakemake.log[0])
spec = snakemake.params.spec
sizes = contig_sizes(snakemake.input.fasta)
paths = dict(zip(snakemake.params.samples, snakemake.input.peaks))
formats = dict(zip(snakemake.params.samples, snakemake.params.formats))  # the samples sheet's peak_format
peaks = {sample: rename_contigs(read_peaks(path, formats[sample]), sizes, snakemake.params.aliases, path)
         for sample, path in paths.items()}
regions, counts = merge_peaks(peaks, spec["width"], sizes, spec["center"], spec["missing_contig"], paths,
                              spec["empty_targets"])
n_background = round(spec["background"] * len(regions))
if spec["background_method"] == "random":
    background = background_regions(regions, n_background, spec["width"], sizes, spec["seed"])
elif spec["background_method"] == "gc_matched":
    background = gc_matched_background(regions, n_background, spec["width"], sizes, spec["seed"],
                                       snakemake.input.fasta)
else:  # dinucleotide shuffles of the positives are made with the dataset
    background = background_regions(regions, 0, spec["width"], sizes, spec["seed"])
if snakemake.input.blacklist:
    blacklist = rename_contigs(read_peaks(snakemake.input.blacklist[0], "bed"), sizes, snakemake.params.aliases,
                               "blacklist")
    regions, counts["regions_in_blacklist"] = drop_blacklisted(regions, blacklist)
    background, counts["background_in_blacklist"] = drop_blacklisted(background, blacklist)
    counts["regions"] = len(regions)
counts["background_regions"] = len(background)
for name, value in counts.items():
    logging.info("%s: %s", name, value)
with atomic_path(snakemake.output.regions) as tmp:
    pd.concat([regions, background], ignore_index=True).to_csv(tmp, sep="\t", index=False, compression="gzip")
with atomic_open(snakemake.output.counts) as out:
    json.dump(counts, out, indent=2)
