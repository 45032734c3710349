"""Rule genome: an uncompressed copy of the downloaded genome, 60 bases a line, and its .fai index
(cisflow.io.genome.prepare_genome)."""

from cisflow.io.genome import prepare_genome
from cisflow.io.logs import log_to

log_to(snakemake.log[0])
prepare_genome(snakemake.input[0], snakemake.output.fasta)
