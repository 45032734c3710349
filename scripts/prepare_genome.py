"""Rule genome: an uncompressed, pyfaidx-indexed copy of the downloaded genome."""

from cisflow.genome import prepare_fasta
from cisflow.logs import log_to

log_to(snakemake.log[0])
prepare_fasta(snakemake.input[0], snakemake.output.fasta)
