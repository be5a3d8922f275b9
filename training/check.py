"""Execution check for annotations: run their actions with the project's tools and compare the answer.

Lumos trained on GPT-4 conversions without executing them (lumos-reference §6.3). Here an
annotation is kept only if every action runs and the final variable equals the gold answer; the
recorded results become the values the tools returned, which are what the planner is shown at
inference time.
"""

from evaluation import metrics
from nodes import protocol
from nodes.execute import run_action
from tools import Toolbox
from training.records import Record


class CheckError(ValueError):
    """An annotation does not reproduce its answer; the message says where it went wrong."""


def maths_toolbox() -> Toolbox:
    """Return the maths tools (imported on first use: sympy is slow to import)."""
    from tools.maths import MATHS_TOOLS

    return MATHS_TOOLS


def execute(record: Record, tools: Toolbox) -> tuple[list[str], dict[str, str]]:
    """Run every action of an annotation in order; return each subgoal's result and the final memory."""
    memory: dict[str, str] = {}
    results = []
    for index, actions in enumerate(record["actions"], start=1):
        values: list[str] = []
        for text in actions:
            action = protocol.parse_action(text)
            values, ok = run_action(action, memory, tools)
            if not ok:
                raise CheckError(f"subgoal {index}: {text} failed: {values[0]}")
            memory |= dict(zip(action["outputs"], values, strict=True))
        results.append(values[-1])
    return results, memory


def check(record: Record, tools: Toolbox | None = None, gold: str | None = None) -> Record:
    """Return the annotation with executed results if it reproduces its gold answer, else raise CheckError."""
    if record["domain"] != "maths":
        raise ValueError(f"the execution check needs offline tools; {record['domain']!r} has none here")
    target = gold if gold is not None else record.get("answer")
    if target is None:
        raise ValueError(f"annotation {record['id']!r} has no gold answer to check against")
    results, memory = execute(record, tools if tools is not None else maths_toolbox())
    final = protocol.final_variable(memory)
    answer = memory.get(final) if final else None
    if not metrics.maths_numeric(answer, target):
        raise CheckError(f"the final value {final} = {answer} is not the gold answer {target}")
    return Record(**{**record, "results": results})
