"""Routers shared by the Lumos graphs: pure functions of the state that name the next node."""

from typing import Literal

from nodes.state import LumosState


def route_after_plan(state: LumosState) -> Literal["ground", "answer"]:
    """Answer once the planner stopped, the subgoal cap was hit, or something failed."""
    return "answer" if state.get("stop_reason") or state.get("error") else "ground"


def route_after_ground(state: LumosState) -> Literal["execute", "answer"]:
    """Execute the grounded actions unless grounding failed."""
    return "answer" if state.get("error") else "execute"


def route_after_execute(state: LumosState) -> Literal["plan", "answer"]:
    """Plan the next subgoal (Lumos-I) unless the tools could not run at all."""
    return "answer" if state.get("error") else "plan"
