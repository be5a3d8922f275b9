"""Planner reasoning (``Context.plan_reasoning``, instruct profile, Lumos-O): think before planning.

Untuned chat models plan worse than they reason: the subgoals they write skip steps that their own
chain of thought gets right. Two modes let the planning module reason first:

* ``sketch``: the planner writes ``Reasoning: <one-line worked solution>`` and then the plan, in one
  call under one grammar (``nodes/plan.py``); its worked examples carry such lines.
* ``steps``: this node, before planning, solves the task step by step with the chain-of-thought
  baseline's own prompt, in its own llama.cpp context (so the planner's KV prefix survives); the
  planner is then shown that solution under the task and writes the plan that follows it. A
  solution given with the input (a person's, or the greedy run's when cross-checking keeps it)
  is used as it is.

Either way the grounder sees the reasoning after the task, and the answer is still the executed
plan's: the reasoning's own arithmetic is never taken as the answer.
"""

from typing import Any

from langgraph.runtime import Runtime

from models.registry import ModelProvider
from nodes.calls import ModelCallError, Request, ask
from nodes.context import Context, context_of
from nodes.domain import Domains, domain_for
from nodes.events import ReasoningEvent, emit
from nodes.inputs import invalid_input
from nodes.prompts import INSTRUCT
from nodes.state import LumosState, failure

ROLE = "reasoner"  # its own llama.cpp context: the planner's cached exemplar prefix stays put


def solve(
    state: LumosState, runtime: Runtime[Context], *, models: ModelProvider, domains: Domains
) -> dict[str, Any]:
    """Write the step-by-step solution the planner will plan under (``plan_reasoning="steps"``)."""
    context = context_of(runtime)
    if context.plan_reasoning != "steps" or context.profile != "instruct":
        return {}
    if problem := invalid_input(state, context, domains):
        return failure(problem)
    if (given := state.get("reasoning")) is not None:
        emit(runtime, ReasoningEvent(type="reasoning", text=given))
        return {}
    kind = domain_for(state, context, domains).answer_kind(context)
    request = Request(
        ROLE, context.planner, [("user", state["task"].strip())], INSTRUCT["cot", kind], stop=()
    )
    try:
        solution = ask(models, context, request)
    except ModelCallError as err:
        return failure(f"the planner's reasoning failed: {err}")
    emit(runtime, ReasoningEvent(type="reasoning", text=solution))
    return {"reasoning": solution, "model_calls": 1}
