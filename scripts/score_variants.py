"""Rule variants: the ranked variant table with a status for every record, its plot and summary."""

import torch

from cisflow.logs import log_to
from cisflow.score_vcf import score_vcf

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
out = snakemake.output
score_vcf(snakemake.input.model, snakemake.input.vcf, snakemake.input.fasta,
          dict(table=out.table, plot=out.plot, summary=out.summary, vcf=out.vcf, ism=out.ism, manhattan=out.manhattan),
          truth_path=(snakemake.input.truth or [None])[0], aliases=snakemake.params.aliases,
          max_ref_mismatch=snakemake.params.max_ref_mismatch, kind=snakemake.params.kind,
          indels=snakemake.params.indels, chain_path=(snakemake.input.chain or [None])[0],
          precision=snakemake.params.precision)
