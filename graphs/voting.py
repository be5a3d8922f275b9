"""Answer-level voting: run one formulation several times on a task and keep the majority answer.

Self-consistency for any Lumos graph (Lumos-I, Lumos-O or a baseline). ``VotingContext.votes`` runs
fan out as parallel branches (``Send``); the first decodes greedily, exactly as a single run would,
the others sample at ``vote_temperature`` with their own seeds. Those two settings are the
wrapper's own (``VotingContext``); each run gets the plain ``Context`` without them. Each run
executes its own plan, so the vote is over executed answers; runs without an answer do not vote,
and a tie goes to the earliest run (the greedy one first). The winning run's trace becomes the
graph's state, and ``attempts`` records every run's answer, so the vote can be inspected. The cost
is ``votes`` runs.
"""

import dataclasses
import math
import operator
from collections import Counter
from typing import Annotated, Any, NotRequired

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send
from pydantic import Field
from pydantic.dataclasses import dataclass
from typing_extensions import TypedDict

from graphs.binding import CompiledLumosGraph
from models.deadline import remaining
from nodes.budget import within_budget
from nodes.context import STRICT, Context, context_of, core, core_settings, setting, settings_class
from nodes.extraction import normalize_answer
from nodes.state import LumosInput, LumosState

MAX_VOTES = 32


@settings_class
@dataclass(frozen=True, kw_only=True, config=STRICT)
class RerunContext(Context):
    """A run context plus the temperature of a wrapper's sampled reruns (voting, cross-checking)."""

    vote_temperature: Annotated[float, Field(ge=0, le=5)] = setting(
        0.7, "sampling temperature of the extra runs when --votes > 1 or --plan-retries > 0"
    )

    def rerun(self, sample: int, left: float | None) -> Context:
        """Return the plain context of run ``sample`` (0: greedy), within ``left`` seconds if given."""
        context = core(self)
        if sample > 0:
            seed = self.sampling_seed + sample
            context = dataclasses.replace(context, temperature=self.vote_temperature, sampling_seed=seed)
        if left is not None:  # the runs share the wrapper's wall-clock budget
            context = dataclasses.replace(
                context, max_run_seconds=max(min(context.max_run_seconds, left), 1e-3)
            )
        return context


@settings_class
@dataclass(frozen=True, kw_only=True, config=STRICT)
class VotingContext(RerunContext):
    """Voting's settings: how many runs vote, and how the extra ones sample."""

    votes: Annotated[int, Field(ge=1, le=MAX_VOTES)] = setting(
        1, "run the formulation K times (the first greedy, the rest sampled) and keep the majority answer"
    )

    def rerun_setting(self) -> str | None:
        """Return "votes" when this context votes."""
        return "votes" if self.votes > 1 else None


class Attempt(TypedDict):
    """One run of the voted formulation: its sample number, answer and outcome."""

    sample: int  # 0 is the greedy run
    answer: str | None
    error: str | None
    state: dict[str, Any]  # the run's whole final state


class VotingState(LumosState):
    """A Lumos state (the winning run's) plus every run's attempt and the vote's tally."""

    attempts: Annotated[list[Attempt], operator.add]
    vote_count: NotRequired[int]  # runs that reached the winning answer


class AttemptInput(LumosInput):
    """What one branch gets: the task, and which sample it is."""

    sample: int


def vote_key(answer: str | None) -> str | None:
    """Return what answers are compared by: the number if the answer is one, else normalised text."""
    if answer is None or not answer.strip():
        return None
    text = answer.strip().replace(",", "").rstrip(".")
    try:
        number = float(text.lstrip("$"))
        if math.isfinite(number):
            return f"{round(number, 6):g}"
    except ValueError:
        pass
    return normalize_answer(answer) or None


def majority(attempts: list[Attempt]) -> tuple[Attempt, int]:
    """Return the winning attempt and its vote count; ties go to the earliest sample."""
    ordered = sorted(attempts, key=lambda a: a["sample"])
    keys = [vote_key(a["answer"]) for a in ordered]
    counts = Counter(k for k in keys if k is not None)
    if not counts:
        return ordered[0], 0
    best = max(counts.values())
    winner = next(a for a, k in zip(ordered, keys, strict=True) if k is not None and counts[k] == best)
    return winner, best


def rerun_context(runtime: Runtime[Context]) -> RerunContext:
    """Return the wrapper's context; a plain Context (one greedy run) when the caller gave that."""
    context = context_of(runtime)
    return context if isinstance(context, RerunContext) else RerunContext(**core_settings(context))


def fan_out(state: LumosInput, runtime: Runtime[Context]) -> list[Send]:
    """Send the task to ``votes`` branches, one per sample."""
    context = context_of(runtime)
    votes = context.votes if isinstance(context, VotingContext) else 1
    branch: dict[str, Any] = {"task": state["task"]}
    if "domain" in state:
        branch["domain"] = state["domain"]
    return [Send("attempt", branch | {"sample": i}) for i in range(votes)]


def attempt(state: AttemptInput, runtime: Runtime[Context], *, inner: CompiledLumosGraph) -> dict[str, Any]:
    """Run the voted formulation once: greedy for sample 0, sampled with its own seed otherwise."""
    sample = state["sample"]
    context = rerun_context(runtime).rerun(sample, remaining())
    task = LumosInput(task=state["task"])
    if "domain" in state:
        task["domain"] = state["domain"]
    if "reasoning" in state:  # cross-checking: the caller's solution, or the greedy run's kept one
        task["reasoning"] = state["reasoning"]
    try:
        final = dict(inner.invoke(task, context=context))
    except Exception as err:  # one failing run must not sink the others
        final = {"answer": None, "error": f"{type(err).__name__}: {err}", "stop_reason": "error"}
    return {
        "attempts": [
            Attempt(sample=sample, answer=final.get("answer"), error=final.get("error"), state=final)
        ]
    }


_COPIED = (  # the kept run's trace; model_calls is summed over every run instead
    *("subgoals", "reasoning", "plan_outputs", "ground_outputs", "pending", "actions", "memory"),
    *("subgoal_results", "reviews", "stop_reason", "answer", "error"),
)


def kept_run(kept: Attempt, attempts: list[Attempt]) -> dict[str, Any]:
    """Return the state update that keeps one run's trace and counts every run's model calls."""
    update = {key: kept["state"][key] for key in _COPIED if key in kept["state"]}
    update["model_calls"] = sum(a["state"].get("model_calls", 0) for a in attempts)
    return update


def vote(state: VotingState) -> dict[str, Any]:
    """Keep the majority answer and the winning run's trace; count every run's model calls."""
    winner, count = majority(state["attempts"])
    return kept_run(winner, state["attempts"]) | {"vote_count": count}


def build(inner: CompiledLumosGraph) -> StateGraph[VotingState, VotingContext, LumosInput, VotingState]:
    """Return the uncompiled voting graph over a compiled formulation graph."""
    from functools import partial

    builder = StateGraph(VotingState, input_schema=LumosInput, context_schema=VotingContext)
    builder.add_node("attempt", within_budget(partial(attempt, inner=inner)))
    builder.add_node("vote", within_budget(vote, final=True))
    builder.add_conditional_edges(START, fan_out, ["attempt"])
    builder.add_edge("attempt", "vote")
    builder.add_edge("vote", END)
    return builder


def compiled(inner: CompiledLumosGraph, name: str | None = None) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Return the compiled voting graph over ``inner`` (its name: ``<inner>-voting``)."""
    return build(inner).compile(name=name or f"{inner.name}-voting")
