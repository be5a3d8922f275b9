"""The house rules that a reader checks by eye, checked by machine: import arrows and file sizes."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Dependencies flow one way: a package may import its own layer and the layers before it.
LAYERS = ["common", "models", "tools", "nodes", "domains", "graphs", "evaluation", "training", "cli"]
TOP = ["examples", "benchmarks"]  # scripts: anything below them
# Tools are handed what they need and never load models: of the model layer they see only the
# run's deadline (a context variable, no weights).
TOOLS_MAY_IMPORT_FROM_MODELS = {"models.deadline"}
MAX_LINES = 300
LONG_FILE_REASON = "Longer than 300 lines because"


def modules() -> list[Path]:
    return sorted(p for package in LAYERS + TOP for p in (ROOT / package).rglob("*.py"))


def project_imports(path: Path) -> list[str]:
    """Return the project modules a file imports, at the top or inside functions alike."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        found += [name for name in names if name.split(".")[0] in LAYERS + TOP]
    return found


def rank(package: str) -> int:
    return LAYERS.index(package) if package in LAYERS else len(LAYERS)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_arrows(path: Path) -> None:
    package = path.relative_to(ROOT).parts[0]
    for name in project_imports(path):
        target = name.split(".")[0]
        assert rank(target) <= rank(package), (
            f"{package} must not import {name} (layers: {' -> '.join(LAYERS)})"
        )
        if package == "tools" and target == "models":
            module = ".".join(name.split(".")[:2])
            assert module in TOOLS_MAY_IMPORT_FROM_MODELS, f"tools must not load models: {name}"


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from graphs.binding import resolve\n    import nodes.plan\n")
    assert project_imports(bad) == ["graphs.binding", "graphs.binding.resolve", "nodes.plan"]
    assert rank("graphs") > rank("tools")


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_long_files_say_why(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if text.count("\n") > MAX_LINES:
        docstring = ast.get_docstring(ast.parse(text)) or ""
        assert LONG_FILE_REASON in docstring, f"{path.name} has {text.count(chr(10))} lines and no reason"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Return each project module's project imports, as modules (``from pkg import sub`` is ``pkg.sub``)."""
    known = {module_name(p) for p in modules()}

    def owner(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for path in modules():
        here, targets = module_name(path), set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {owner(alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets |= {owner(f"{node.module}.{alias.name}") for alias in node.names}
        graph[here] = {t for t in targets if t is not None and t != here}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the import cycles of a module graph: its strongly connected parts of two or more modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in graph.get(module, ()):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            part = []
            while not part or part[-1] != module:
                part.append(stack.pop())
            if len(part) > 1:
                found.append(sorted(part))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_through_others() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_sees_a_cycle_inside_a_package() -> None:
    graph = {"graphs.a": {"graphs.b"}, "graphs.b": {"graphs.c"}, "graphs.c": {"graphs.a"}, "nodes.x": set()}
    assert cycles(graph) == [["graphs.a", "graphs.b", "graphs.c"]]


def test_importing_a_graph_loads_no_domain_tools() -> None:
    script = (
        "import sys, graphs.iterative, graphs.onetime, graphs.agent\n"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('selenium', 'miniwob', 'sympy', 'bm25s', 'scipy', 'llama_cpp') or m.startswith('domains.'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == []
