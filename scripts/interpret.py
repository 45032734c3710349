"""Rule interpret: filter motifs (MEME), their JASPAR matches, logos and saliency maps."""

import torch

from cisflow.explain import explain
from cisflow.logs import log_to

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
out = snakemake.output
explain(snakemake.input.model, snakemake.input.dataset, snakemake.params.spec, out.meme, out.matches, out.motifs,
        out.saliency, out.influence)
