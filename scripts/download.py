"""Rule download: fetch one input, verify its sha256, write it atomically (cisflow.io.download.run)."""

from cisflow.io.download import run
from cisflow.io.logs import log_to

log_to(snakemake.log[0])
run(snakemake.params.url, snakemake.output[0], snakemake.params.sha256)
