"""Safe arithmetic front-end shared by the maths tools: normalise, validate and format formulas.

Model-written formulas are parsed with :func:`ast.parse` and checked against an allow-list; nothing
here ever evaluates text. The tools then compute on the validated tree (numexpr or sympy).
"""

import ast
import math
import operator
import re
from collections.abc import Callable
from decimal import Decimal

from tools.errors import ToolError

MAX_CHARS = 500
MAX_NODES = 200
MAX_EXPONENT = 1000

ALLOWED = "only numbers and + - * / ** % // ( ) are"

_BINOPS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARYOPS: dict[type[ast.unaryop], Callable[[float], float]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
_COMPARES = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)
_VARIABLE = re.compile(r"R\d+")
# What the planner should read when a construct is refused; the node class name is the fallback.
_CONSTRUCTS = {
    ast.Call: "a function call",
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Lambda: "a lambda",
    ast.BoolOp: "and/or",
    ast.IfExp: "if/else",
    ast.NamedExpr: "an assignment",
    ast.Starred: "unpacking",
}

_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_DOLLAR = re.compile(r"\$(?=\s*[\d.])")
_SYMBOLS = str.maketrans({"^": "**", "×": "*", "÷": "/", "−": "-"})


def normalize(text: str) -> str:
    """Return the formula with ``^``, the times and divide signs, thousands separators and ``$`` normalised.

    ``%`` is left alone: it is modulo, guessing "percent" would silently change results.
    """
    text = text.strip().translate(_SYMBOLS)
    text = _THOUSANDS.sub("", text)
    return _DOLLAR.sub("", text)


def _snippet(node: ast.AST) -> str:
    """Return a short source rendering of a node for error messages."""
    try:
        source = ast.unparse(node)
    except (ValueError, RecursionError):  # malformed trees cannot be unparsed; the type still helps
        return type(node).__name__
    return source if len(source) <= 40 else source[:37] + "..."


def _constant_value(node: ast.expr) -> float | None:
    """Return the float value of a name-free subtree, or None if it contains names.

    Used to bound exponents: Python floats keep the arithmetic O(1) and overflow to an error
    instead of building huge integers.
    """
    if isinstance(node, ast.Constant):
        return float(node.value) if isinstance(node.value, int | float) else None
    if isinstance(node, ast.UnaryOp):
        operand = _constant_value(node.operand)
        return None if operand is None else _UNARYOPS[type(node.op)](operand)
    if isinstance(node, ast.BinOp):
        left, right = _constant_value(node.left), _constant_value(node.right)
        if left is None or right is None:
            return None
        value = _BINOPS[type(node.op)](left, right)
        if isinstance(value, complex):  # e.g. (-8) ** (1/3) in the exponent
            raise ToolError(f"exponent {_snippet(node)} is not a real number")
        return value
    if isinstance(node, ast.Compare):
        return 0.0  # a comparison is 0 or 1, well inside the limit
    return None


def _check_exponent(node: ast.expr, *, allow_names: bool) -> None:
    """Refuse exponents that could make exact arithmetic explode (``2**(2**100)``, ``9**9**9``)."""
    try:
        value = _constant_value(node)
    except ZeroDivisionError as exc:
        raise ToolError(f"division by zero in exponent {_snippet(node)}") from exc
    except OverflowError as exc:
        raise ToolError(f"exponent {_snippet(node)} is too large (limit {MAX_EXPONENT})") from exc
    if value is None:
        if not allow_names:
            raise ToolError(f"exponent {_snippet(node)} must be a number")
        return  # a symbolic exponent such as 2**x; its constant parts were checked on the way
    if math.isnan(value) or abs(value) > MAX_EXPONENT:
        raise ToolError(f"exponent {_snippet(node)} is too large (limit {MAX_EXPONENT})")


def _check(node: ast.AST, *, allow_names: bool) -> None:
    """Raise ToolError unless the node and its children are on the allow-list."""
    if isinstance(node, ast.Expression):
        _check(node.body, allow_names=allow_names)
    elif isinstance(node, ast.Constant):
        # type() rather than isinstance(): bool is an int subclass and must not pass
        if type(node.value) not in (int, float):
            raise ToolError(f"{node.value!r} is not allowed; {ALLOWED}")
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise ToolError(f"operator {_snippet(node)!r} is not allowed; {ALLOWED}")
        _check(node.left, allow_names=allow_names)
        _check(node.right, allow_names=allow_names)
        if isinstance(node.op, ast.Pow):
            _check_exponent(node.right, allow_names=allow_names)
    elif isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARYOPS:
            raise ToolError(f"operator {_snippet(node)!r} is not allowed; {ALLOWED}")
        _check(node.operand, allow_names=allow_names)
    elif isinstance(node, ast.Compare):
        if not all(isinstance(op, _COMPARES) for op in node.ops):
            raise ToolError(f"comparison in {_snippet(node)!r} is not allowed; use < <= > >= == !=")
        for operand in [node.left, *node.comparators]:
            _check(operand, allow_names=allow_names)
    elif isinstance(node, ast.Name):
        if _VARIABLE.fullmatch(node.id):
            raise ToolError(f"undefined variable {node.id}")
        if not allow_names or node.id.startswith("_"):
            raise ToolError(f"name {node.id!r} is not allowed; {ALLOWED}")
    else:
        construct = _CONSTRUCTS.get(type(node), type(node).__name__)
        raise ToolError(f"{_snippet(node)!r} is not allowed ({construct}); {ALLOWED}")


def parse(text: str, *, allow_names: bool) -> ast.Expression:
    """Parse a formula and check it against the allow-list; raise ToolError otherwise.

    With ``allow_names`` plain identifiers (unknowns such as ``x``) are accepted; unresolved Lumos
    variables (``R7``) and dunder-ish names never are.
    """
    if len(text) > MAX_CHARS:
        raise ToolError(f"formula is too long ({len(text)} characters, limit {MAX_CHARS})")
    if not text.strip():
        raise ToolError("formula is empty")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        reason = exc.msg if isinstance(exc, SyntaxError) else str(exc) or type(exc).__name__
        raise ToolError(f"{text.strip()!r} is not a valid formula: {reason}") from exc
    # ast.walk is iterative, so counting is safe before the recursive check below
    size = sum(isinstance(node, ast.expr) for node in ast.walk(tree))
    if size > MAX_NODES:
        raise ToolError(f"formula is too complex ({size} terms, limit {MAX_NODES})")
    _check(tree, allow_names=allow_names)
    return tree


def format_number(x: float | int | bool) -> str:
    """Format a result for the planner: integers without ``.0``, 10 significant digits otherwise."""
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return str(x)
    if math.isnan(x):
        raise ToolError("the result is not a number (NaN)")
    if math.isinf(x):  # a huge exact value overflowed: say so, it is not infinite
        raise ToolError("the result is too large for a float (beyond about 1.8e308)")
    nearest = round(x)
    # abs_tol swallows float noise around zero such as 0.1 + 0.2 - 0.3 = 5.6e-17
    if abs(x) < 1e21 and math.isclose(x, nearest, rel_tol=1e-9, abs_tol=1e-12):
        return str(int(nearest))
    text = f"{x:.10g}"
    if "e" in text and 1e-6 <= abs(x) < 1e21:
        text = format(Decimal(text), "f")  # 10 significant digits, spelled out without an exponent
    return text
