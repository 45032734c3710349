"""The bundled demo's inputs, generated: ``python -m cisflow.demo resources/demo --seed 7``.

``generate`` (the command line and the whole data set with its README), ``motifs`` (the JASPAR motifs planted,
a site drawn from one), ``genome`` (the random genome: N blocks, soft-masking, FASTA), ``layout`` (random
non-overlapping placement), ``peaks`` (peaks, the sites planted in them, narrowPeak, the sites table and the
sample sheet), ``variants`` (destroying, neutral and edge SNPs; VCF and truth), ``catalog`` (the same SNPs as
GWAS Catalog associations), ``table`` (the DREAM-style activity table and its truth).
"""
