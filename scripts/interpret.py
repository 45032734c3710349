"""Rule interpret: filter motifs (MEME), their JASPAR matches, logos, influence and attribution maps
(cisflow.interpret.interpret.interpret_experiment)."""

import torch

from cisflow.config.settings import Interpret
from cisflow.interpret.interpret import interpret_experiment
from cisflow.io.logs import log_to

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
out = snakemake.output
interpret = Interpret.from_mapping(snakemake.params.spec, f"experiments.{snakemake.wildcards.experiment}.interpret")
interpret_experiment(snakemake.input.model, snakemake.input.dataset, interpret, out.meme, out.matches,
                     out.motifs, out.saliency, out.influence, out.reproducibility)
