"""Rule search_best: the best trial of the experiment's study (named in the workers' summaries)
as best.json, the values its full training run uses."""

import json
from pathlib import Path

from cisflow.logs import log_to
from cisflow.search import write_best

log_to(snakemake.log[0])
storages = {json.loads(Path(path).read_text())["storage"] for path in snakemake.input.workers}
if len(storages) != 1:
    raise ValueError(f"the workers of {snakemake.wildcards.experiment} used different studies: {sorted(storages)}")
write_best(snakemake.output[0], storages.pop(), snakemake.params.search["storage"], snakemake.wildcards.experiment,
           snakemake.params.model, snakemake.params.training)
