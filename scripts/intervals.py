"""Rule intervals: peaks of every sample -> fixed-width regions, their regions x samples uint8 targets, counts
(cisflow.data.intervals.build_intervals)."""

from cisflow.config.settings import PeaksDataset
from cisflow.data.intervals import build_intervals
from cisflow.io.logs import log_to

log_to(snakemake.log[0])
samples = snakemake.params.samples
dataset = PeaksDataset.from_mapping(snakemake.params.spec, f"datasets.{snakemake.wildcards.dataset}")
build_intervals(dict(zip(samples, snakemake.input.peaks)), dict(zip(samples, snakemake.params.formats)),
                snakemake.input.fasta, dataset, snakemake.output.regions, snakemake.output.targets,
                snakemake.output.counts, blacklist=(snakemake.input.blacklist or [None])[0],
                aliases=snakemake.params.aliases)
