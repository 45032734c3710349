rule intervals:
    """Merge every sample's peaks into fixed-width regions (a TSV) with a regions x samples uint8 target matrix (.npy)."""
    input:
        peaks=peak_files,
        fasta=GENOME_FASTA,
        fai=GENOME_FAI,
        blacklist=blacklist_of,
    output:
        regions="results/intervals/{dataset}.tsv.gz",
        targets="results/intervals/{dataset}.targets.npy",
        counts="results/intervals/{dataset}.counts.json",
    params:
        spec=dataset_spec,
        samples=list(SAMPLES),
        formats=peak_formats(),
        aliases=config["contig_aliases"],
    log:
        "logs/intervals/{dataset}.log",
    conda:
        "../envs/data.yaml"
    script:
        "../scripts/intervals.py"
