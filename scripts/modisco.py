"""Rule modisco: TF-MoDISco patterns (MEME), their JASPAR matches and logos."""

import torch

from cisflow.explain import explain_patterns
from cisflow.logs import log_to

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
out = snakemake.output
explain_patterns(snakemake.input.model, snakemake.input.dataset, snakemake.params.spec, out.meme, out.matches,
                 out.plot)
