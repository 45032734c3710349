rule interpret:
    """First-layer filters -> PWMs (MEME) matched to JASPAR with Tomtom; saliency on top test sequences."""
    input:
        model="results/models/{experiment}/model.pt",
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
        saliency=report(
            "results/interpret/{experiment}/saliency.png",
            caption="../report/saliency.rst",
            category="Interpretation",
            subcategory="{experiment}",
        ),
    params:
        spec=interpret_spec,
    log:
        "logs/interpret/{experiment}.log",
    threads: 2
    conda:
        "../envs/interpret.yaml"
    script:
        "../scripts/interpret.py"
