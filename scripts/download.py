"""Rule download: fetch one input, verify its sha256, write it atomically.

CISFLOW_DOWNLOAD_STALL (seconds without a byte that fail an attempt, default 60) and
CISFLOW_DOWNLOAD_PATIENCE (seconds without a new byte after which the download gives up, default
300) may be raised for a very slow or flaky link; a download that keeps bringing bytes is never cut short.
"""

import os

from cisflow.download import PATIENCE, STALL, fetch
from cisflow.logs import log_to

log_to(snakemake.log[0])
fetch(
    snakemake.params.url,
    snakemake.output[0],
    sha256=snakemake.params.sha256 or None,
    stall=float(os.environ.get("CISFLOW_DOWNLOAD_STALL") or STALL),
    patience=float(os.environ.get("CISFLOW_DOWNLOAD_PATIENCE") or PATIENCE),
)
