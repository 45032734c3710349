"""Rule modisco: TF-MoDISco patterns (MEME), their JASPAR matches and logos
(cisflow.interpret.modisco.discover_motifs)."""

import torch

from cisflow.config.settings import Interpret
from cisflow.interpret.modisco import discover_motifs
from cisflow.io.logs import log_to

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
out = snakemake.output
interpret = Interpret.from_mapping(snakemake.params.spec, f"experiments.{snakemake.wildcards.experiment}.interpret")
discover_motifs(snakemake.input.model, snakemake.input.dataset, interpret, out.meme, out.matches,
                out.plot)
