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
