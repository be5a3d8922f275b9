"""Final answer: the domain's answer rule reads it out of the run's memory (or says why there is none)."""

from typing import Any

from langgraph.runtime import Runtime

from models.registry import ModelProvider
from nodes.context import Context, context_of, domain_of
from nodes.domain import Domains, domain_for
from nodes.events import AnswerEvent, emit
from nodes.prompts import Formulation
from nodes.state import LumosState


def answer(
    state: LumosState,
    runtime: Runtime[Context],
    *,
    models: ModelProvider,
    formulation: Formulation,
    domains: Domains,
) -> dict[str, Any]:
    """Set the answer (or the reason there is none) and why the run stopped; release the environment."""
    context = context_of(runtime)
    domain = domains.get(domain_of(state, context))  # None for a domain not bound
    if state.get("error"):
        if domain is not None:
            domain.release(state)  # a failed run leaves no browser behind either
        emit(runtime, AnswerEvent(type="answer", answer=None, error=state.get("error")))
        return {"answer": None, "stop_reason": "error"}
    stop_reason = state.get("stop_reason") or ("planner" if formulation == "iterative" else "plan_executed")
    value, error = domain_for(state, context, domains).answer(state, context, models, formulation)
    emit(runtime, AnswerEvent(type="answer", answer=value, error=error))
    return {"answer": value, "error": error, "stop_reason": stop_reason}
