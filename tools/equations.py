"""Equation tools of the maths action set: SetEquation, SolveEquation and SolveInequality, with sympy.

Equations and inequalities are built into sympy objects from the validated AST of
``tools/formula.py`` (never with ``sympify``/``parse_expr``, which call ``eval``), with limits on
unknowns, degree and the size of exact powers. sympy can still take minutes on some inputs, so a
run calls these tools in killable worker processes (``tools/bounded.py``).

Longer than 300 lines because the AST-to-sympy conversion and the three tools share one set of
limits and helpers, which read best together.
"""

import ast
import math
import re
from collections.abc import Callable

import sympy

from tools.arithmetic import MAX_UNKNOWNS, check_length, maths_tool, split_top_level
from tools.errors import ToolError
from tools.formula import format_number, normalize, parse
from tools.roots import is_real, numeric_root

MAX_DEGREE = 10  # sympy spends seconds on degree-12 polynomials; word problems never need them
MAX_EXACT_BITS = 100_000  # exact powers larger than this would eat memory in sympy
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


def _insert_multiplication(text: str) -> str:
    """Make implicit products explicit: ``2x`` -> ``2*x``, ``3(x+1)`` -> ``3*(x+1)``, ``)(`` -> ``)*(``."""

    def star(match: re.Match[str]) -> str:
        token = match.group(0)
        return token if token[0].isalpha() or token[0] == "_" else token + "*"

    return _IMPLICIT.sub(star, text)


def _equations(text: str) -> list[list[str]]:
    """Split equation text into equations, each a list of one or two sides (no ``=`` means ``= 0``)."""
    check_length(text)
    equations = []
    for piece in split_top_level(normalize(text), ",;"):
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


@maths_tool("SetEquation")
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


@maths_tool("SolveEquation")
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
    if not solutions:  # a contradiction, or no closed form (tools/roots.py)
        return numeric_root(expressions, unknowns, args)
    complete = [s for s in solutions if all(u in s and not s[u].free_symbols for u in unknowns)]
    if not complete:
        raise ToolError("infinitely many solutions (not enough equations for the unknowns)")
    if not any(all(is_real(s[u]) for u in unknowns) for s in complete):
        shown = " or ".join(", ".join(f"{u} = {_format_value(s[u])}" for u in unknowns) for s in complete[:4])
        raise ToolError(f"no real solution (the complex ones: {shown})")
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


@maths_tool("SolveInequality")
def solve_inequality(args: str) -> str:
    """Solve one inequality in one unknown, e.g. ``3*x + 2 > 11`` gives ``x > 3``."""
    check_length(args)
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
