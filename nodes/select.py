"""Answer selection (maths, instruct profile): the model names the variable that answers the task.

Lumos reads a maths answer from the last variable. Untuned planners often append a subgoal after
the one that answers the question (restating an input, or recomputing a part), so the last
variable is then wrong although an earlier one is right. With ``Context.select_answer`` the model
sees the task and every executed action with its value and names the variable holding the answer,
decoded under a grammar that admits only the variables that hold a number. It runs in a context
of its own (role ``answer``), so the planner's and grounder's KV prefixes stay intact.
"""

from collections.abc import Sequence

from models.registry import ModelProvider
from nodes import protocol
from nodes.calls import Request, ask
from nodes.context import Context
from nodes.grammar import literal
from nodes.prompts import SELECT_SYSTEM, Turn
from nodes.state import ExecutedAction

# worked examples written for this module (not from any benchmark): the last variable, and not
_EXAMPLES: list[Turn] = [
    (
        "user",
        "Task: A baker makes 24 rolls and sells them in bags of 4. Each bag costs $3. How much does the "
        "baker earn?\nExecuted actions:\nR1 = Calculator(24 / 4) -> 6\nR2 = Calculator(R1 * 3) -> 18",
    ),
    ("assistant", "R2"),
    (
        "user",
        "Task: Tom has 12 apples and gives 5 to a friend. How many apples does Tom have left?\n"
        "Executed actions:\nR1 = Calculator(12 - 5) -> 7\nR2 = Calculator(12) -> 12",
    ),
    ("assistant", "R1"),
]


def candidates(memory: dict[str, str]) -> list[str]:
    """Return the variables that hold a number, in order of their index."""
    names = {n for n in memory if protocol.VARIABLE.fullmatch(n) and protocol.is_number(memory[n])}
    return sorted(names, key=protocol.variable_index)


def select_prompt(task: str, actions: Sequence[ExecutedAction]) -> str:
    """Return the user turn: the task and each executed action with its value."""
    lines = [f"{protocol.render_action(a)} -> {a['observation']}" for a in actions if a["ok"]]
    return f"Task: {task.strip()}\nExecuted actions:\n" + "\n".join(lines)


def select_variable(
    models: ModelProvider,
    context: Context,
    task: str,
    actions: Sequence[ExecutedAction],
    memory: dict[str, str],
) -> str | None:
    """Return the variable the model names as the answer; None when there is nothing to choose."""
    names = candidates(memory)
    if len(names) < 2 or protocol.OUTPUT in memory:  # one candidate, or the grounder said Output
        return None
    grammar = "root ::= " + " | ".join(literal(n) for n in names) + "\n"
    turns: list[Turn] = [("user", select_prompt(task, actions))]
    reply = ask(
        models, context, Request("answer", context.planner, turns, SELECT_SYSTEM, _EXAMPLES, grammar=grammar)
    )
    return reply if reply in names else None
