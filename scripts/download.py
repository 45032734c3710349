"""Rule download: fetch one input, verify its sha256, write it atomically."""

from cisflow.download import fetch
from cisflow.logs import log_to

log_to(snakemake.log[0])
fetch(snakemake.params.url, snakemake.output[0], sha256=snakemake.params.sha256 or None)
