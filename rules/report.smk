rule report:
    """The lab-meeting page results/report/index.html (self-contained) and its summary.json."""
    input:
        unpack(report_inputs),
    output:
        html=report(
            "results/report/index.html",
            caption="../report/workflow.rst",
            category="Report",
        ),
        summary="results/report/summary.json",
    params:
        config=config,
        experiments=list(EXPERIMENTS),
        variant_pairs=variant_outputs(),
        modisco_experiments=modisco_experiments(),
        logs="logs",  # the rules' logs: where each job ran and how long (cisflow.logs)
    log:
        "logs/report.log",
    conda:
        "../envs/report.yaml"
    script:
        "../scripts/report.py"
