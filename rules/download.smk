rule download:
    """Fetch one input by URL or local path, check its sha256, write it atomically."""
    output:
        "resources/downloads/{source}",
    params:
        url=download_url,
        sha256=download_sha256,
    log:
        "logs/download/{source}.log",
    wildcard_constraints:
        source="(genome|peaks|tables|variants|truth|chains|blacklist|tss)/[^/]+",
    retries: 2
    conda:
        "../envs/data.yaml"
    script:
        "../scripts/download.py"


rule genome:
    """Decompress the genome once and index it for pyfaidx."""
    input:
        "resources/downloads/genome/{genome}",
    output:
        fasta="resources/genome/{genome}.fa",
        fai="resources/genome/{genome}.fa.fai",
    log:
        "logs/genome/{genome}.log",
    conda:
        "../envs/data.yaml"
    script:
        "../scripts/prepare_genome.py"
