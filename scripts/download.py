"""Rule download: fetch one input, verify its sha256, write it atomically (cisflow.io.download.download_input)."""

from cisflow.io.download import download_input
from cisflow.io.logs import log_to

log_to(snakemake.log[0])
download_input(snakemake.params.url, snakemake.output[0], snakemake.params.sha256)
