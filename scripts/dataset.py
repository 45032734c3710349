"""Rule dataset: sequences of peak regions, promoters (genome), a table or labelled FASTA files -> the encoded
dataset directory (cisflow.data.build.build_dataset)."""

from cisflow.data.build import build_dataset
from cisflow.io.logs import log_to

log_to(snakemake.log[0])
inputs = {name: value for name, value in snakemake.input.items() if name != "fai"}
build_dataset(snakemake.params.spec, snakemake.output[0], **inputs)
