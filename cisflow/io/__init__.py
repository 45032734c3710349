"""Files and formats: what cisflow reads and writes, and how it fails on bad input.

Inputs: ``fasta`` (labelled FASTA files), ``genome`` (the reference: the genome rule's ``prepare_genome``),
``peaks`` (narrowPeak / BED and their formats), ``regions`` (the intervals rule's table),
``tables`` (sequence tables), ``vcf``, ``gwas`` (GWAS-style tables with REF and
ALT), ``gwas_catalog`` (the GWAS Catalog's associations file), ``sumstats`` (GWAS-SSF),
``pvalues``, ``truth``, ``contigs`` (chr1 / 1 / MT names), ``liftover`` (chain files), ``annotation``
(GTF / GFF3 gene annotations), ``download``
(the download rule's ``download_input``). Outputs and plumbing: ``atomic``
(nothing half-written), ``textio`` (gzip by content, bad bytes named by line), ``jsonio`` (valid
JSON only: null, never NaN), ``figures``,
``logs``, ``errors`` (``InputError``: file, line, problem).
"""
