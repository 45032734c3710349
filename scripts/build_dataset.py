"""Rule dataset: sequences of peak regions, promoters (genome), a table or labelled FASTA files -> the encoded
dataset directory."""

import json

from cisflow import build_dataset
from cisflow.logs import log_to
from cisflow.regions import read_regions

log_to(snakemake.log[0])
spec = snakemake.params.spec
if spec["kind"] == "peaks":
    with open(snakemake.input.counts) as handle:
        region_counts = json.load(handle)
    build_dataset.from_regions(read_regions(snakemake.input.regions), snakemake.input.fasta, spec,
                               snakemake.output[0], region_counts, source=snakemake.input.regions)
elif spec["kind"] == "promoters":
    build_dataset.from_promoters(snakemake.input.tss, snakemake.input.fasta, snakemake.input.expression, spec,
                                 snakemake.output[0], features_path=snakemake.input.get("features"))
elif spec["kind"] == "fasta":
    sources, tests = snakemake.input.sources, snakemake.input.get("test_sources", [])
    build_dataset.from_fasta([sources] if isinstance(sources, str) else list(sources), spec, snakemake.output[0],
                             test_paths=[tests] if isinstance(tests, str) else list(tests))
else:
    table = snakemake.input.table
    build_dataset.from_table(table if isinstance(table, str) else list(table), spec, snakemake.output[0])
