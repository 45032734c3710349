rule evaluate:
    """Predict the held-out test split; AUROC/AUPRC or Pearson/Spearman/R², with plots."""
    input:
        model="results/models/{experiment}/model.pt",
        dataset=dataset_of,
    output:
        metrics="results/evaluation/{experiment}/metrics.json",
        predictions="results/evaluation/{experiment}/test_predictions.tsv.gz",
        plot=report(
            "results/evaluation/{experiment}/performance.png",
            caption="../report/performance.rst",
            category="Evaluation",
            subcategory="{experiment}",
        ),
    log:
        "logs/evaluate/{experiment}.log",
    threads: 2
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/evaluate.py"
