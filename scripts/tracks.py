"""Rule tracks: the experiment's predictions and contributions as bigWig, its scored variant sets as bigBed, a UCSC
track hub and an IGV session of them (cisflow.tracks.tracks.write_tracks)."""

import torch

from cisflow.config.settings import Tracks
from cisflow.io.logs import log_to
from cisflow.tracks.tracks import OUTPUTS, write_tracks

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
inputs, params, experiment = snakemake.input, snakemake.params, snakemake.wildcards.experiment
write_tracks(inputs.model, inputs.fasta, Tracks.from_mapping(params.spec, f"experiments.{experiment}.tracks"),
             {role: snakemake.output[role] for role in OUTPUTS}, params.genome, experiment, held_out=params.held_out,
             loci_path=(inputs.loci or [None])[0], variant_tables=dict(zip(params.variant_sets, inputs.variants)),
             aliases=params.aliases)
