"""Custom stream events: what a UI shows while the agent thinks (``stream_mode="custom"``).

Each planned subgoal, grounded action, executed result and the final answer is sent as one
JSON-native event as soon as it exists, so a caller sees a Lumos-O plan's results one by one
instead of when the whole ``execute`` step ends.
"""

from typing import Any, Literal

from langgraph.runtime import Runtime
from typing_extensions import TypedDict

from nodes import protocol


class SubgoalEvent(TypedDict):
    """The planner wrote a subgoal (``index`` counts from 1 over the whole plan)."""

    type: Literal["subgoal"]
    index: int
    subgoal: str


class ReasoningEvent(TypedDict):
    """The planner's worked solution, written before its plan (``--plan-reasoning``)."""

    type: Literal["reasoning"]
    text: str


class StopEvent(TypedDict):
    """The planner said it is done (Lumos-I)."""

    type: Literal["stop"]
    text: str


class ActionEvent(TypedDict):
    """The grounder wrote an action for subgoal ``subgoal`` (0: a Lumos-O plan grounded at once)."""

    type: Literal["action"]
    subgoal: int
    action: str  # as the grounder writes it, e.g. "R2 = Calculator(28 - R1)"


class ResultEvent(TypedDict):
    """A tool ran an action; ``observation`` is its value, or ``Error: ...``."""

    type: Literal["result"]
    subgoal: int
    action: str
    observation: str
    ok: bool


class AnswerEvent(TypedDict):
    """The run's answer, or the error that left it without one."""

    type: Literal["answer"]
    answer: str | None
    error: str | None


LumosEvent = SubgoalEvent | ReasoningEvent | StopEvent | ActionEvent | ResultEvent | AnswerEvent


def emit(runtime: Runtime[Any] | None, *events: LumosEvent) -> None:
    """Send events to the run's custom stream (a no-op unless the caller streams ``custom``)."""
    writer = getattr(runtime, "stream_writer", None)
    if writer is None:  # a node called directly, outside a graph
        return
    for event in events:
        writer(event)


def subgoal_events(subgoals: list[str], *, first: int) -> list[LumosEvent]:
    """Return one event per new subgoal, numbered from ``first``."""
    return [
        SubgoalEvent(type="subgoal", index=index, subgoal=text)
        for index, text in enumerate(subgoals, start=first)
    ]


def action_events(actions: list[protocol.Action], *, subgoal: int) -> list[LumosEvent]:
    """Return one event per grounded action."""
    return [ActionEvent(type="action", subgoal=subgoal, action=protocol.render_action(a)) for a in actions]


def result_event(action: protocol.Action, *, subgoal: int, observation: str, ok: bool) -> ResultEvent:
    """Return the event of one executed action."""
    return ResultEvent(
        type="result", subgoal=subgoal, action=protocol.render_action(action), observation=observation, ok=ok
    )
