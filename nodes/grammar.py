"""GBNF grammars that constrain planner and grounder outputs to the Lumos format (instruct profile).

Built from the protocol's renderers and constants, so each grammar admits only lines that
``nodes/protocol.py`` parses: a Lumos-I planner writes the next ``Subgoal k: ...`` or the stop line,
a Lumos-O planner writes ``Subgoal 1: ...; Subgoal 2: ...`` (numbered, at most ``max_subgoals``), and
a grounder writes ``R1 = Action(args)`` assignments joined by ``; `` with actions from the domain's
action set. Free text never contains a newline, and action arguments keep their brackets balanced.

Each grammar may end with one newline, after which only end-of-generation is allowed: a chat model
that wants to end its line does so instead of being pushed into writing more. The ``lumos`` profile
is never constrained (fine-tuned checkpoints are decoded exactly as Lumos decoded them).
"""

from collections.abc import Collection

from nodes import protocol
from nodes.context import Context

MAX_SKETCH_CHARS = 600  # a `sketch` reasoning line; a looping model must still get to its plan
SEPARATOR = "; "  # between Lumos-O subgoals and between actions (protocol.render_plan/render_actions)

# a subgoal's description: one line, starting with a letter or digit (so it is never blank)
_TEXT = r"[A-Za-z0-9] [^\n]*"
_PLAN_TEXT = r"[A-Za-z0-9] [^\n;]*"  # Lumos-O: `;` only ever separates subgoals
_VARIABLE = r'"R" [1-9] [0-9]*'
# balanced (), [] and {}: protocol splits actions on `;` outside all three and matches () itself
_ARGS = r'([^()\[\]{}\n] | "(" args ")" | "[" args "]" | "{" args "}")*'
# what the Calculator evaluates (tools/maths.py): numbers, operators, comparisons, variables and
# parentheses; no words, units or names, which only make the call fail
_FORMULA_CHAR = r"[0-9 .,+*/^%<>=!$-]"
_INLINE_CHAR = r"[0-9 .+*/^%R-]"  # protocol.inline_calculator: `Calculator(9 * 3) + Calculator(8) / 2`


def is_constrained(context: Context) -> bool:
    """Return whether this run decodes planner and grounder outputs under a grammar."""
    return context.constrained and context.profile == "instruct"


def literal(text: str) -> str:
    """Return ``text`` as a GBNF string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _head(index: int) -> str:
    return protocol.render_subgoal(index, "")  # "Subgoal k: "


def plan_iterative(next_index: int) -> str:
    """Return the grammar of a Lumos-I planner turn: ``Subgoal <next_index>: ...`` or the stop line.

    The first turn must plan a subgoal: stopping before any action ran leaves the task unanswered.
    """
    subgoal = f"{literal(_head(next_index))} text"
    choices = subgoal if next_index == 1 else f"{subgoal} | {literal(protocol.STOP_LINE)}"
    return f'root ::= ({choices}) "\\n"?\ntext ::= {_TEXT}\n'


def plan_onetime(max_subgoals: int, *, reasoning: bool = False) -> str:
    """Return the grammar of a Lumos-O plan: ``Subgoal 1: ...; Subgoal 2: ...``, numbered, bounded.

    With ``reasoning`` the plan follows a ``Reasoning: ...`` line (``--plan-reasoning sketch``) of at
    most ``MAX_SKETCH_CHARS`` characters, so a model repeating itself still gets to write its plan.
    """
    sketch = ""
    if reasoning:
        sketch = f'{literal(protocol.REASONING)} [A-Za-z0-9] [^\\n]{{0,{MAX_SKETCH_CHARS}}} "\\n" '
    lines = [f'root ::= {sketch}{literal(_head(1))} text{" more2?" if max_subgoals > 1 else ""} "\\n"?']
    for k in range(2, max_subgoals + 1):
        tail = f" more{k + 1}?" if k < max_subgoals else ""
        lines.append(f"more{k} ::= {literal(SEPARATOR + _head(k))} text{tail}")
    lines.append(f"text ::= {_PLAN_TEXT}")
    return "\n".join(lines) + "\n"


def ground(actions: Collection[str]) -> str:
    """Return the grammar of a grounder output over the domain's action names.

    ``R1 = Name(args)``, multi-assignment ``R5, R6 = Name(args)``, passthrough ``R3 = R2`` and the
    Lumos-O ``Output = ...`` are all admitted, joined by ``; ``; so is arithmetic around Calculator
    calls, which the protocol inlines into one formula (``R1 = Calculator(9 * 3) + Calculator(8)``).
    A Calculator formula holds only what the tool evaluates: numbers, operators, comparisons,
    variables and parentheses (``Calculator(60 mph x 3 hours)`` cannot be written).
    """
    if not actions:
        raise ValueError("a grounder grammar needs at least one action name")
    others = sorted(set(actions) - {protocol.CALCULATOR})
    rhs = ["var"] + ([f'({" | ".join(literal(name) for name in others)}) "(" args ")"'] if others else [])
    rules = [
        f'root ::= action ({literal(SEPARATOR)} action)* "\\n"?',
        'action ::= lhs " = " rhs',
        f'lhs ::= var (", " var)* | {literal(protocol.OUTPUT)}',
        f"var ::= {_VARIABLE}",
        f"args ::= {_ARGS}",
    ]
    if protocol.CALCULATOR in actions:
        rhs += ["calc", "inline"]
        call = literal(protocol.CALCULATOR + "(")
        rules += [
            f'calc ::= {call} formula ")"',
            "formula ::= term+",
            f'term ::= {_FORMULA_CHAR} | var | "(" formula ")"',
            # protocol.inline_calculator reads only plain arithmetic around and inside the calls
            f'inline ::= {call} arith ")" (aterm | {call} arith ")")+',
            "arith ::= aterm*",
            f'aterm ::= {_INLINE_CHAR} | "(" arith ")"',
        ]
    rules.insert(2, f"rhs ::= {' | '.join(rhs)}")
    return "\n".join(rules) + "\n"
