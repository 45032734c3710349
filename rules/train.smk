rule train:
    """Train the experiment's model (GPU when torch sees one); resumes from results/models/*/resume.pt."""
    input:
        dataset=dataset_of,
        init=init_model,
        best=search_best_of,
    output:
        model="results/models/{experiment}/model.pt",
        history=report(
            "results/models/{experiment}/history.tsv",
            caption="../report/history.rst",
            category="Training",
            subcategory="{experiment}",
        ),
    params:
        model=model_spec,
        training=training_spec,
    log:
        "logs/train/{experiment}.log",
    threads: 2
    resources:
        gpu=1,
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/train.py"
