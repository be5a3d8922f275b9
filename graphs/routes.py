"""Routers shared by the Lumos graphs: pure functions of the state that name the next node."""

from collections.abc import Callable
from typing import Literal

from langgraph.runtime import Runtime

from nodes.context import Context, context_of
from nodes.state import LumosState


def route_after_plan(state: LumosState, runtime: Runtime[Context]) -> Literal["review", "ground", "answer"]:
    """Answer if the planner stopped, hit the subgoal cap or failed; else review or ground the plan."""
    if state.get("stop_reason") or state.get("error"):
        return "answer"
    return "review" if context_of(runtime).review_plan else "ground"


def route_after_frame(first: str, *, failed: str = "answer") -> Callable[[LumosState], str]:
    """Return the router out of ``frame``: on to ``first``, or to ``failed`` if framing failed."""

    def route_after_frame(state: LumosState) -> str:
        return failed if state.get("error") else first

    return route_after_frame


def route_at_start(state: LumosState, runtime: Runtime[Context]) -> Literal["solve", "plan", "answer"]:
    """Lumos-O: write a step-by-step solution first when the run asks to plan under one."""
    if state.get("error"):  # the environment could not be opened (frame)
        return "answer"
    context = context_of(runtime)
    return "solve" if context.plan_reasoning == "steps" and context.profile == "instruct" else "plan"


def route_after_solve(state: LumosState) -> Literal["plan", "answer"]:
    """Plan under the written solution unless writing it failed."""
    return "answer" if state.get("error") else "plan"


def route_after_review(state: LumosState) -> Literal["ground", "answer"]:
    """Ground the reviewed plan unless the reviewer rejected it."""
    return "answer" if state.get("error") else "ground"


def route_after_ground(state: LumosState) -> Literal["execute", "answer"]:
    """Execute the grounded actions unless grounding failed."""
    return "answer" if state.get("error") else "execute"


def route_after_step(state: LumosState) -> Literal["execute", "answer"]:
    """A step-by-step baseline: execute the step's actions unless the model stopped or failed."""
    return "answer" if state.get("error") or state.get("stop_reason") else "execute"


def route_after_execute(state: LumosState) -> Literal["plan", "answer"]:
    """Plan the next subgoal (Lumos-I) unless the tools could not run or the environment ended."""
    return "answer" if state.get("error") or state.get("stop_reason") else "plan"


def route_to_next_subgoal(state: LumosState) -> Literal["ground", "plan", "answer"]:
    """Lumos-O one subgoal at a time: ground the next subgoal while the plan has any left, else answer.

    A plan that ran out while the environment said the task was unmet (a nudge just given, once a
    run) goes back to the planner to be continued.
    """
    if state.get("error") or state.get("stop_reason"):
        return "answer"
    done, planned = len(state.get("subgoal_results", [])), len(state.get("subgoals", []))
    if done == planned and any(n["after"] == planned for n in state.get("nudges", [])):
        return "plan"
    return "ground" if 0 < done < planned else "answer"
