rule evaluate_member:
    """Predict a member's own held-out test split (a fold's, or the dataset's): its metrics and predictions."""
    input:
        model=rules.train.output.model,
        dataset=dataset_of,
    output:
        metrics="results/evaluation/{experiment}/{member}/metrics.json",
        predictions="results/evaluation/{experiment}/{member}/test_predictions.tsv.gz",
    params:
        member=member_spec,
    log:
        "logs/evaluate/{experiment}/{member}.log",
    threads: 2
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/evaluate_member.py"


rule evaluate:
    """The experiment's held-out figures (one model; the seed ensemble on the test split; folds pooled out of
    fold) with its members' mean and sd; AUROC/AUPRC or Pearson/Spearman/R², with plots."""
    input:
        model=rules.ensemble.output[0],
        dataset=dataset_of,
        metrics=member_outputs("evaluate_member", "metrics"),
        predictions=member_outputs("evaluate_member", "predictions"),
    output:
        metrics="results/evaluation/{experiment}/metrics.json",
        predictions="results/evaluation/{experiment}/test_predictions.tsv.gz",
        plot=report(
            "results/evaluation/{experiment}/performance.png",
            caption="../report/performance.rst",
            category="Evaluation",
            subcategory="{experiment}",
        ),
        members="results/evaluation/{experiment}/members.tsv",
    params:
        members=members_spec,
    log:
        "logs/evaluate/{experiment}.log",
    threads: 2
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/evaluate.py"
