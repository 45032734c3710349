rule variants:
    """Score a variant set with the experiment's model: effects per output on both strands, calibrated against
    matched background SNPs, ranked; every record has a status; traits tested for enrichment. The ranked TSV
    holds the headline columns, the Parquet file every output's."""
    input:
        model=rules.ensemble.output[0],
        variants=variant_input,
        fasta=GENOME_FASTA,
        fai=GENOME_FAI,
        peaks=variant_peaks,
        truth=variant_truth,
        chain=variant_chain,
        dbsnp=variant_dbsnp,
        panel=variant_panel,
        learned=variant_learned_motifs,
    output:
        # every role of cisflow.variants.outputs.OUTPUTS, a suffix of one stem; its figures report entries
        **variant_rule_outputs("results/variants/{experiment}/{variant_set}"),
    params:
        aliases=config["contig_aliases"],
        spec=variant_params,
        jaspar=variant_jaspar,
    log:
        "logs/variants/{experiment}/{variant_set}.log",
    threads: 2
    resources:
        gpu=1,
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/variants.py"
