"""The Lumos maths action set: Calculator, SetEquation, SolveEquation, SolveInequality, Count, Define, Code.

Every tool takes the action's argument text, after the executor has substituted R-variables, and
returns a string (or a list of strings for several unknowns). Failures raise :class:`ToolError`
whose message is shown to the planner, so it says what was wrong rather than how the tool broke.
``MATHS_TOOLS`` are the plain functions; ``maths_tools(timeout_s)`` is the toolbox a run uses, in
which every tool is bounded from outside: the arithmetic and sympy tools in killable worker
processes (``tools/bounded.py``), Code in the bubblewrap sandbox (``tools/sandbox.py``).
"""

import ast
import functools
import itertools
import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import numexpr
import sympy

from models.deadline import remaining
from tools.bounded import bounded
from tools.errors import ToolError
from tools.formula import MAX_CHARS, format_number, normalize, parse
from tools.sandbox import SandboxError, run_python

if TYPE_CHECKING:  # only for annotations: tools must not import the nodes at runtime
    from nodes.context import Context

__all__ = ["MATHS_TOOLS", "ToolError", "maths_tools"]

MAX_UNKNOWNS = 4
MAX_INPUT_CHARS = MAX_CHARS * MAX_UNKNOWNS  # each equation is further limited to MAX_CHARS per side
MAX_DEGREE = 10  # sympy spends seconds on degree-12 polynomials; word problems never need them
MAX_EXACT_BITS = 100_000  # exact powers larger than this would eat memory in sympy
CODE_TIMEOUT_S = 5.0  # the Code action's own limit; a run's tool_timeout_s may lower it
CODE_MEMORY_MB = 256
DEFAULT_TOOL_TIMEOUT_S = 10.0  # Context.tool_timeout_s

_Result = TypeVar("_Result", str, list[str], str | list[str])

# A single "=" that is not part of "==", "<=", ">=" or "!=".
_ASSIGN = re.compile(r"(?<![=<>!])=(?!=)")
_AND = re.compile(r"(?<=\s)and(?=\s)")
# Identifiers are matched (and kept) first so digits inside names like x2 are never split off.
# Possessive quantifiers and the lookbehind keep long digit runs from backtracking quadratically.
_IMPLICIT = re.compile(
    r"[A-Za-z_]\w*+"
    r"|(?<![\w.])(?:\d++(?:\.\d*+)?+|\.\d++)(?:[eE][+-]?\d++)?+(?=\s*+[A-Za-z_(])"
    r"|\)(?=\s*+[\w(])"
)
_ELLIPSIS = ("...", "…")
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_SYMPY_BINOPS: dict[type[ast.operator], Callable[[sympy.Expr, sympy.Expr], sympy.Expr]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.FloorDiv: lambda a, b: sympy.floor(a / b),
    ast.Mod: lambda a, b: sympy.Mod(a, b),
}
_SYMPY_COMPARES: dict[type[ast.cmpop], Callable[[sympy.Expr, sympy.Expr], sympy.Basic]] = {
    ast.Lt: sympy.Lt,
    ast.LtE: sympy.Le,
    ast.Gt: sympy.Gt,
    ast.GtE: sympy.Ge,
    ast.Eq: sympy.Eq,
    ast.NotEq: sympy.Ne,
}
_NUMEXPR_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//"}
_NUMEXPR_OPS |= {ast.Mod: "%", ast.Pow: "**"}
_NUMEXPR_COMPARES = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


def _tool(name: str) -> Callable[[Callable[[str], _Result]], Callable[[str], _Result]]:
    """Prefix a tool's errors with its action name and turn arithmetic blow-ups into ToolError."""

    def decorate(function: Callable[[str], _Result]) -> Callable[[str], _Result]:
        @functools.wraps(function)
        def tool(args: str) -> _Result:
            try:
                return function(args)
            except ToolError as exc:
                raise ToolError(f"{name}: {exc}") from exc
            except ZeroDivisionError as exc:
                raise ToolError(f"{name}: division by zero") from exc
            except OverflowError as exc:
                raise ToolError(f"{name}: a number is too large ({exc})") from exc
            except (RecursionError, MemoryError) as exc:
                raise ToolError(f"{name}: the formula is too complex") from exc

        return tool

    return decorate


# --- shared helpers -------------------------------------------------------------------------------


def _split_top_level(text: str, separators: str = ",") -> list[str]:
    """Split on separators outside brackets and quotes; raise ToolError when they are unbalanced."""
    pieces, openers, quote, start = [], [], "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in _OPENERS:
            openers.append(char)
        elif char in ")]}":
            if not openers or _OPENERS[openers.pop()] != char:
                raise ToolError(f"unmatched {char!r} in {text!r}")
        elif char in separators and not openers:
            pieces.append(text[start:i])
            start = i + 1
    if quote or openers:
        raise ToolError(f"unclosed {quote or openers[-1]!r} in {text!r}")
    pieces.append(text[start:])
    return [piece.strip() for piece in pieces]


def _insert_multiplication(text: str) -> str:
    """Make implicit products explicit: ``2x`` -> ``2*x``, ``3(x+1)`` -> ``3*(x+1)``, ``)(`` -> ``)*(``."""

    def star(match: re.Match[str]) -> str:
        token = match.group(0)
        return token if token[0].isalpha() or token[0] == "_" else token + "*"

    return _IMPLICIT.sub(star, text)


def _check_length(text: str) -> None:
    """Refuse oversized input before any regular expression runs over it."""
    if len(text) > MAX_INPUT_CHARS:
        raise ToolError(f"input is too long ({len(text)} characters, limit {MAX_INPUT_CHARS})")


def _equations(text: str) -> list[list[str]]:
    """Split equation text into equations, each a list of one or two sides (no ``=`` means ``= 0``)."""
    _check_length(text)
    equations = []
    for piece in _split_top_level(normalize(text), ",;"):
        for part in _AND.split(piece):
            if not part.strip():
                continue
            sides = [_insert_multiplication(side).strip() for side in _ASSIGN.split(part)]
            if len(sides) > 2:
                raise ToolError(f"{part.strip()!r} has more than one '='")
            equations.append(sides)
    if not equations:
        raise ToolError("no equation given")
    return equations


def _names_in_order(tree: ast.AST) -> list[str]:
    """Return the identifiers of a parsed formula in order of appearance."""
    names = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Name)), key=lambda n: n.col_offset)
    return [n.id for n in names]


def _sympy_pow(base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
    """Return ``base ** exponent`` after refusing powers that would be huge or slow to solve."""
    if base.free_symbols and exponent.free_symbols:
        raise ToolError(f"unknowns in both base and exponent ({base}**{exponent}) are not supported")
    if base.free_symbols and exponent.is_Number and abs(exponent) > MAX_DEGREE:
        raise ToolError(f"power {exponent} of an unknown is too high (limit {MAX_DEGREE})")
    if base.is_zero and exponent.is_negative:
        raise ToolError("division by zero (0 to a negative power)")
    if base.is_number and exponent.is_Number:
        # sympy computes exact powers eagerly; estimate the size from the rationals in the base
        bits = sum(abs(r.p).bit_length() + r.q.bit_length() for r in base.atoms(sympy.Rational))
        if bits * abs(exponent) > MAX_EXACT_BITS:
            raise ToolError(f"a power is too large to compute exactly ({int(bits * abs(exponent))} bits)")
    return base**exponent


def _is_truth_value(value: sympy.Basic) -> bool:
    """Return whether a converted value is a comparison or True/False rather than a number.

    sympy's Symbol also derives from Boolean (for logic), so being an Expr decides.
    """
    return isinstance(value, sympy.logic.boolalg.Boolean) and not isinstance(value, sympy.Expr)


def _operand(node: ast.AST) -> sympy.Expr:
    """Convert an operand of arithmetic or of a comparison, which must not itself be a comparison."""
    value = _to_sympy(node)
    if _is_truth_value(value):
        raise ToolError(f"a comparison cannot be used as a number here: {ast.unparse(node)}")
    return value


def _to_sympy(node: ast.AST) -> sympy.Basic:
    """Convert a validated formula tree to sympy without ever evaluating text."""
    if isinstance(node, ast.Expression):
        return _to_sympy(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return sympy.Integer(node.value)
    if isinstance(node, ast.Constant) and isinstance(node.value, float):
        if not math.isfinite(node.value):
            raise ToolError("a number in the formula is too large")
        return sympy.Rational(repr(node.value))  # "0.1" -> 1/10 exactly, not the binary float
    if isinstance(node, ast.Name):
        return sympy.Symbol(node.id)
    if isinstance(node, ast.UnaryOp):
        operand = _operand(node.operand)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left, right = _operand(node.left), _operand(node.right)
        if isinstance(node.op, ast.Pow):
            return _sympy_pow(left, right)
        if isinstance(node.op, ast.Div | ast.FloorDiv | ast.Mod) and right.is_zero:
            raise ToolError(f"division by zero in {ast.unparse(node)}")
        if isinstance(node.op, ast.Div):
            return left / right
        return _SYMPY_BINOPS[type(node.op)](left, right)
    if isinstance(node, ast.Compare):
        operands = [_operand(node.left), *(_operand(c) for c in node.comparators)]
        pairs = zip(node.ops, operands, operands[1:], strict=False)
        try:
            relations = [_SYMPY_COMPARES[type(op)](a, b) for op, a, b in pairs]
        except TypeError as exc:  # sympy refuses to order non-real numbers such as 2*I
            raise ToolError(f"cannot compare in {ast.unparse(node)}: {exc}") from exc
        return sympy.And(*relations) if len(relations) > 1 else relations[0]
    raise ToolError(f"{type(node).__name__} is not supported")  # parse() already refused it


def _format_value(value: sympy.Basic) -> str:
    """Format a sympy number: integers exactly, everything else through a float."""
    if value.is_Integer and abs(value) < 10**21:
        return str(int(value))
    if not value.is_number:
        raise ToolError(f"{value} is not a number")
    try:
        # numerically, since sympy cannot always decide is_real for nested radicals
        real, imag = (float(part) for part in value.evalf().as_real_imag())
    except TypeError as exc:  # zoo, nan and other values with no float
        raise ToolError(f"{value} cannot be evaluated to a number") from exc
    if math.isclose(imag, 0, abs_tol=1e-12 * max(1.0, abs(real))):
        return format_number(real)
    imaginary = f"{format_number(abs(imag))}*I"
    if format_number(real) == "0":
        return imaginary if imag >= 0 else f"-{imaginary}"
    return f"{format_number(real)} {'-' if imag < 0 else '+'} {imaginary}"


# --- Calculator -----------------------------------------------------------------------------------


def _numexpr_source(node: ast.AST, *, top: bool = False) -> str:
    """Re-emit a validated tree for numexpr, every constant a float literal (float64, true division)."""
    if isinstance(node, ast.Expression):
        return _numexpr_source(node.body, top=True)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        try:
            value = float(node.value)
        except OverflowError:
            value = math.inf
        if not math.isfinite(value):
            raise ToolError("a number in the formula is too large for a float")
        return repr(value)
    if isinstance(node, ast.UnaryOp):
        sign = "-" if isinstance(node.op, ast.USub) else "+"
        return f"({sign}{_numexpr_source(node.operand)})"
    if isinstance(node, ast.BinOp):
        left, right = _numexpr_source(node.left), _numexpr_source(node.right)
        return f"({left} {_NUMEXPR_OPS[type(node.op)]} {right})"
    if isinstance(node, ast.Compare):
        operands = [_numexpr_source(node.left), *(_numexpr_source(c) for c in node.comparators)]
        pairs = zip(node.ops, operands, operands[1:], strict=False)
        chain = " & ".join(f"({a} {_NUMEXPR_COMPARES[type(op)]} {b})" for op, a, b in pairs)
        # numexpr cannot do arithmetic on booleans, so nested comparisons count as 1.0 / 0.0
        return chain if top else f"where({chain}, 1.0, 0.0)"
    raise ToolError(f"{type(node).__name__} is not supported")  # parse() already refused it


def _evaluate(text: str) -> float | bool:
    """Evaluate an arithmetic formula in float64 and return a Python number."""
    tree = parse(normalize(text), allow_names=False)
    source = _numexpr_source(tree)
    try:
        result = numexpr.evaluate(source, local_dict={}, global_dict={}).item()
    except (KeyError, TypeError, ValueError, NotImplementedError, SyntaxError) as exc:
        raise ToolError(f"numexpr could not evaluate {text.strip()!r}: {exc}") from exc
    if isinstance(result, complex):
        raise ToolError("result is not a real number")
    if isinstance(result, float) and math.isinf(result):
        raise ToolError("result is too large (overflow)")
    return bool(result) if isinstance(result, bool) else float(result)


@_tool("Calculator")
def calculator(args: str) -> str:
    """Evaluate an arithmetic formula such as ``28 * 1/7`` or ``(4) > (3)``."""
    return format_number(_evaluate(args))


# --- equations ------------------------------------------------------------------------------------


@_tool("SetEquation")
def set_equation(args: str) -> str:
    """Validate one or more equations and return them for a later SolveEquation."""
    for sides in _equations(args):
        for side in sides:
            parse(side, allow_names=True)
    return normalize(args)


def _rank(solution: dict[sympy.Symbol, sympy.Basic]) -> tuple[bool, bool]:
    """Sort key preferring real, then non-negative solutions (word problems count things)."""
    values = list(solution.values())
    real = all(v.is_real for v in values)
    non_negative = real and all(v.is_nonnegative for v in values)
    return (not real, not non_negative)


def _equation_expression(sides: list[str]) -> tuple[sympy.Expr, list[str]]:
    """Convert one equation to ``lhs - rhs`` and return it with its unknowns in order of appearance."""
    trees = [parse(side, allow_names=True) for side in sides]
    converted = [_to_sympy(tree) for tree in trees]
    if len(converted) == 1 and isinstance(converted[0], sympy.Eq):  # `x == 3` written Python style
        converted = [converted[0].lhs, converted[0].rhs]
    if any(_is_truth_value(c) for c in converted):
        raise ToolError(
            f"{' = '.join(sides)!r} is not an equation like 'lhs = rhs'; use SolveInequality for inequalities"
        )
    expression = converted[0] - converted[1] if len(converted) == 2 else converted[0]
    if expression.has(sympy.zoo, sympy.nan, sympy.oo):
        raise ToolError(f"{' = '.join(sides)!r} contains an infinite or undefined value")
    return expression, [name for tree in trees for name in _names_in_order(tree)]


def _check_degree(expression: sympy.Expr, unknowns: list[sympy.Symbol]) -> None:
    """Refuse polynomials of high degree, which sympy may take many seconds to solve."""
    polynomial = expression.as_poly(*unknowns)
    if polynomial is not None and polynomial.total_degree() > MAX_DEGREE:
        raise ToolError(f"the equation has degree {polynomial.total_degree()} (limit {MAX_DEGREE})")


def _message(exc: Exception) -> str:
    """Return an exception's message on one line (sympy's span several)."""
    return " ".join(str(exc).split()) or type(exc).__name__


@_tool("SolveEquation")
def solve_equation(args: str) -> list[str]:
    """Solve equations like ``2*x + y = 10, x - y = 2``; return the unknowns' values in order."""
    expressions, names = [], []
    for sides in _equations(args):
        expression, found = _equation_expression(sides)
        expressions.append(expression)
        names += found
    unknowns = [sympy.Symbol(name) for name in dict.fromkeys(names)]
    if not unknowns:
        raise ToolError("no unknowns to solve for")
    if len(unknowns) > MAX_UNKNOWNS:
        raise ToolError(f"too many unknowns ({len(unknowns)}, limit {MAX_UNKNOWNS})")
    if len(expressions) < len(unknowns):
        # underdetermined systems have no single answer, and sympy can spend minutes finding that out
        raise ToolError(
            f"{len(unknowns)} unknowns ({', '.join(map(str, unknowns))}) but only {len(expressions)} "
            "equation(s); infinitely many solutions"
        )
    for expression in expressions:
        _check_degree(expression, unknowns)
    if all(sympy.expand(e) == 0 for e in expressions):
        raise ToolError("the equation holds for every value (infinitely many solutions)")
    try:
        # A lone equation goes in bare: sympy returns [] for a quintic given as a one-item list.
        solutions = sympy.solve(expressions[0] if len(expressions) == 1 else expressions, unknowns, dict=True)
    except Exception as exc:  # sympy raises a zoo of types (NotImplementedError, PolynomialError, ...)
        raise ToolError(f"could not solve {args.strip()!r}: {_message(exc)}") from exc
    if not solutions:
        raise ToolError("no solution")
    complete = [s for s in solutions if all(u in s and not s[u].free_symbols for u in unknowns)]
    if not complete:
        raise ToolError("infinitely many solutions (not enough equations for the unknowns)")
    best = sorted(complete, key=_rank)[0]
    return [_format_value(best[u]) for u in unknowns]


def _interval_text(interval: sympy.Interval, name: str) -> str:
    """Spell an interval as a readable inequality (``x > 3``, ``-2 < x <= 2``)."""
    low, high = interval.start, interval.end
    lower = "<" if interval.left_open else "<="
    upper = "<" if interval.right_open else "<="
    if low == -sympy.oo and high == sympy.oo:
        return f"{name} is any real number"
    if low == -sympy.oo:
        return f"{name} {upper} {_format_value(high)}"
    if high == sympy.oo:
        return f"{name} {'>' if interval.left_open else '>='} {_format_value(low)}"
    return f"{_format_value(low)} {lower} {name} {upper} {_format_value(high)}"


def _set_text(solution: sympy.Set, name: str) -> str:
    """Spell a solution set of one unknown as readable text."""
    if solution == sympy.S.EmptySet:
        raise ToolError("no solution")
    if solution == sympy.S.Reals:
        return f"{name} is any real number"
    if isinstance(solution, sympy.Interval):
        return _interval_text(solution, name)
    if isinstance(solution, sympy.FiniteSet):
        return " or ".join(f"{name} = {_format_value(v)}" for v in solution.args)
    if isinstance(solution, sympy.Union):
        return " or ".join(_set_text(part, name) for part in solution.args)
    return str(solution)


@_tool("SolveInequality")
def solve_inequality(args: str) -> str:
    """Solve one inequality in one unknown, e.g. ``3*x + 2 > 11`` gives ``x > 3``."""
    _check_length(args)
    text = _insert_multiplication(normalize(args))
    if _ASSIGN.search(text):
        raise ToolError(f"{args.strip()!r} is an equation, not an inequality; use SolveEquation")
    tree = parse(text, allow_names=True)
    unknowns = list(dict.fromkeys(_names_in_order(tree)))
    if len(unknowns) != 1:
        raise ToolError(f"expected exactly one unknown, found {len(unknowns)}")
    relation = _to_sympy(tree)
    relations = relation.args if isinstance(relation, sympy.And) else (relation,)
    if not all(isinstance(r, sympy.Rel) for r in relations):
        raise ToolError(f"{args.strip()!r} is not an inequality (expected e.g. 3*x + 2 > 11)")
    symbol = sympy.Symbol(unknowns[0])
    solution: sympy.Set = sympy.S.Reals
    try:
        for r in relations:
            solution = solution.intersect(sympy.solve_univariate_inequality(r, symbol, relational=False))
    except Exception as exc:  # sympy raises a zoo of types (NotImplementedError, PolynomialError, ...)
        raise ToolError(f"could not solve {args.strip()!r}: {_message(exc)}") from exc
    return _set_text(solution, unknowns[0])


# --- Count, Define, Code --------------------------------------------------------------------------


def _unwrap_brackets(text: str) -> str:
    """Return the inside of ``[...]``, ``(...)`` or ``{...}`` when one bracket pair spans the text."""
    if len(text) >= 2 and text[0] in _OPENERS and text[-1] == _OPENERS[text[0]]:
        depth = 0
        for i, char in enumerate(text):
            depth += char == text[0]
            depth -= char == text[-1]
            if depth == 0 and i < len(text) - 1:
                return text  # e.g. "(1) + (2)": the first pair closes early
        return text[1:-1]
    return text


def _sequence_length(items: list[str]) -> int:
    """Count the terms of an arithmetic sequence written ``a, b, ..., z`` (or ``a, ..., z``)."""
    if len(items) < 3 or items[-2] not in _ELLIPSIS or items.count("...") + items.count("…") != 1:
        raise ToolError("a sequence must look like 'a, b, ..., z'")
    terms = [_evaluate(item) for item in items[:-2]]
    last = _evaluate(items[-1])
    first = terms[0]
    if len(terms) == 1:
        step = 1.0 if last >= first else -1.0
    else:
        step = terms[1] - terms[0]
        for a, b in itertools.pairwise(terms[1:]):
            if not math.isclose(b - a, step, rel_tol=1e-9, abs_tol=1e-9):
                raise ToolError(f"{', '.join(items[:-2])} is not an arithmetic sequence")
    if step == 0:
        raise ToolError("a sequence needs a non-zero step")
    length = (last - first) / step + 1
    if length < 0 or not math.isclose(length, round(length), abs_tol=1e-9):
        raise ToolError(f"{items[-1]} is not reached from {items[0]} in steps of {format_number(step)}")
    return round(length)


@_tool("Count")
def count(args: str) -> str:
    """Count the items of a list, or the terms of an arithmetic sequence ``1, 3, ..., 99``."""
    text = _unwrap_brackets(args.strip())
    items = [item for item in _split_top_level(text) if item]
    if any(item in _ELLIPSIS for item in items):
        return str(_sequence_length(items))
    return str(len(items))


@_tool("Define")
def define(args: str) -> str:
    """Pass a number or variable name through for later actions."""
    value = args.strip()
    if not value:
        raise ToolError("nothing to define")
    return value


def _strip_fences(source: str) -> str:
    """Drop a Markdown code fence around model-written code (```python ... ```)."""
    lines = source.strip().splitlines()
    if lines and lines[0].startswith("```"):
        lines = lines[1:]
        if lines and lines[-1].strip() == "```":
            lines = lines[:-1]
    return "\n".join(lines)


def run_code(args: str, timeout_s: float = CODE_TIMEOUT_S) -> str:
    """Run model-written Python in the sandbox and return what it printed."""
    source = _strip_fences(args)
    if not source.strip():
        raise ToolError("no code given")
    left = remaining()
    limit = min(timeout_s, CODE_TIMEOUT_S) if left is None else min(timeout_s, CODE_TIMEOUT_S, left)
    if limit <= 0:
        raise ToolError("not run, the run's wall-clock budget is spent")
    try:
        return run_python(source, timeout_s=limit, memory_mb=CODE_MEMORY_MB)
    except SandboxError as exc:
        raise ToolError(str(exc)) from exc


code = _tool("Code")(run_code)

MATHS_TOOLS: dict[str, Callable[[str], str | list[str]]] = {
    "Calculator": calculator,
    "SetEquation": set_equation,
    "SolveEquation": solve_equation,
    "SolveInequality": solve_inequality,
    "Count": count,
    "Define": define,
    "Code": code,
}
_IN_PROCESS = {"Define"}  # returns its argument: nothing to bound


def maths_tools(timeout_s: float = DEFAULT_TOOL_TIMEOUT_S) -> dict[str, Callable[[str], str | list[str]]]:
    """Return the maths toolbox of one run, every tool call bounded by ``timeout_s`` of wall clock."""
    tools: dict[str, Callable[[str], str | list[str]]] = {
        name: tool if name in _IN_PROCESS else bounded(name, tool, timeout_s)
        for name, tool in MATHS_TOOLS.items()
        if name != "Code"
    }
    tools["Code"] = _tool("Code")(functools.partial(run_code, timeout_s=timeout_s))
    return tools


class MathsTools:
    """The maths domain's toolbox factory: a run's ``tool_timeout_s`` bounds each call."""

    actions = frozenset(MATHS_TOOLS)

    def __call__(self, context: "Context") -> dict[str, Callable[[str], str | list[str]]]:
        """Return the toolbox for one run."""
        return maths_tools(context.tool_timeout_s)
