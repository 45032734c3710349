"""Rule gene_features: a promoters dataset's annotation (GTF or GFF3) and the genome -> Xpresso's eight mRNA
half-life features per gene (cisflow.data.gene_features.write_gene_features)."""

from cisflow.data.gene_features import write_gene_features
from cisflow.io.logs import log_to

log_to(snakemake.log[0])
write_gene_features(snakemake.input.annotation, snakemake.input.fasta, snakemake.output[0])
