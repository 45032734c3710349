"""The variants stage's outputs (cisflow.variants.outputs): the one definition that the rule, its script, the
command line and both reports follow."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import cisflow.variants.variants
from cisflow.cli import main
from cisflow.variants.inputs import INPUT_KINDS
from cisflow.variants.outputs import (
    FIGURE_ROLES,
    OUTPUTS,
    PAGE_ROLES,
    REPORT_CATEGORY,
    ROLES,
    output_paths,
)
from tests.workflow_helpers import demo_config, write_config

ROOT = Path(__file__).resolve().parents[1]


# The workflow with a probe beside it: what the rule variants declares (each output's name, path and
# report entry) and the files the report reads of a variant set (report_manifest), as JSON on one line
PROBE = """
import json

include: {snakefile!r}

output = rules.variants.rule.output
entries = {{name: getattr(output, name).flags.get("report") for name in output.keys()}}
print("PROBE " + json.dumps({{
    "paths": {{name: str(getattr(output, name)) for name in output.keys()}},
    "report": {{name: [str(entry.caption), entry.category, entry.subcategory]
                for name, entry in entries.items() if entry}},
    "page": report_manifest()["experiments"]["peaks_basset"]["variants"]["demo_gwas"],
}}))
"""


def planned_outputs(stdout, rule):
    """The output paths of each job of ``rule`` a dry run prints."""
    jobs, current = [], None
    for line in stdout.splitlines():
        if line.startswith("rule ") and line.endswith(":"):
            current = line[5:-1]
        elif current == rule and line.startswith("    output: "):
            jobs.append(line.removeprefix("    output: ").split(", "))
    return jobs


def test_the_rule_writes_and_the_report_reads_the_outputs_of_the_one_definition(tmp_path):
    (tmp_path / "Snakefile").write_text(PROBE.format(snakefile=str(ROOT / "Snakefile")))
    stem = "results/variants/peaks_basset/demo_gwas"
    paths = output_paths(stem)
    result = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", tmp_path / "Snakefile", "--directory",
                             tmp_path, "--configfile", write_config(tmp_path, demo_config()), "--cores", "1", "-n",
                             paths["summary"]], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    probe = json.loads(next(line for line in result.stdout.splitlines() if line.startswith("PROBE "))[6:])
    declared = {name: re.sub(r"\{(\w+),[^}]*\}", r"{\1}", path) for name, path in probe["paths"].items()}
    assert declared == output_paths("results/variants/{experiment}/{variant_set}")
    assert planned_outputs(result.stdout, "variants") == [list(paths.values())]
    assert probe["report"] == {output.role: [str(ROOT / "rules" / ".." / "report" / f"{output.caption}.rst"),
                                             REPORT_CATEGORY, "{experiment}"] for output in OUTPUTS if output.caption}
    assert probe["page"] == {role: paths[role] for role in PAGE_ROLES}


@pytest.mark.parametrize("kind", INPUT_KINDS, ids=lambda kind: kind.key)
def test_the_command_line_writes_the_outputs_of_the_one_definition(kind, tmp_path, monkeypatch, capsys):
    given = {}

    def score_variant_set(model, source, genome, outputs, variant_set, **files):
        for role, path in outputs.items():
            Path(path).write_text(role)
        given.update(kind=variant_set.kind, roles=list(outputs))
        return {"sites": 0, "scored": 0}

    monkeypatch.setattr(cisflow.variants.variants, "score_variant_set", score_variant_set)
    (tmp_path / "out").mkdir()
    argv = ["score-variants", "--model", tmp_path / "m.pt", kind.flag, tmp_path / "in", "--genome", tmp_path / "g.fa",
            "--out", tmp_path / "out" / "set.tsv.gz"]
    assert main([str(arg) for arg in argv]) == 0, capsys.readouterr().err
    assert given == {"kind": kind.key, "roles": list(ROLES)}
    assert sorted((tmp_path / "out").iterdir()) == sorted(map(Path, output_paths(tmp_path / "out" / "set").values()))


def test_the_pages_figures_are_the_report_entries_each_with_its_caption():
    template = (ROOT / "cisflow" / "report" / "template.html").read_text()
    assert all(f"v.{role}" in template for role in FIGURE_ROLES)
    assert all((ROOT / "report" / f"{output.caption}.rst").is_file() for output in OUTPUTS if output.caption)
    assert set(PAGE_ROLES) <= set(ROLES) and len(set(ROLES)) == len(ROLES)
    assert len({output.suffix for output in OUTPUTS}) == len(OUTPUTS)
