"""Rule ensemble: the experiment's model file from its members' (cisflow.models.ensemble.run)."""

from cisflow.io.logs import log_to
from cisflow.models.ensemble import run

log_to(snakemake.log[0])
run(list(snakemake.input), list(snakemake.params.names), snakemake.output[0])
