"""Static checks that CI would otherwise leave to a reviewer: snakemake --lint, ruff, import structure, type hints
on every public function (mypy itself runs in make test and make lint)."""

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_snakemake_lint_is_clean():
    result = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], cwd=ROOT, capture_output=True, text=True,
                            timeout=1800)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_is_clean():
    folders = ["cisflow", "scripts", "tests", "bench", "tools"]
    result = subprocess.run([sys.executable, "-m", "ruff", "check", *folders], cwd=ROOT, capture_output=True, text=True,
                            timeout=1800)
    assert result.returncode == 0, result.stdout + result.stderr


# --- the package's import structure, read with ast (imports inside functions count too) ----------

# import nothing of cisflow; any module may use them
GROUND_FLOOR = ("cisflow", "cisflow.encode", "cisflow.stats", "cisflow.types")
ARCHITECTURES = ("cisflow.models.convnet", "cisflow.models.camformer")  # their internals stay in cisflow.models


def _module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolved(target, modules):
    """The module of ``modules`` an import of the dotted ``target`` runs: ``target`` itself, or
    the longest prefix of it that is one (``cisflow.io.errors.InputError`` -> ``cisflow.io.errors``)."""
    while target and target not in modules:
        target = target.rpartition(".")[0]
    return target or None


def package_imports():
    """{module: the modules of cisflow it imports}, over every import statement of cisflow/**/*.py."""
    paths = {_module_name(path): path for path in (ROOT / "cisflow").rglob("*.py")}
    graph = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                targets = [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            imported.update(module for target in targets if (module := _resolved(target, paths)) not in (None, name))
        graph[name] = imported
    return graph


def import_cycles(graph):
    """The strongly connected components of more than one module (Tarjan's algorithm), each sorted."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(module):
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in graph[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while not component or component[-1] != module:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return cycles


def test_the_import_graph_reader_finds_cycles_and_relative_imports():
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []
    graph = package_imports()
    assert "cisflow.io.errors" in graph["cisflow.config.schema"] and "cisflow.encode" in graph["cisflow.io.genome"]


def test_the_package_has_no_import_cycle():
    graph = package_imports()
    cycles = [f"{' <-> '.join(cycle)}: " + "; ".join(f"{a} -> {', '.join(sorted(graph[a] & set(cycle)))}"
                                                     for a in cycle) for cycle in import_cycles(graph)]
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_io_imports_nothing_above_itself():
    """cisflow.io is the floor every stage reads files through: it imports only cisflow.io and the
    ground floor (GROUND_FLOOR), which imports nothing of cisflow but itself."""
    graph = package_imports()
    upward = [f"{module} -> {target}" for module, targets in sorted(graph.items())
              if module == "cisflow.io" or module.startswith("cisflow.io.")
              for target in sorted(targets)
              if not (target == "cisflow.io" or target.startswith("cisflow.io.") or target in GROUND_FLOOR)]
    assert not upward, "cisflow.io imports from above itself:\n" + "\n".join(upward)
    below = [f"{module} -> {target}" for module in GROUND_FLOOR for target in sorted(graph[module])
             if target not in GROUND_FLOOR]
    assert not below, "the ground floor imports from above itself:\n" + "\n".join(below)


def test_the_config_package_stands_below_the_stages():
    """cisflow.config (schema, samples sheet, settings) imports only itself, cisflow.io and the ground floor: the
    stages take its sections, so it imports none of them (their checks are cisflow.preflight's, above them)."""
    graph = package_imports()
    upward = [f"{module} -> {target}" for module, targets in sorted(graph.items())
              if module.startswith("cisflow.config") for target in sorted(targets)
              if not (target.startswith(("cisflow.config", "cisflow.io.")) or target in GROUND_FLOOR)]
    assert not upward, "cisflow.config imports from above itself:\n" + "\n".join(upward)


def test_only_the_models_package_knows_an_architectures_internals():
    """The variant stage's SNV fast path goes through cisflow.models.span_recompute, not ConvNet's blocks."""
    graph = package_imports()
    outside = [f"{module} -> {target}" for module, targets in sorted(graph.items())
               if not module.startswith("cisflow.models.") for target in sorted(targets & set(ARCHITECTURES))]
    assert not outside, "architecture modules imported outside cisflow.models:\n" + "\n".join(outside)


# --- type hints: every public function annotated (mypy, run by make test and make lint, checks them) ---

def _public_functions(tree):
    """(name, node) of the module-level functions and the methods of public classes whose names are public
    (``__init__`` counts: it is how a class is called)."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                        not item.name.startswith("_") or item.name == "__init__"):
                    yield f"{node.name}.{item.name}", item


def _unannotated(node):
    """The parameters of ``node`` without a hint (self and cls aside), and 'return' where it has none."""
    arguments = node.args
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
             *filter(None, (arguments.vararg, arguments.kwarg))]
    missing = [a.arg for a in every if a.annotation is None and a.arg not in ("self", "cls")]
    return missing + (["return"] if node.returns is None else [])


def test_every_public_function_of_the_library_is_annotated():
    missing = []
    for path in sorted((ROOT / "cisflow").rglob("*.py")):
        for name, node in _public_functions(ast.parse(path.read_text(), str(path))):
            if _unannotated(node):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name} ({', '.join(_unannotated(node))})")
    assert not missing, f"{len(missing)} public functions without full hints:\n" + "\n".join(missing)


# --- the workflow: each path written once, by the rule that makes it ---

def test_a_path_is_written_once_in_the_rule_that_makes_it():
    """Paths under results/ and resources/ appear once across rules/*.smk and never in common.smk's input
    functions: every input names the producing rule's output (rules.<rule>.output, output_of, downloaded)."""
    written = [(path.name, literal) for path in sorted((ROOT / "rules").glob("*.smk"))
               for literal in re.findall(r"""f?["']((?:results|resources)/[^"']*)["']""", path.read_text())]
    assert [literal for name, literal in written if name == "common.smk"] == []
    literals = [literal for _, literal in written]
    assert sorted({literal for literal in literals if literals.count(literal) > 1}) == []
    assert len(literals) > 20  # the rules' outputs were found
