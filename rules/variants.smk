rule variants:
    """Score every VCF record with the experiment's model: alt - ref per output, both strands; each row has a status."""
    input:
        model="results/models/{experiment}/model.pt",
        vcf="resources/downloads/variants/{variant_set}",
        fasta=GENOME_FASTA,
        fai=GENOME_FAI,
        truth=variant_truth,
        chain=variant_chain,
    output:
        table="results/variants/{experiment}/{variant_set}.tsv.gz",
        plot=report(
            "results/variants/{experiment}/{variant_set}.png",
            caption="../report/variants.rst",
            category="Variant effects",
            subcategory="{experiment}",
        ),
        summary="results/variants/{experiment}/{variant_set}.summary.json",
        vcf="results/variants/{experiment}/{variant_set}.scored.vcf",
        ism=report(
            "results/variants/{experiment}/{variant_set}.ism.png",
            caption="../report/variant_ism.rst",
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
        max_ref_mismatch=lambda wildcards: config["variants"][wildcards.variant_set]["max_ref_mismatch"],
        kind=lambda wildcards: "vcf" if "vcf" in config["variants"][wildcards.variant_set] else "table",
        indels=lambda wildcards: config["variants"][wildcards.variant_set]["indels"],
        precision=lambda wildcards: config["variants"][wildcards.variant_set]["precision"],
    log:
        "logs/variants/{experiment}/{variant_set}.log",
    threads: 2
    resources:
        gpu=1,
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/score_variants.py"
