"""Final answer: read the agent's answer out of the variable memory, by the domain's rule."""

from typing import Any

from langgraph.runtime import Runtime

from nodes import protocol
from nodes.context import Context
from nodes.execute import ERROR_PREFIX
from nodes.prompts import Formulation
from nodes.state import LumosState


def maths_answer(memory: dict[str, str]) -> tuple[str | None, str | None]:
    """Return (answer, error): Lumos takes ``Output`` if assigned, else the highest ``Rk``."""
    name = protocol.final_variable(memory)
    if name is None:
        return None, "no action was executed, so there is no answer"
    value = memory[name]
    if value.startswith(ERROR_PREFIX):
        return None, f"the final variable {name} has no value: {value.removeprefix(ERROR_PREFIX)}"
    return value, None


def answer(state: LumosState, runtime: Runtime[Context], *, formulation: Formulation) -> dict[str, Any]:
    """Set the answer (or the reason there is none) and why the run stopped."""
    if state.get("error"):
        return {"answer": None, "stop_reason": "error"}
    stop_reason = state.get("stop_reason") or ("planner" if formulation == "iterative" else "plan_executed")
    value, error = maths_answer(state.get("memory", {}))
    return {"answer": value, "error": error, "stop_reason": stop_reason}
