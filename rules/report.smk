rule report:
    """The lab-meeting page results/report/index.html (self-contained) and its summary.json."""
    input:
        report_files,
    output:
        html=report(
            "results/report/index.html",
            caption="../report/workflow.rst",
            category="Report",
        ),
        summary="results/report/summary.json",
    params:
        config=config,
        manifest=report_manifest(),
        template=REPORT_TEMPLATE,
        logs="logs",  # the rules' logs: where each job ran and how long (cisflow.io.logs)
    log:
        "logs/report.log",
    conda:
        "../envs/report.yaml"
    script:
        "../scripts/report.py"
