"""Cross-checking: plan again when the executed answer disagrees with the planner's own reasoning.

With ``--plan-reasoning`` the Lumos-O planner first writes a worked solution that ends with
``The answer is N.``, then a plan that the grounder and the tools execute. The two answers come
from different modules, so a mismatch flags a plan that lost a step of its reasoning (the commonest
1.5B failure). ``plan_retries`` reruns the formulation, sampled at ``vote_temperature`` with its own
seed, until a run's executed answer agrees with its reasoning's, at most that many times. The first
agreeing run wins. When none agrees, ``crosscheck_fallback`` decides:

* ``greedy`` (the default): the greedy run's executed answer;
* ``majority``: the executed answer most runs reached (ties: the earliest run);
* ``reasoning``: the executed answer if every run reached it (the tools' arithmetic is exact, so
  runs that agree among themselves and not with the solution point at a slip in the solution),
  else the greedy run's reasoning's own answer (runs that scatter point at the grounding). This is
  a choice between two modules' answers, as in model selection between chain-of-thought and
  program-aided answers (Zhao et al., 2023); ``answer_source`` says which one answered.

These are the wrapper's own settings (``CrossCheckContext``); each run gets the plain ``Context``.
With ``keep_reasoning`` (``steps`` only) the reruns keep the greedy run's step-by-step
solution and sample only the plan and its grounding, so they look for an execution of that
solution. Under ``greedy`` and ``majority`` the answer is always an executed one. Runs are
sequential, so a task whose first run agrees costs one run; ``attempts`` records every run, as in
voting. With ``concurrent_retries`` a disagreeing greedy run sends all its reruns at once (LangGraph
runs the branches in parallel, so a llama-server's slots decode them together): the first agreeing
run in seed order still wins, so the answer is the sequential one, at the cost of the reruns the
sequential check would have skipped.
"""

import operator
from functools import partial
from typing import Annotated, Any, Literal, NotRequired

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send
from pydantic import Field
from pydantic.dataclasses import dataclass

from graphs.binding import CompiledLumosGraph
from graphs.voting import Attempt, AttemptInput, RerunContext, attempt, kept_run, majority, vote_key
from nodes.budget import within_budget
from nodes.context import STRICT, Context, context_of, core_settings, domain_of, setting, settings_class
from nodes.extraction import extract_final_answer
from nodes.state import LumosInput, LumosState

MAX_PLAN_RETRIES = 8  # a cross-checked task costs at most 1 + this many runs
Fallback = Literal["greedy", "majority", "reasoning"]


@settings_class
@dataclass(frozen=True, kw_only=True, config=STRICT)
class CrossCheckContext(RerunContext):
    """Cross-checking's settings: how often to rerun, whether reruns keep the solution, the fallback."""

    plan_retries: Annotated[int, Field(ge=0, le=MAX_PLAN_RETRIES)] = setting(
        0,
        "with --plan-reasoning: rerun (sampled) up to K times while the executed answer disagrees "
        "with the reasoning's; the first agreeing run wins, else the fallback's",
    )
    keep_reasoning: bool = setting(
        False,
        "with --plan-reasoning steps and --plan-retries: the reruns keep the greedy run's "
        "step-by-step solution and sample only the plan and its grounding",
    )
    concurrent_retries: bool = setting(
        False,
        "with --plan-retries: send every sampled rerun at once (to a llama-server's slots) instead of "
        "one by one; the same answer, at the cost of the reruns a sequential check skips",
    )
    crosscheck_fallback: Fallback = setting(
        "greedy",
        "with --plan-retries, when no run agrees with its reasoning: keep the greedy run's answer; "
        "the executed answer most runs reached; or (reasoning) the answer every run executed if they "
        "all reached one, else the greedy run's reasoning's own answer",
    )

    def rerun_setting(self) -> str | None:
        """Return "plan_retries" when this context cross-checks."""
        return "plan_retries" if self.plan_retries else None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.plan_retries and self.plan_reasoning == "off":
            raise ValueError(
                "plan_retries checks the executed answer against the planner's reasoning: "
                "it needs plan_reasoning sketch or steps"
            )
        if self.keep_reasoning and not (self.plan_retries and self.plan_reasoning == "steps"):
            raise ValueError(
                "keep_reasoning keeps the greedy step-by-step solution for cross-checking reruns: "
                "it needs plan_reasoning steps and plan_retries"
            )


def settings_of(runtime: Runtime[Context]) -> CrossCheckContext:
    """Return the wrapper's settings; a plain Context's are none (one run, the greedy fallback)."""
    context = context_of(runtime)
    if isinstance(context, CrossCheckContext):
        return context
    return CrossCheckContext(**core_settings(context))


class CrossCheckState(LumosState):
    """A Lumos state (the chosen run's) plus every run's attempt."""

    attempts: Annotated[list[Attempt], operator.add]
    agreed: NotRequired[bool]  # whether the chosen run's executed answer matches its reasoning's
    chosen: NotRequired[int]  # the chosen run's sample number (0: the greedy run)
    answer_source: NotRequired[Literal["execution", "reasoning"]]  # which module's answer stands


def reasoning_answer(run: dict[str, Any], context: Context) -> str | None:
    """Return the answer a run's reasoning states (``The answer is N.``), or None."""
    reasoning = run.get("reasoning")
    if not reasoning:
        return None
    return extract_final_answer(reasoning, numeric=domain_of(run, context) == "maths")


def agrees(run: Attempt, context: Context) -> bool:
    """Return whether a run's executed answer is the one its reasoning states."""
    executed = vote_key(run["answer"])
    return executed is not None and executed == vote_key(reasoning_answer(run["state"], context))


def branch(state: CrossCheckState, runtime: Runtime[Context], sample: int) -> AttemptInput:
    """Return run ``sample``'s input: greedy for 0, sampled with its own seed after."""
    runs = state.get("attempts", [])
    task = AttemptInput(task=state["task"], sample=sample)
    if "domain" in state:
        task["domain"] = state["domain"]
    if "reasoning" in state:  # the caller's own solution: every run plans under it
        task["reasoning"] = state["reasoning"]
    elif runs and settings_of(runtime).keep_reasoning:
        # the greedy solution is the likelier right one: sample only the plan and grounding under it
        greedy = min(runs, key=lambda a: a["sample"])["state"].get("reasoning")
        if greedy:
            task["reasoning"] = greedy
    return task


def run_next(
    state: CrossCheckState, runtime: Runtime[Context], *, inner: CompiledLumosGraph
) -> dict[str, Any]:
    """Run the formulation once more: greedy the first time, sampled with a new seed after."""
    return attempt(branch(state, runtime, len(state.get("attempts", []))), runtime, inner=inner)


def after_run(state: CrossCheckState, runtime: Runtime[Context]) -> str | list[Send]:
    """Run again while the last run disagrees with its reasoning and retries are left.

    With ``concurrent_retries`` the greedy run's disagreement sends every rerun at once.
    """
    context = settings_of(runtime)
    runs = state["attempts"]
    if agrees(runs[-1], context) or len(runs) > context.plan_retries:
        return "settle"
    if context.concurrent_retries:
        return [Send("rerun", branch(state, runtime, k)) for k in range(1, context.plan_retries + 1)]
    return "attempt"


def unanimous(runs: list[Attempt]) -> bool:
    """Return whether two or more runs all executed one and the same answer."""
    keys = {vote_key(run["answer"]) for run in runs}
    return len(runs) > 1 and len(keys) == 1 and None not in keys


def fall_back(runs: list[Attempt], stated: str | None, fallback: str) -> tuple[Attempt, bool]:
    """Return the run a fallback keeps when no run agrees, and whether ``stated`` replaces its answer.

    ``stated`` is the greedy run's reasoning's answer; it stands only under the ``reasoning``
    fallback, and only when the runs did not all execute one answer.
    """
    kept = majority(runs)[0] if fallback == "majority" else runs[0]
    return kept, fallback == "reasoning" and stated is not None and not unanimous(runs)


def settle(state: CrossCheckState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Keep the first run that agrees with its reasoning, else the fallback's; count every run's calls."""
    context = settings_of(runtime)
    runs = sorted(state["attempts"], key=lambda a: a["sample"])
    chosen = next((run for run in runs if agrees(run, context)), None)
    update: dict[str, Any] = {"answer_source": "execution"}
    if chosen is None:  # no run agrees: the greedy run, the commonest executed answer, or the reasoning
        stated = reasoning_answer(runs[0]["state"], context)
        chosen, from_reasoning = fall_back(runs, stated, context.crosscheck_fallback)
        if from_reasoning:
            update = {"answer_source": "reasoning", "answer": stated, "error": None}
    return kept_run(chosen, runs) | update | {"agreed": agrees(chosen, context), "chosen": chosen["sample"]}


def build(
    inner: CompiledLumosGraph,
) -> StateGraph[CrossCheckState, CrossCheckContext, LumosInput, CrossCheckState]:
    """Return the uncompiled cross-checking graph over a compiled formulation graph."""
    builder = StateGraph(CrossCheckState, input_schema=LumosInput, context_schema=CrossCheckContext)
    builder.add_node("attempt", within_budget(partial(run_next, inner=inner)))
    builder.add_node("rerun", within_budget(partial(attempt, inner=inner)))  # concurrent_retries
    builder.add_node("settle", within_budget(settle, final=True))
    builder.add_edge(START, "attempt")
    builder.add_conditional_edges("attempt", after_run, ["attempt", "rerun", "settle"])
    builder.add_edge("rerun", "settle")
    builder.add_edge("settle", END)
    return builder


def compiled(inner: CompiledLumosGraph, name: str | None = None) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Return the compiled cross-checking graph over ``inner`` (its name: ``<inner>-crosscheck``)."""
    return build(inner).compile(name=name or f"{inner.name}-crosscheck")
