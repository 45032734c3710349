rule search_trials:
    """One worker's share of an experiment's Optuna trials; every worker shares one study file.

    The study file (results/search/<experiment>/study-<digest>.journal, or .db with SQLite) is
    written by all the workers at once, so it is no rule's output: its name is a digest of the
    search's settings and inputs, worked out by each worker, and the workers' summaries name it.
    """
    input:
        dataset=dataset_of,
        init=init_model,
    output:
        "results/search/{experiment}/worker{worker}.json",
    params:
        model=model_spec,
        training=training_spec,
        search=search_spec,
    log:
        "logs/search/{experiment}/worker{worker}.log",
    wildcard_constraints:
        worker=r"\d+",
    threads: 2
    resources:
        gpu=1,
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/search_trials.py"


rule search_best:
    """The best trial of the experiment's search: the values its full training run takes."""
    input:
        workers=search_workers,
    output:
        "results/search/{experiment}/best.json",
    params:
        model=model_spec,
        training=training_spec,
        search=search_spec,
    log:
        "logs/search/{experiment}/best.log",
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/search_best.py"
