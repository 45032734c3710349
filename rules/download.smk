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
        source="(genome|peaks|tables|variants|dbsnp|truth|chains|panels|blacklist|tss|annotation|loci)/[^/]+",
    # Never re-run by Snakemake, whatever --retries (profiles/slurm sets 2): fetch retries what is
    # transient itself (stalls, dropped connections, HTTP 5xx) within a bounded time, and a sha256
    # mismatch, an HTTP 4xx or a missing file would only fail the same way again.
    retries: 0
    conda:
        "../envs/data.yaml"
    script:
        "../scripts/download.py"


rule genome:
    """Decompress the genome once and index it for pyfaidx."""
    input:
        genome_download,
    output:
        fasta="resources/genome/{genome}.fa",
        fai="resources/genome/{genome}.fa.fai",
    log:
        "logs/genome/{genome}.log",
    conda:
        "../envs/data.yaml"
    script:
        "../scripts/genome.py"


# The genome's FASTA and index as the rules read them (the genome rule's outputs for the config's genome).
GENOME_FASTA, GENOME_FAI = expand([rules.genome.output.fasta, rules.genome.output.fai], genome=GENOME)
