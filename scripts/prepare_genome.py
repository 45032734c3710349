"""Rule genome: an uncompressed copy of the downloaded genome, 60 bases a line, and its .fai index."""

from cisflow.genome import prepare_fasta
from cisflow.logs import log_to

log_to(snakemake.log[0])
prepare_fasta(snakemake.input[0], snakemake.output.fasta)
