"""Rule ensemble: the experiment's model file from its members' (cisflow.models.ensemble.save_ensemble)."""

from cisflow.io.logs import log_to
from cisflow.models.ensemble import save_ensemble

log_to(snakemake.log[0])
save_ensemble(snakemake.output[0], list(snakemake.input), list(snakemake.params.names))
