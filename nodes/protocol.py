"""The Lumos text protocol: subgoal lines, stop signal, action lists, variables (parse and render).

This is the only module that knows how Lumos modules write their outputs. Everything here is a pure
function of strings; renderers are the inverses of the parsers so that state can be fed back to the
models in the exact text they were trained on. Reading a final answer out of free text (the
baselines) is ``nodes/extraction.py``; the integrated baseline's format is ``nodes/integrated.py``.
"""

import re
from collections.abc import Mapping

from typing_extensions import TypedDict

STOP_SIGNAL = "Yes, I will stop planning"  # substring check, as Lumos's eval does
STOP_LINE = "Yes, I will stop planning."
KEEP_PLANNING = "No, I will keep planning."
OUTPUT = "Output"  # Lumos maths onetime may assign the final answer to `Output`
ERROR_PREFIX = "Error: "  # an observation that reports a failed action, as Lumos shows it
REASONING = "Reasoning: "  # instruct profile, --plan-reasoning: the planner's sketch line before its plan

VARIABLE = re.compile(r"\bR\d+\b")  # \b keeps R1 from matching inside R10
SUBGOAL_HEAD = re.compile(r"Subgoal\s*(\d+)\s*:\s*")
_ASSIGNMENT = re.compile(r"^\s*(?P<outputs>R\d+(?:\s*,\s*R\d+)*|Output)\s*=\s*(?P<rhs>.*?)\s*$", re.S)
_CALL_HEAD = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s*\(")
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_ARITHMETIC = set("*/+-^")
CALCULATOR = "Calculator"
_FORMULA_TEXT = re.compile(r"[\d\s.+\-*/^%()R]+")  # numbers, R-variables, operators, parentheses


class ParseError(ValueError):
    """A module's output does not follow the Lumos format; `.text` holds the raw output."""

    def __init__(self, message: str, text: str) -> None:
        super().__init__(f"{message}: {text!r}")
        self.reason = message
        self.text = text


class UndefinedVariableError(LookupError):
    """An action refers to an R-variable that no earlier action assigned."""


class Action(TypedDict):
    """One grounded action, e.g. ``R2 = Calculator(28 - R1)``; ``name`` is "" for ``R3 = R2``."""

    outputs: list[str]
    name: str
    args: str


# --- planning -----------------------------------------------------------------------------------


def is_stop(text: str) -> bool:
    """Return whether a planner output is the stop signal."""
    return STOP_SIGNAL in text


def parse_subgoals(text: str) -> list[str]:
    """Return the subgoal descriptions in a planner output (one for Lumos-I, all for Lumos-O).

    ``"No, I will keep planning. Subgoal 2: Add the totals."`` gives ``["Add the totals."]``.
    Anything before the first ``Subgoal k:`` is ignored (untuned models sometimes prepend chatter).
    """
    heads = list(SUBGOAL_HEAD.finditer(text))
    if not heads:
        raise ParseError("expected `Subgoal k: ...` or `Yes, I will stop planning.`", text)
    subgoals = []
    for head, nxt in zip(heads, [*heads[1:], None], strict=True):
        end = nxt.start() if nxt else len(text)
        description = text[head.end() : end].strip().removesuffix(";").strip()
        if not description:
            raise ParseError(f"Subgoal {head.group(1)} is empty", text)
        subgoals.append(description)
    return subgoals


def split_reasoning(text: str) -> tuple[str | None, str]:
    r"""Split a planner output into its ``Reasoning: ...`` sketch line (None if absent) and the plan.

    ``"Reasoning: 48 / 2 = 24 ...\nSubgoal 1: ..."`` gives ``("48 / 2 = 24 ...", "Subgoal 1: ...")``.
    """
    stripped = text.lstrip()
    if not stripped.startswith(REASONING):
        return None, text
    sketch, _, plan = stripped[len(REASONING) :].partition("\n")
    return sketch.strip(), plan


def render_reasoning(reasoning: str, plan: str) -> str:
    """Render a planner output with its sketch line first (the inverse of ``split_reasoning``)."""
    return f"{REASONING}{reasoning}\n{plan}"


def render_subgoal(index: int, description: str) -> str:
    """Render ``Subgoal k: description`` as the planner writes it."""
    return f"Subgoal {index}: {description}"


def render_plan_step(index: int, description: str) -> str:
    """Render one Lumos-I planner turn (the first has no "keep planning" prefix)."""
    line = render_subgoal(index, description)
    return line if index == 1 else f"{KEEP_PLANNING} {line}"


def render_plan(descriptions: list[str], first: int = 1) -> str:
    """Render a Lumos-O plan: all subgoals on one line joined by ``; ``, numbered from ``first``."""
    return "; ".join(render_subgoal(k, d) for k, d in enumerate(descriptions, start=first))


# --- grounding ----------------------------------------------------------------------------------


def _split_top_level(text: str, separator: str = ";") -> list[str]:
    """Split on separators outside parentheses/brackets; unbalanced text stays in one piece."""
    pieces, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        elif char == separator and depth == 0:
            pieces.append(text[start:i])
            start = i + 1
    pieces.append(text[start:])
    return [p.strip() for p in pieces if p.strip()]


def _matching_paren(text: str, open_index: int) -> int:
    """Return the index of the parenthesis closing the one at ``open_index``, or -1."""
    depth = 0
    for i in range(open_index, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def parse_action(text: str, *, statements: bool = False) -> Action:
    """Parse one assignment: ``R1 = Name(args)``, ``R5, R6 = Name(args)`` or ``R3 = R2``.

    With ``statements`` (a domain whose actions are statements, as SQL's ``R1 = SHOW TABLES``)
    the right-hand side is kept whole as a nameless action, for the domain's statement tool.
    """
    match = _ASSIGNMENT.match(text)
    if not match:
        raise ParseError("expected an assignment like `R1 = Calculator(2 + 3)`", text)
    outputs = [v.strip() for v in match["outputs"].split(",")]
    if statements:
        if not match["rhs"].strip():
            raise ParseError("expected a statement after `=`", text)
        return Action(outputs=outputs, name="", args=match["rhs"].strip())
    rhs = match["rhs"].rstrip(".").rstrip()
    if VARIABLE.fullmatch(rhs):
        return Action(outputs=outputs, name="", args=rhs)
    call = _CALL_HEAD.match(rhs)
    if not call:
        raise ParseError("expected an action call `Name(args)` or a passthrough `Rk = Rj`", text)
    close = _matching_paren(rhs, call.end() - 1)
    if close == -1:
        raise ParseError("unbalanced parentheses", text)
    if rhs[close + 1 :].strip():
        if formula := inline_calculator(rhs):
            return Action(outputs=outputs, name=CALCULATOR, args=formula)
        raise ParseError("unexpected text after the action's closing parenthesis", text)
    return Action(outputs=outputs, name=call["name"], args=rhs[call.end() : close].strip())


def inline_calculator(rhs: str) -> str | None:
    """Rewrite arithmetic over Calculator calls (``Calculator(9 * 3) + Calculator(8) / 2``) as one formula.

    Small models often write the whole computation around the call; ``Calculator(a) + b`` means
    ``Calculator((a) + b)``, so the rewrite keeps the meaning. Anything else returns None.
    """
    pieces, i = [], 0
    while (start := rhs.find(f"{CALCULATOR}(", i)) != -1:
        close = _matching_paren(rhs, start + len(CALCULATOR))
        if close == -1:
            return None
        pieces += [rhs[i:start], "(", rhs[start + len(CALCULATOR) + 1 : close], ")"]
        i = close + 1
    formula = "".join([*pieces, rhs[i:]]).strip()
    return formula if pieces and _FORMULA_TEXT.fullmatch(formula) else None


def parse_actions(text: str, *, drop_unfinished: bool = False, statements: bool = False) -> list[Action]:
    """Parse a grounder output: assignments separated by ``; ``.

    With ``drop_unfinished`` a last action that does not parse is dropped when others come before
    it: an output decoded under the grounder grammar fails to parse only when the token limit cut
    it short (a model repeating itself), and the actions before the cut are whole.
    """
    pieces = _split_top_level(text.strip())
    if not pieces:
        raise ParseError("expected at least one action", text)
    actions = [parse_action(piece, statements=statements) for piece in pieces[:-1]]
    try:
        actions.append(parse_action(pieces[-1], statements=statements))
    except ParseError:
        if not (drop_unfinished and actions):
            raise
    return actions


def render_action(action: Action) -> str:
    """Render an action back to the grounder's text."""
    lhs = ", ".join(action["outputs"])
    rhs = action["args"] if not action["name"] else f"{action['name']}({action['args']})"
    return f"{lhs} = {rhs}"


def render_actions(actions: list[Action]) -> str:
    """Render an action list as one grounder line."""
    return "; ".join(render_action(a) for a in actions)


# --- variables ----------------------------------------------------------------------------------


def split_argument(args: str, keyword: str) -> tuple[str, str]:
    """Split ``R1, Query: text`` into ``("R1", "text")``: the context part and the keyword's value.

    Lumos splits on ``", {keyword}: "``; small models often drop the keyword, so without it the
    text after the first top-level comma is the value. Raises ParseError when there is no value.
    """
    head, marker, value = args.partition(f", {keyword}:")
    if not marker:
        head, marker, value = args.partition(f"{keyword}:")
    if not marker:
        pieces = _split_top_level(args, ",")
        head, value = (pieces[0], ", ".join(pieces[1:])) if len(pieces) > 1 else ("", args)
    if not value.strip():
        raise ParseError(f"expected `context, {keyword}: ...`", args)
    return head.strip().rstrip(","), value.strip()


def is_number(text: str) -> bool:
    """Return whether a value is a plain number (so it can be wrapped in parentheses)."""
    return bool(_NUMBER.match(text.strip()))


def variable_index(name: str) -> int:
    """Return k for ``Rk`` (``Output`` sorts after every Rk)."""
    return 10**9 if name == OUTPUT else int(name[1:])


def substitute(args: str, memory: Mapping[str, str]) -> str:
    """Replace R-variables in action arguments by their values, as Lumos's maths executor does.

    In arithmetic, numeric values are wrapped in parentheses so ``28 - R1`` with ``R1 = -4``
    becomes ``28 - (-4)``; elsewhere values are inserted as they are. Matching whole tokens means
    ``R1`` never replaces the prefix of ``R10``.
    """
    arithmetic = bool(_ARITHMETIC & set(VARIABLE.sub("", args)))

    def value(match: re.Match[str]) -> str:
        name = match.group(0)
        if name not in memory:
            raise UndefinedVariableError(f"{name} is not defined (no earlier action assigned it)")
        val = memory[name]
        return f"({val})" if arithmetic and is_number(val) else val

    return VARIABLE.sub(value, args)


def final_variable(memory: Mapping[str, str]) -> str | None:
    """Return the variable holding the final answer: ``Output`` if set, else the highest ``Rk``."""
    names = [n for n in memory if n == OUTPUT or VARIABLE.fullmatch(n)]
    return max(names, key=variable_index) if names else None
