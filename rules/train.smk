rule train:
    """Train one member of the experiment (GPU when torch sees one); resumes from results/models/*/*/resume.pt."""
    input:
        dataset=dataset_of,
        init=init_model,
        best=search_best_of,
    output:
        model="results/models/{experiment}/{member}/model.pt",
        history=report(
            "results/models/{experiment}/{member}/history.tsv",
            caption="../report/history.rst",
            category="Training",
            subcategory="{experiment}",
        ),
    params:
        model=model_spec,
        training=training_spec,
        member=member_spec,
    log:
        "logs/train/{experiment}/{member}.log",
    threads: 2
    resources:
        gpu=1,
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/train.py"


rule ensemble:
    """The experiment's model: its members' ensemble in one file (a single member's file as it is)."""
    input:
        member_outputs("train", "model"),
    output:
        "results/models/{experiment}/model.pt",
    params:
        names=member_names,
    log:
        "logs/ensemble/{experiment}.log",
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/ensemble.py"
