"""Arithmetic tools of the maths action set (Calculator, Count, Define) and the helpers all share.

``Calculator`` checks the formula against the AST allow-list of ``tools/formula.py`` and evaluates it
with numexpr in float64; nothing model-written is ever ``eval``'d. Failures raise :class:`ToolError`
whose message is shown to the planner, prefixed with the action's name by ``maths_tool``.
"""

import ast
import functools
import itertools
import math
from collections.abc import Callable
from typing import TypeVar

import numexpr

from tools.errors import ToolError
from tools.formula import MAX_CHARS, format_number, normalize, parse

MAX_UNKNOWNS = 4
MAX_INPUT_CHARS = MAX_CHARS * MAX_UNKNOWNS  # each equation is further limited to MAX_CHARS per side
ELLIPSIS = ("...", "…")
OPENERS = {"(": ")", "[": "]", "{": "}"}
_Result = TypeVar("_Result", str, list[str], str | list[str])
_NUMEXPR_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//"}
_NUMEXPR_OPS |= {ast.Mod: "%", ast.Pow: "**"}
_NUMEXPR_COMPARES = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


def maths_tool(name: str) -> Callable[[Callable[[str], _Result]], Callable[[str], _Result]]:
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
                # finite, just beyond a float's range (about 1.8e308): say so, not the C error
                raise ToolError(f"{name}: a number is too large for a float (beyond about 1.8e308)") from exc
            except (RecursionError, MemoryError) as exc:
                raise ToolError(f"{name}: the formula is too complex") from exc

        return tool

    return decorate


def split_top_level(text: str, separators: str = ",") -> list[str]:
    """Split on separators outside brackets and quotes; raise ToolError when they are unbalanced."""
    pieces, openers, quote, start = [], [], "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in OPENERS:
            openers.append(char)
        elif char in ")]}":
            if not openers or OPENERS[openers.pop()] != char:
                raise ToolError(f"unmatched {char!r} in {text!r}")
        elif char in separators and not openers:
            pieces.append(text[start:i])
            start = i + 1
    if quote or openers:
        raise ToolError(f"unclosed {quote or openers[-1]!r} in {text!r}")
    pieces.append(text[start:])
    return [piece.strip() for piece in pieces]


def check_length(text: str) -> None:
    """Refuse oversized input before any regular expression runs over it."""
    if len(text) > MAX_INPUT_CHARS:
        raise ToolError(f"input is too long ({len(text)} characters, limit {MAX_INPUT_CHARS})")


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


def evaluate(text: str) -> float | bool:
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


@maths_tool("Calculator")
def calculator(args: str) -> str:
    """Evaluate an arithmetic formula such as ``28 * 1/7`` or ``(4) > (3)``."""
    return format_number(evaluate(args))


def _unwrap_brackets(text: str) -> str:
    """Return the inside of ``[...]``, ``(...)`` or ``{...}`` when one bracket pair spans the text."""
    if len(text) >= 2 and text[0] in OPENERS and text[-1] == OPENERS[text[0]]:
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
    if len(items) < 3 or items[-2] not in ELLIPSIS or items.count("...") + items.count("…") != 1:
        raise ToolError("a sequence must look like 'a, b, ..., z'")
    terms = [evaluate(item) for item in items[:-2]]
    last = evaluate(items[-1])
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


@maths_tool("Count")
def count(args: str) -> str:
    """Count the items of a list, or the terms of an arithmetic sequence ``1, 3, ..., 99``."""
    text = _unwrap_brackets(args.strip())
    items = [item for item in split_top_level(text) if item]
    if any(item in ELLIPSIS for item in items):
        return str(_sequence_length(items))
    return str(len(items))


@maths_tool("Define")
def define(args: str) -> str:
    """Pass a number or variable name through for later actions."""
    value = args.strip()
    if not value:
        raise ToolError("nothing to define")
    return value
