"""What SolveEquation says when sympy finds no exact real solution: numeric roots, complex ones, or why.

sympy's ``solve`` returns nothing both for a contradiction (``x + y = 1, x + y = 2``) and for a
system it has no closed form for (``x**5 + y**5 = 2, x**5 - y**4 = 1``, which has a real root).
Only the first is "no solution"; the second gets a numeric root (``nsolve``) from a few starting
points, or says that none was found rather than that none exists.
"""

import sympy

from tools.errors import ToolError
from tools.formula import format_number

STARTS = (1.0, 0.5, 2.0, -1.0, 0.1, 10.0, -10.0)  # where nsolve looks from, in turn
REAL_TOLERANCE = 1e-9


def is_linear(expression: sympy.Expr, unknowns: list[sympy.Symbol]) -> bool:
    """Return whether an equation (``lhs - rhs``) is linear in the unknowns."""
    try:
        return bool(sympy.Poly(expression, *unknowns).total_degree() <= 1)
    except sympy.PolynomialError:
        return False


def numeric_root(expressions: list[sympy.Expr], unknowns: list[sympy.Symbol], text: str) -> list[str]:
    """Return the unknowns' values at a real root found numerically, or raise ToolError saying none was."""
    if all(is_linear(e, unknowns) for e in expressions):
        raise ToolError("no solution: the equations contradict each other")
    single = len(unknowns) == 1
    if single and len(expressions) == 1 and proven_empty(expressions[0], unknowns[0]):
        raise ToolError("no solution")
    for start in STARTS:
        try:
            root = sympy.nsolve(
                expressions[0] if single else expressions,
                unknowns[0] if single else unknowns,
                start if single else [start] * len(unknowns),
            )
        except (ValueError, ZeroDivisionError, TypeError, ArithmeticError):
            continue  # no convergence from here
        values = [root] if single else list(root)
        parts = [complex(v) for v in values]
        if all(abs(p.imag) <= REAL_TOLERANCE * max(1.0, abs(p.real)) for p in parts):
            return [format_number(p.real) for p in parts]
    raise ToolError(
        f"no closed-form solution of {text.strip()!r} found, and no real root near the starting points "
        f"tried ({', '.join(f'{s:g}' for s in STARTS)})"
    )


def proven_empty(expression: sympy.Expr, unknown: sympy.Symbol) -> bool:
    """Return whether sympy proves that one equation in one unknown has no real solution (``1/x = 0``)."""
    try:
        return bool(sympy.solveset(expression, unknown, domain=sympy.S.Reals) == sympy.S.EmptySet)
    except Exception:  # sympy raises a zoo of types; undecided is not empty
        return False


def is_real(value: sympy.Basic) -> bool:
    """Return whether a solution value is real (numerically, as sympy cannot always decide)."""
    real, imag = (float(part) for part in value.evalf().as_real_imag())
    return abs(imag) <= REAL_TOLERANCE * max(1.0, abs(real))
