rule interpret:
    """Each member's first-layer filters -> PWMs (MEME) matched to JASPAR with Tomtom, ranked by influence, motifs by
    the members they were found in; the ensemble's saliency and ISM maps."""
    input:
        model=rules.ensemble.output[0],
        dataset=dataset_of,
    output:
        meme="results/interpret/{experiment}/filters.meme",
        matches=report(
            "results/interpret/{experiment}/matches.tsv",
            caption="../report/matches.rst",
            category="Interpretation",
            subcategory="{experiment}",
        ),
        motifs=report(
            "results/interpret/{experiment}/motifs.png",
            caption="../report/motifs.rst",
            category="Interpretation",
            subcategory="{experiment}",
        ),
        influence=report(
            "results/interpret/{experiment}/influence.tsv",
            caption="../report/influence.rst",
            category="Interpretation",
            subcategory="{experiment}",
        ),
        saliency=report(
            "results/interpret/{experiment}/saliency.png",
            caption="../report/saliency.rst",
            category="Interpretation",
            subcategory="{experiment}",
        ),
        reproducibility="results/interpret/{experiment}/reproducibility.tsv",
    params:
        spec=interpret_spec,
    log:
        "logs/interpret/{experiment}.log",
    threads: 2
    conda:
        "../envs/interpret.yaml"
    script:
        "../scripts/interpret.py"


rule modisco:
    """TF-MoDISco patterns from input-gradient attributions of the top test sequences, matched to JASPAR (interpret.modisco)."""
    input:
        model=rules.ensemble.output[0],
        dataset=dataset_of,
    output:
        meme="results/interpret/{experiment}/modisco.meme",
        matches=report(
            "results/interpret/{experiment}/modisco_matches.tsv",
            caption="../report/modisco_matches.rst",
            category="Interpretation",
            subcategory="{experiment}",
        ),
        plot=report(
            "results/interpret/{experiment}/modisco.png",
            caption="../report/modisco.rst",
            category="Interpretation",
            subcategory="{experiment}",
        ),
    params:
        spec=interpret_spec,
    log:
        "logs/interpret/{experiment}.modisco.log",
    threads: 2
    conda:
        "../envs/interpret.yaml"
    script:
        "../scripts/modisco.py"
