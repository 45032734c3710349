rule tracks:
    """Genome browser tracks of an experiment with a tracks section (peaks datasets): predictions and contributions
    along the regions as bigWig, the scored variant sets as bigBed, a UCSC track hub and an IGV session of them."""
    input:
        model=rules.ensemble.output[0],
        fasta=GENOME_FASTA,
        fai=GENOME_FAI,
        loci=tracks_loci,
        variants=tracks_variant_tables,
    output:
        # the roles of cisflow.tracks.tracks.OUTPUTS
        hub="results/tracks/{experiment}/hub.txt",
        genomes="results/tracks/{experiment}/genomes.txt",
        trackdb="results/tracks/{experiment}/trackDb.txt",
        session="results/tracks/{experiment}/igv_session.xml",
        data=directory("results/tracks/{experiment}/data"),
    params:
        spec=tracks_spec,
        held_out=tracks_held_out,
        variant_sets=tracks_variant_sets,
        genome=GENOME,
        aliases=config["contig_aliases"],
    log:
        "logs/tracks/{experiment}.log",
    threads: 2
    resources:
        gpu=1,
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/tracks.py"
