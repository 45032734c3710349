rule variants:
    """Score a variant set with the experiment's model: effects per output on both strands, calibrated against
    matched background SNPs, ranked; every record has a status; traits tested for enrichment. The ranked TSV
    holds the headline columns, the Parquet file every output's."""
    input:
        model="results/models/{experiment}/model.pt",
        variants="resources/downloads/variants/{variant_set}",
        fasta=GENOME_FASTA,
        fai=GENOME_FAI,
        peaks=variant_peaks,
        truth=variant_truth,
        chain=variant_chain,
        dbsnp=variant_dbsnp,
        panel=variant_panel,
        learned=variant_learned_motifs,
    output:
        table="results/variants/{experiment}/{variant_set}.tsv.gz",
        scores="results/variants/{experiment}/{variant_set}.scores.parquet",
        plot=report(
            "results/variants/{experiment}/{variant_set}.png",
            caption="../report/variants.rst",
            category="Variant effects",
            subcategory="{experiment}",
        ),
        summary="results/variants/{experiment}/{variant_set}.summary.json",
        vcf="results/variants/{experiment}/{variant_set}.scored.vcf",
        associations="results/variants/{experiment}/{variant_set}.associations.tsv.gz",
        background="results/variants/{experiment}/{variant_set}.background.tsv.gz",
        enrichment="results/variants/{experiment}/{variant_set}.enrichment.tsv",
        enrichment_plot=report(
            "results/variants/{experiment}/{variant_set}.enrichment.png",
            caption="../report/enrichment.rst",
            category="Variant effects",
            subcategory="{experiment}",
        ),
        ism=report(
            "results/variants/{experiment}/{variant_set}.ism.png",
            caption="../report/variant_ism.rst",
            category="Variant effects",
            subcategory="{experiment}",
        ),
        trait_ism=report(
            "results/variants/{experiment}/{variant_set}.trait_ism.png",
            caption="../report/trait_ism.rst",
            category="Variant effects",
            subcategory="{experiment}",
        ),
        loci="results/variants/{experiment}/{variant_set}.loci.tsv.gz",
        loci_plot=report(
            "results/variants/{experiment}/{variant_set}.loci.png",
            caption="../report/loci.rst",
            category="Variant effects",
            subcategory="{experiment}",
        ),
        manhattan=report(
            "results/variants/{experiment}/{variant_set}.manhattan.png",
            caption="../report/manhattan.rst",
            category="Variant effects",
            subcategory="{experiment}",
        ),
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
