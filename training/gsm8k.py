"""Deterministic annotations from GSM8K's worked solutions (``<<expr=value>>`` calculator steps).

Each solution line with calculator annotations becomes one subgoal: the line itself with each
computed value taken out (``Natalia sold 48/2 = <<48/2=24>>24 clips in May.`` gives ``Natalia sold
48/2 clips in May.``), so the planner learns to say what to compute and not its result. Each
annotation becomes one ``Calculator`` action on its expression, where a number that an earlier step
computed (and that the question does not state) is replaced by that step's R-variable:
``48+24`` after ``R1 = Calculator(48 / 2)`` becomes ``R2 = Calculator(48 + R1)``. A calculation the
solution shows without an annotation (``260 - 60 = 200``, often the last step) is read the same way.
"""

import ast
import math
import re
from collections.abc import Mapping
from typing import Any

from evaluation.metrics import gold_number
from training.records import Record

ANNOTATION = re.compile(r"<<(?P<expr>[^<>=]*)=(?P<value>[^<>=]*)>>")
# an annotation with what the solution shows around it: "48/2 = <<48/2=24>>24", "= $<<12/60=0.2>>0.2"
_SHOWN = re.compile(
    r"(?P<eq>\s*=\s*)?(?P<unit>[$€£]?)\s*<<(?P<expr>[^<>=]*)=(?P<value>[^<>=]*)>>"
    r"(?P<shown>-?\d[\d,]*(?:\.\d+)?|-?\.\d+)?"
)
# a shown result without an annotation: "= 200", "= $20.50"; the formula is the text before it
_EQUALS_VALUE = re.compile(r"=\s*[$€£]?\s*(?P<value>-?\d[\d,]*(?:\.\d+)?)(?![\d,]*<<)")
_FORMULA_CHARS = frozenset("0123456789.,$€£ ()+-*/x×÷")
_TIMES = re.compile(r"(?<=[\d)\s])[x×](?=[\s\d(.])")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?|\.\d+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,;:!?])")
_WORD = re.compile(r"[A-Za-z]{2,}")


class ConversionError(ValueError):
    """A GSM8K solution cannot be turned into an annotation; the message says why."""


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def question_numbers(question: str) -> set[float]:
    """Return the numbers a question states (thousands commas removed)."""
    return {float(n.replace(",", "")) for n in _NUMBER.findall(question)}


def _arithmetic(expr: str) -> bool:
    try:
        tree = ast.parse(expr, mode="eval").body
    except SyntaxError:
        return False
    leaves_are_numbers = all(
        isinstance(node, ast.BinOp | ast.UnaryOp | ast.operator | ast.unaryop)
        or (isinstance(node, ast.Constant) and isinstance(node.value, int | float))
        for node in ast.walk(tree)
    )
    return isinstance(tree, ast.BinOp) and leaves_are_numbers


def _equals(expr: str, value: str) -> bool:
    from tools.errors import ToolError
    from tools.maths import calculator  # the safe evaluator the agent uses; sympy is slow to import

    try:
        result = float(calculator(expr))
    except (ToolError, ValueError):
        return False
    return math.isclose(result, float(value), rel_tol=1e-6, abs_tol=1e-9)


def annotate_shown(line: str) -> str:
    """Return a line with each unannotated shown calculation (``260 - 60 = 200``) annotated.

    Only calculations whose formula evaluates to the value shown are annotated, so a wrong value in
    the solution never becomes an R-variable's value.
    """
    if "<<" in line:
        return line
    for match in reversed(list(_EQUALS_VALUE.finditer(line))):
        start = match.start()
        while start > 0 and line[start - 1] in _FORMULA_CHARS:
            start -= 1
        raw = line[start : match.start()]
        first = next((i for i, ch in enumerate(raw) if ch.isdigit() or ch in "(."), None)
        if first is None:
            continue
        expr = _TIMES.sub("*", raw[first:]).translate(str.maketrans("", "", "$€£,")).replace("÷", "/")
        value = match["value"].replace(",", "")
        if _arithmetic(expr.strip()) and _equals(expr.strip(), value):
            at = match.start("value")
            line = f"{line[:at]}<<{expr.strip()}={value}>>{line[at:]}"
    return line


def subgoal_text(line: str) -> str:
    """Return a solution line as a subgoal: computed values taken out, expressions kept."""

    def keep_expression(match: re.Match[str]) -> str:
        return "" if match["eq"] else f" {match['unit']}{match['expr'].strip()}"

    text = _SHOWN.sub(keep_expression, line)
    text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", " ".join(text.split())).strip(" ,;:")
    if len(_WORD.findall(text)) < 2:  # a bare formula such as "48/2" is no subgoal on its own
        text = f"Calculate {text}"
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def formula(expr: str, earlier: Mapping[str, float], stated: set[float]) -> str:
    """Return a Calculator formula for an annotation's expression, earlier results as R-variables.

    ``earlier`` maps variables to the values their steps computed, oldest first; a number equal
    to one of them (the latest wins) becomes that variable unless the question states it.
    """
    try:
        tree = ast.parse(expr.strip(), mode="eval")  # parsed, never evaluated
    except SyntaxError as err:
        raise ConversionError(f"annotation {expr!r} is not an arithmetic expression") from err

    class ToVariables(ast.NodeTransformer):
        def visit_Constant(self, node: ast.Constant) -> Any:
            value = node.value
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConversionError(f"annotation {expr!r} holds a non-number {value!r}")
            if value in stated:
                return node
            for name in reversed(list(earlier)):
                if math.isclose(earlier[name], value, rel_tol=1e-9, abs_tol=1e-12):
                    return ast.Name(id=name, ctx=ast.Load())
            return node

    return ast.unparse(ToVariables().visit(tree))


def convert(row: Mapping[str, Any]) -> Record:
    """Return the annotation of one GSM8K row (``id``, ``question``, ``answer``), or raise ConversionError."""
    solution, _, gold = str(row["answer"]).partition("####")
    if not gold.strip():
        raise ConversionError("the solution has no `#### answer`")
    stated = question_numbers(row["question"])
    subgoals: list[str] = []
    actions: list[list[str]] = []
    results: list[str] = []
    earlier: dict[str, float] = {}
    for line in map(annotate_shown, solution.strip().splitlines()):
        steps = list(ANNOTATION.finditer(line))
        if not steps:
            continue  # narration without a computation
        step_actions = []
        for step in steps:
            variable = f"R{len(earlier) + 1}"
            step_actions.append(f"{variable} = Calculator({formula(step['expr'], earlier, stated)})")
            value = _number(step["value"])
            earlier[variable] = value if value is not None else math.nan
        subgoals.append(subgoal_text(line))
        actions.append(step_actions)
        results.append(steps[-1]["value"].strip())
    if not subgoals:
        raise ConversionError("the solution has no <<expr=value>> annotations")
    return Record(
        id=str(row.get("id", "")),
        domain="maths",
        task=str(row["question"]).strip(),
        subgoals=subgoals,
        actions=actions,
        results=results,
        answer=gold_number(gold),
        solution=str(row["answer"]).strip(),
        source="gsm8k-steps",
    )
