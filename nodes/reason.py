"""Planner reasoning (``Context.plan_reasoning``, instruct profile, Lumos-O): think before planning.

Untuned chat models plan worse than they reason: the subgoals they write skip steps that their own
chain of thought gets right. Two modes let the planning module reason first:

* ``sketch``: the planner writes ``Reasoning: <one-line worked solution>`` and then the plan, in one
  call under one grammar; its worked examples carry such lines (``nodes/exemplars.py``).
* ``steps``: a separate call, in its own llama.cpp context (so the planner's KV prefix survives),
  solves the task step by step with the chain-of-thought baseline's own prompt; the planner is
  then shown that solution under the task and writes the plan that follows it.

Either way the grounder sees the reasoning after the task, and the answer is still the executed
plan's: the reasoning's own arithmetic is never taken as the answer.
"""

from models.registry import ModelProvider
from nodes.calls import ModelCallError, ask_line
from nodes.context import Context
from nodes.prompts import INSTRUCT, answer_kind
from nodes.state import LumosState

ROLE = "reasoner"  # its own llama.cpp context: the planner's cached exemplar prefix stays put


def worked_solution(models: ModelProvider, context: Context, state: LumosState) -> str:
    """Return the model's step-by-step solution of the task, asked as the CoT baseline asks."""
    instruction = INSTRUCT["cot", answer_kind(state, context)]
    try:
        return ask_line(
            models,
            context,
            role=ROLE,
            spec=context.planner,
            turns=[("user", state["task"].strip())],
            system=instruction,
            examples=[],
            stop=(),
        )
    except ModelCallError as err:
        raise ModelCallError(f"the planner's reasoning failed: {err}") from err
