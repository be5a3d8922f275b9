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
# balanced (), [] and {}: protocol splits actions on `;` outside all three and matches () itself
_ARGS = r'([^()\[\]{}\n] | "(" args ")" | "[" args "]" | "{" args "}")*'
# what the Calculator evaluates (tools/maths.py): numbers, operators, comparisons, variables and
# parentheses; no words, units or names, which only make the call fail
_FORMULA_CHAR = r"[0-9 .,+*/^%<>=!$-]"
_INLINE_CHAR = r"[0-9 .+*/^%-]"  # protocol.inline_calculator: `Calculator(9 * 3) + Calculator(8) / 2`


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


def plan_onetime(max_subgoals: int, *, reasoning: bool = False, first: int = 1) -> str:
    """Return the grammar of a Lumos-O plan: ``Subgoal 1: ...; Subgoal 2: ...``, numbered, bounded.

    With ``reasoning`` the plan follows a ``Reasoning: ...`` line (``--plan-reasoning sketch``) of at
    most ``MAX_SKETCH_CHARS`` characters, so a model repeating itself still gets to write its plan.
    A plan continued after ``first - 1`` subgoals (a live environment's nudge) is numbered from ``first``.
    """
    sketch = ""
    if reasoning:
        sketch = f'{literal(protocol.REASONING)} [A-Za-z0-9] [^\\n]{{0,{MAX_SKETCH_CHARS}}} "\\n" '
    more = f" more{first + 1}?" if max_subgoals > first else ""
    lines = [f'root ::= {sketch}{literal(_head(first))} text{more} "\\n"?']
    for k in range(first + 1, max_subgoals + 1):
        tail = f" more{k + 1}?" if k < max_subgoals else ""
        lines.append(f"more{k} ::= {literal(SEPARATOR + _head(k))} text{tail}")
    lines.append(f"text ::= {_PLAN_TEXT}")
    return "\n".join(lines) + "\n"


MAX_OUTPUTS = 4  # variables one action may assign (``R5, R6 = SolveEquation(...)``)
_AFTER_VARIABLE = r"[ +*/^%<>=!-]"  # a formula character that cannot extend or glue onto `Rk`
_AFTER_INLINE_VARIABLE = r"[ +*/^%-]"


def _digits_upto(limit: str, *, leading_zero: bool) -> str:
    """Return GBNF for the digit strings of ``len(limit)`` digits that are at most ``limit``."""
    low = "0" if leading_zero else "1"
    head = limit[0]
    if len(limit) == 1:
        return f"[{low}-{head}]"
    choices = []
    if head > low:
        choices.append(f"[{low}-{chr(ord(head) - 1)}]" + " [0-9]" * (len(limit) - 1))
    choices.append(f'"{head}" ({_digits_upto(limit[1:], leading_zero=True)})')
    return " | ".join(choices)


def _variables(count: int) -> str:
    """Return GBNF for ``R1`` .. ``R<count>`` as a digit trie.

    A flat list of names multiplies llama.cpp's grammar stacks, and its sampler checks every
    vocabulary token against each stack.
    """
    digits = str(count)
    lengths = [f"[1-9]{' [0-9]' * (n - 1)}" for n in range(1, len(digits))]
    return f'"R" ({" | ".join([*lengths, _digits_upto(digits, leading_zero=False)])})'


def ground(
    actions: Collection[str],
    *,
    assigned: int = 0,
    max_actions: int = 32,
    state: object = None,
    profile: str = "instruct",
) -> str:
    """Return the grammar of a grounder output over the domain's action names.

    ``R1 = Name(args)``, multi-assignment ``R5, R6 = Name(args)``, passthrough ``R3 = R2`` and the
    Lumos-O ``Output = ...`` are all admitted, joined by ``; ``; so is arithmetic around Calculator
    calls, which the protocol inlines into one formula (``R1 = Calculator(9 * 3) + Calculator(8)``).
    A Calculator formula holds only what the tool evaluates: numbers, operators, comparisons,
    variables and parentheses (``Calculator(60 mph x 3 hours)`` cannot be written).

    Variables are numbered as Lumos numbers them, globally and in order: ``assigned`` variables
    (``R1`` .. ``R<assigned>``, earlier subgoals' in Lumos-I) exist before this output and each
    action assigns the next ones. A passthrough or a Calculator formula can only name a variable
    assigned before it (``R3 = Calculator(R1 + R3)`` always fails); other actions' free-text
    arguments are not checked. ``Output = ...`` ends the output: it is the answer, so nothing after
    it can change it. At most ``max_actions`` new variables are written, and so at most that many
    actions, ``Output`` included: a looping grounder ends its output where the node's limit is.
    ``state`` (the run so far) and ``profile`` (the prompt profile) are for grammars that depend
    on them, as the web domain's page and Lumos's own web action syntax do; this one reads neither.
    """
    if not actions:
        raise ValueError("a grounder grammar needs at least one action name")
    if assigned < 0 or max_actions < 1:
        raise ValueError("assigned must be >= 0 and max_actions >= 1")
    others = sorted(set(actions) - {protocol.CALCULATOR})
    calculator = protocol.CALCULATOR in actions
    call = literal(protocol.CALCULATOR + "(")
    top = assigned + max_actions
    rules = [f'root ::= seq{assigned} "\\n"?', f"args ::= {_ARGS}"]
    if others:
        rules.append(f'call ::= ({" | ".join(literal(name) for name in others)}) "(" args ")"')
    # n: the variables R1..Rn that exist before this action; fewer than n - assigned actions came
    # before it, so one more (`Output` too) keeps the output within max_actions
    for n in range(assigned, top):
        var = f"var{n}" if n else None
        rhs = (["call"] if others else []) + ([var] if var else [])
        if calculator:
            rhs += [f"calc{n}", f"inline{n}"]
        steps = [f"out{n}"]
        for k in range(1, min(MAX_OUTPUTS, top - n) + 1):
            lhs = literal(", ".join(f"R{n + j}" for j in range(1, k + 1)) + " = ")
            more = f" ({literal(SEPARATOR)} seq{n + k})?" if n + k < top else ""
            steps.append(f"{lhs} rhs{n}{more}")
        rules += [
            f"seq{n} ::= {' | '.join(steps)}",
            f"out{n} ::= {literal(protocol.OUTPUT + ' = ')} rhs{n}",
            f"rhs{n} ::= {' | '.join(rhs)}",
        ]
        if var:
            rules.append(f"{var} ::= {_variables(n)}")
        if not calculator:
            continue
        # a variable is followed by an operator, a space, a group or the formula's end
        piece = [_FORMULA_CHAR, f'"(" formula{n} ")"']
        apiece = [_INLINE_CHAR, f'"(" arith{n} ")"']
        formula, arith, tail = f"piece{n}+", f"apiece{n}*", ""
        if var:
            piece += [f"{var} {_AFTER_VARIABLE}", f'{var} "(" formula{n} ")"']
            apiece += [f"{var} {_AFTER_INLINE_VARIABLE}", f'{var} "(" arith{n} ")"']
            formula, arith, tail = f"{formula} {var}? | {var}", f"{arith} {var}?", f" {var}?"
        rules += [
            f"formula{n} ::= {formula}",
            f"piece{n} ::= {' | '.join(piece)}",
            f"arith{n} ::= {arith}",
            f"apiece{n} ::= {' | '.join(apiece)}",
            f'inline{n} ::= {call} arith{n} ")" (apiece{n} | {call} arith{n} ")")+{tail}',
            f'calc{n} ::= {call} formula{n} ")"',
        ]
    return "\n".join(rules) + "\n"
