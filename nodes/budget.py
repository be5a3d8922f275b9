"""The run's wall-clock budget (``Context.max_run_seconds``), kept by every node of a graph.

``within_budget(node)`` wraps a node: it refuses to start once the run has used its budget, sets
the deadline that model calls and tools read (``models/deadline.py``) so a long generation or a
slow tool stops at it, and adds the step's seconds to the state's ``elapsed_s``. Time spent
waiting between steps (a person reviewing the plan, a thread stopped and resumed later) is not
counted: the budget is the run's own work. A run therefore ends within its budget plus the part
of one step that cannot be interrupted (the prefill of one prompt).
"""

import inspect
import time
from collections.abc import Callable
from typing import Any

from langgraph.runtime import Runtime

from models.deadline import deadline_in
from nodes.context import Context, context_of

Node = Callable[..., Any]


def budget_error(context: Context) -> str:
    """Return the error that ends a run whose budget is spent."""
    return f"the run used up its wall-clock budget of {context.max_run_seconds:g} s (max_run_seconds)"


def within_budget(node: Node, *, final: bool = False) -> Node:
    """Return ``node`` bounded by the run's wall-clock budget (``final``: the node that sets the answer)."""
    takes_runtime = "runtime" in inspect.signature(node).parameters

    def bounded(state: dict[str, Any], runtime: Runtime[Context]) -> Any:
        context = context_of(runtime)
        left = context.max_run_seconds - state.get("elapsed_s", 0.0)
        if left <= 0:
            if final and state.get("error"):  # the run already failed: the answer node only records it
                return {"answer": None, "stop_reason": "error"}
            ended = {"error": budget_error(context), "stop_reason": "error"}
            return ended | ({"answer": None} if final else {})
        start = time.monotonic()
        with deadline_in(left):
            update = node(state, runtime) if takes_runtime else node(state)
        spent = time.monotonic() - start
        if not isinstance(update, dict):
            return update
        update = {**update, "elapsed_s": spent}
        if spent >= left and update.get("error"):  # cut short by the deadline: say so
            update["error"] = f"{budget_error(context)}; the step in progress ended with: {update['error']}"
        return update

    inner = getattr(node, "func", node)  # a partial's function
    # not functools.wraps: LangGraph reads the signature to inject runtime, and must see this one
    bounded.__name__ = bounded.__qualname__ = getattr(inner, "__name__", "node")
    bounded.__doc__ = inner.__doc__
    return bounded
