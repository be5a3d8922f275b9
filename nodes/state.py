"""The agent's state: the task, the plan, grounded and executed actions, variable memory, answer."""

import operator
from typing import Annotated, Any, Literal, NotRequired

from typing_extensions import TypedDict

from nodes.protocol import Action

# "environment": an action ended the episode it acted on (a web page said done)
StopReason = Literal["planner", "plan_executed", "max_subgoals", "environment", "error"]


class ExecutedAction(Action):
    """A grounded action after execution: what it returned, or the error it raised."""

    subgoal: int  # 1-based subgoal it grounds (Lumos-I); 0 when a Lumos-O plan was grounded at once
    observation: str
    ok: bool


class Review(TypedDict):
    """A person's verdict on planned subgoals (``Context.review_plan``)."""

    first: int  # 1-based number of the first subgoal reviewed
    decision: Literal["approve", "edit", "reject"]
    subgoals: list[str]  # the reviewed subgoals as they stand after the review
    reason: NotRequired[str]


class Nudge(TypedDict):
    """What the environment said back when a plan ended while the task was not done (once a run)."""

    after: int  # subgoals planned when it was said
    said: str  # the planner's stop line it answered (Lumos-I); "" when a Lumos-O plan ran out
    note: str  # the observation fed back: what is unmet, and the page or error as it stands


class LumosInput(TypedDict):
    """What a run needs: the task, and optionally its domain (else the context's)."""

    task: str
    domain: NotRequired[str]
    # what the task runs against, when its domain needs one: for SQL the database's name
    environment: NotRequired[str]
    # which run holds the environment's live resources (a browser): its thread, else one made at frame
    run_key: NotRequired[str]
    # a step-by-step solution to plan under (plan_reasoning "steps"): given, the reasoner is not
    # asked; otherwise the planning module writes it (cross-checking reruns keep the greedy one's)
    reasoning: NotRequired[str]


class LumosState(LumosInput):
    """Everything a run remembers; list and dict fields accumulate through their reducers."""

    subgoals: Annotated[list[str], operator.add]  # descriptions, in plan order
    plan_outputs: Annotated[list[str], operator.add]  # the planner's raw lines
    ground_outputs: Annotated[list[str], operator.add]  # the grounder's raw lines
    pending: list[Action]  # grounded by the last ground step, not executed yet
    actions: Annotated[list[ExecutedAction], operator.add]
    memory: Annotated[dict[str, str], operator.or_]  # "R1" -> value
    subgoal_results: Annotated[list[str], operator.add]  # Lumos-I: result of each subgoal
    model_calls: Annotated[int, operator.add]  # the step count: planner and grounder calls
    reviews: Annotated[list[Review], operator.add]  # human verdicts on the plan, when asked for
    nudges: Annotated[list[Nudge], operator.add]  # a stop fed back while the task was unmet
    elapsed_s: Annotated[float, operator.add]  # wall-clock seconds of the run's steps (nodes/budget.py)
    stop_reason: NotRequired[StopReason]
    answer: NotRequired[str | None]
    error: NotRequired[str | None]


def failure(error: str, update: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the update that ends a run with ``error``, keeping what ``update`` recorded before it."""
    return {**(update or {}), "error": error, "stop_reason": "error"}
