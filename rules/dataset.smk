rule dataset:
    """Extract, filter, pad and encode sequences (one byte a base) with targets and the split."""
    input:
        unpack(dataset_inputs),
    output:
        directory("results/datasets/{dataset}"),
    params:
        spec=dataset_spec,
        format=DATASET_FORMAT,
    log:
        "logs/dataset/{dataset}.log",
    conda:
        "../envs/data.yaml"
    script:
        "../scripts/dataset.py"


rule gene_features:
    """Derive Xpresso's eight mRNA half-life features per gene from the dataset's annotation and the genome."""
    input:
        annotation=annotation_of,
        fasta=GENOME_FASTA,
        fai=GENOME_FAI,
    output:
        "results/features/{dataset}.tsv.gz",
    log:
        "logs/gene_features/{dataset}.log",
    conda:
        "../envs/data.yaml"
    script:
        "../scripts/gene_features.py"
