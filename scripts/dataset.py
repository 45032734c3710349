"""Rule dataset: sequences of peak regions, promoters (genome), a table or labelled FASTA files -> the encoded
dataset directory (cisflow.data.build.build_dataset)."""

from cisflow.config.settings import dataset_from_mapping
from cisflow.data.build import build_dataset
from cisflow.io.logs import log_to

log_to(snakemake.log[0])
inputs = {name: value for name, value in snakemake.input.items() if name != "fai"}
dataset = dataset_from_mapping(snakemake.params.spec, f"datasets.{snakemake.wildcards.dataset}")
build_dataset(dataset, snakemake.output[0], **inputs)
