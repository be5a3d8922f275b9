"""The house rules that a reader checks by eye, checked by machine: import arrows and file sizes."""

import ast
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
