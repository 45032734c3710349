"""Rule variants: the ranked variant table with a status for every record, calibration, enrichment, plots,
summary (cisflow.variants.variants.score_variant_set)."""

import torch

from cisflow.config.settings import VariantSet
from cisflow.io.logs import log_to
from cisflow.variants.outputs import ROLES
from cisflow.variants.variants import score_variant_set

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
inputs, out, name = snakemake.input, snakemake.output, snakemake.wildcards.variant_set
score_variant_set(inputs.model, inputs.variants, inputs.fasta, {role: out[role] for role in ROLES},
                  VariantSet.from_mapping(snakemake.params.spec, f"variants.{name}"), peaks_path=inputs.peaks,
                  truth_path=(inputs.truth or [None])[0], chain_path=(inputs.chain or [None])[0],
                  dbsnp_path=(inputs.dbsnp or [None])[0], panel_path=(inputs.panel or [None])[0],
                  aliases=snakemake.params.aliases, jaspar=dict(snakemake.params.jaspar),
                  learned_motifs=list(zip(inputs.learned[::2], inputs.learned[1::2])), name=name)
