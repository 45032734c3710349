"""Variant effects: from a VCF, a GWAS table, the GWAS Catalog, summary statistics or credible sets
to ranked, calibrated effects, loci and trait enrichment.

``variants`` (the variants rule: every step in order), ``inputs`` and ``outputs`` (the input kinds and
the files written, defined once), ``sets`` (every input kind in one shape),
``alleles`` (REF and ALT where the input has none), ``checks`` (each allele against the genome,
a status each), ``windows`` (the window a variant is scored in), ``snv_effects`` (alt passes that
reuse the ref pass), ``scoring`` (effects per output, ranking), ``background`` (matched
background SNPs), ``calibration`` (z-scores and empirical p-values), ``loci`` (a trait's SNPs in
loci, by distance or LD; a lead's proxies), ``enrichment`` (traits x outputs, locus by locus),
``ism`` (mutagenesis around a variant), ``motif_changes`` (the motif each SNV breaks or makes),
``plots``, ``scored_vcf``, ``scores`` (the ranked table as written: headline TSV and per-output
Parquet).
"""
