"""The conda environments, checked statically (this machine reaches no conda channel).

Every rule names an env file under envs/; each file parses, takes packages from conda-forge and
bioconda only, pins every package, and holds every third-party module its rules' scripts import,
directly or through the cisflow modules they import (followed to the end, imports inside functions
included: those run too); and it holds nothing else, but for what runs without being imported by name
(``RUNTIME_ONLY``, and what the env's pip packages need: see ``pip_requirements``).
"""

import ast
import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHANNELS = {"conda-forge", "bioconda"}
# import name -> package name (conda or pip) where they differ
PACKAGE_OF = {"torch": "pytorch", "yaml": "pyyaml", "sklearn": "scikit-learn", "Bio": "biopython",
              "matplotlib": "matplotlib-base", "modiscolite": "modisco-lite"}
# PyPI name -> conda name where they differ
CONDA_NAME_OF = {"torch": "pytorch", "matplotlib": "matplotlib-base"}
# What an env pins without any rule importing it by name: the interpreter, and pip, which installs the
# env's pip: section.
RUNTIME_ONLY = {"python", "pip"}


def rules():
    """{rule: {"conda": path, "script": path}} from rules/*.smk."""
    found = {}
    for path in sorted((ROOT / "rules").glob("*.smk")):
        for block in re.split(r"^(?=rule \w+:)", path.read_text(), flags=re.M)[1:]:
            name = re.match(r"rule (\w+):", block).group(1)
            entry = {key: (path.parent / value).resolve()
                     for key, value in re.findall(r"^\s+(conda|script):\s*\n\s+\"([^\"]+)\"", block, re.M)}
            found[name] = entry
    return found


RULES = rules()
ENV_FILES = sorted((ROOT / "envs").glob("*.yaml"))


def env_packages(path):
    """{package name: version} of an env file, conda and pip entries alike."""
    spec = yaml.safe_load(path.read_text())
    packages = {}
    for entry in spec["dependencies"]:
        if isinstance(entry, dict):
            for requirement in entry["pip"]:
                name, _, version = requirement.partition("==")
                packages[name.strip()] = version.strip()
        else:
            name, _, version = entry.partition("=")
            packages[name.strip()] = version.strip()
    return packages


def test_rules_were_found():
    assert {"download", "genome", "dataset", "train", "evaluate", "interpret", "modisco", "variants",
            "report", "search_trials", "search_best", "intervals"} <= set(RULES)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_rule_has_an_env_file_and_a_script(rule):
    entry = RULES[rule]
    if "script" not in entry:  # rule all and other rules that run nothing
        return
    assert "conda" in entry, f"rule {rule} has no conda: env"
    assert entry["conda"].exists() and entry["conda"].parent == ROOT / "envs", entry["conda"]


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: p.name)
def test_env_file_names_only_its_channels_and_pins_every_package(path):
    spec = yaml.safe_load(path.read_text())
    assert set(spec) == {"channels", "dependencies"}, f"{path.name}: keys {sorted(spec)}"
    assert spec["channels"][0] == "conda-forge" and spec["channels"][-1] == "nodefaults", spec["channels"]
    assert set(spec["channels"][:-1]) <= CHANNELS, spec["channels"]
    for entry in spec["dependencies"]:
        if isinstance(entry, dict):
            assert set(entry) == {"pip"}, entry
            for requirement in entry["pip"]:
                assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.+]*", requirement), \
                    f"{path.name}: pip requirement {requirement!r} is not pinned with =="
        elif entry == "pip":
            pytest.fail(f"{path.name}: pip is not pinned")
        else:
            assert re.fullmatch(r"[a-z0-9_.-]+=[0-9][0-9A-Za-z.]*(=[\w*.]+)?", entry), \
                f"{path.name}: {entry!r} is not pinned as name=version"


def module_file(name):
    """The file of cisflow module ``name`` (a package's __init__.py), or None outside cisflow."""
    if name != "cisflow" and not name.startswith("cisflow."):
        return None
    base = ROOT / Path(*name.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _runtime_nodes(tree):
    """The nodes of ``tree`` that run: those under ``if TYPE_CHECKING:`` are read by type checkers only."""
    def hints_only_block(node):
        return isinstance(node, ast.If) and "TYPE_CHECKING" in (getattr(node.test, "id", None),
                                                                 getattr(node.test, "attr", None))

    hints_only = {id(inner) for node in ast.walk(tree) if hints_only_block(node)
                  for statement in node.body for inner in ast.walk(statement)}
    return (node for node in ast.walk(tree) if id(node) not in hints_only)


def third_party_imports(script):
    """Top-level names of the non-standard-library modules that ``script`` imports, following
    cisflow's own modules to the end."""
    found, seen, todo = set(), set(), [script]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        tree = ast.parse(path.read_text())
        for node in _runtime_nodes(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                own = module_file(name)
                if own is not None:
                    if own.exists():
                        todo.append(own)
                elif name.split(".")[0] not in sys.stdlib_module_names:
                    found.add(name.split(".")[0])
    return found


@pytest.mark.parametrize("rule", sorted(name for name, entry in RULES.items() if "script" in entry))
def test_env_holds_every_module_the_rules_script_imports(rule):
    entry = RULES[rule]
    packages = env_packages(entry["conda"])
    missing = {name for name in third_party_imports(entry["script"])
               if PACKAGE_OF.get(name, name).lower() not in {p.lower() for p in packages}}
    assert not missing, f"rule {rule}: {entry['conda'].name} lacks {sorted(missing)}"


def pip_requirements(path):
    """The conda names of what the pip: packages of env file ``path`` require (their extras left out), read
    from their metadata in this interpreter (both test venvs install them). An env pins these from conda so
    that pip installs none of its own, nor a numpy of its choice, beside the conda packages."""
    spec = yaml.safe_load(path.read_text())
    names = set()
    for entry in spec["dependencies"]:
        if not isinstance(entry, dict):
            continue
        for requirement in entry["pip"]:
            for needed in importlib.metadata.requires(requirement.partition("==")[0]) or []:
                if "extra ==" not in needed:
                    name = re.match(r"[A-Za-z0-9_.-]+", needed).group(0).lower().replace("_", "-")
                    names.add(CONDA_NAME_OF.get(name, name))
    return names


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: p.name)
def test_env_holds_nothing_its_rules_do_not_import(path):
    """The converse of the test above: a package that no script of a rule using the env imports (directly or
    through cisflow's modules) has no place in it, unless it runs without being imported by name."""
    scripts = [entry["script"] for entry in RULES.values() if entry.get("conda") == path and "script" in entry]
    assert scripts, f"no rule uses {path.name}"
    imported = {PACKAGE_OF.get(name, name).lower() for script in scripts for name in third_party_imports(script)}
    unused = {name.lower() for name in env_packages(path)} - imported - RUNTIME_ONLY - pip_requirements(path)
    assert not unused, f"{path.name} pins {sorted(unused)}, which no script of its rules imports"


def test_the_training_env_takes_pytorchs_cuda_build():
    torch_env = yaml.safe_load((ROOT / "envs/torch.yaml").read_text())
    pytorch = next(entry for entry in torch_env["dependencies"] if isinstance(entry, str)
                   and entry.startswith("pytorch="))
    assert pytorch.endswith("=cuda*"), pytorch


def test_scripts_find_cisflow_without_it_being_installed():
    """In a conda env cisflow is not installed: rule scripts import it through the link
    scripts/cisflow (Snakemake puts a script's folder on its sys.path)."""
    import subprocess

    probe = "import sys; sys.path.insert(0, 'scripts'); import cisflow; print(cisflow.__file__)"
    result = subprocess.run([sys.executable, "-S", "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).parent.parent == ROOT / "scripts"


def test_the_envs_pins_become_one_requirements_list_for_the_second_test_venv():
    """make test-envs installs these: every env's pins, one version each, PyPI names, no python,
    pip or pytorch (the CPU build of the tested torch stands in), and the test tools the envs lack
    (pytest from requirements-dev.txt; torch from the requirements.txt it includes)."""
    result = subprocess.run([sys.executable, "tools/env_pins.py", "envs", "--with", "requirements-dev.txt"], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    lines = result.stdout.split()
    names = [line.split("==")[0].split("[")[0].lower() for line in lines]
    assert len(names) == len(set(names)) and "numpy" in names and "matplotlib" in names
    assert not {"python", "pip", "pytorch", "matplotlib-base"} & set(names) and "pytest" in names
    torch_pin = next(line for line in ROOT.joinpath("requirements.txt").read_text().splitlines()
                     if line.startswith("torch=="))
    assert torch_pin.split()[0] in lines
