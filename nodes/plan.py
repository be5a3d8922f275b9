"""Planning module: ask the planner for the next subgoal (Lumos-I) or the whole plan (Lumos-O)."""

from collections.abc import Collection
from typing import Any

from langgraph.runtime import Runtime

from models.registry import ModelProvider
from nodes import grammar, prompts, protocol, reason
from nodes.calls import ModelCallError, ask_line
from nodes.context import Context, context_of, domain_of
from nodes.events import ReasoningEvent, StopEvent, emit, subgoal_events
from nodes.prompts import Formulation
from nodes.selection import exemplars_for
from nodes.state import LumosState, task_problem


def invalid_input(state: LumosState, context: Context, domains: Collection[str]) -> str | None:
    """Return why the task cannot be run, or None."""
    task = state.get("task")
    if (problem := task_problem(task)) or not isinstance(task, str):
        return problem
    if len(task) > context.max_task_chars:
        return f"the task has {len(task)} characters; the limit is {context.max_task_chars} (max_task_chars)"
    if domain_of(state, context) not in domains:
        return f"unknown domain {domain_of(state, context)!r}; available: {', '.join(sorted(domains))}"
    if context.votes > 1 or context.plan_retries:  # settings of the wrappers, never of one run
        return (
            "votes and plan_retries rerun whole tasks: wrap the graph in graphs.voting or "
            "graphs.crosscheck (`lumos run` and `lumos eval` do) instead of setting them on it"
        )
    return None


def plan(
    state: LumosState,
    runtime: Runtime[Context],
    *,
    models: ModelProvider,
    formulation: Formulation,
    domains: Collection[str],
) -> dict[str, Any]:
    """Ask the planner for the next subgoal(s), or record that it stopped."""
    context = context_of(runtime)
    if problem := invalid_input(state, context, domains):
        return {"error": problem, "stop_reason": "error"}
    if formulation == "iterative" and len(state.get("subgoals", [])) >= context.max_subgoals:
        return {"stop_reason": "max_subgoals"}  # the cap that keeps Lumos-I bounded
    mode = context.plan_reasoning if context.profile == "instruct" else "off"
    if mode != "off" and formulation != "onetime":
        return {"error": "plan_reasoning works with the one-time formulation only", "stop_reason": "error"}
    given = state.get("reasoning")
    if given is not None and mode != "steps":
        return {
            "error": "a given reasoning needs plan_reasoning steps (instruct profile)",
            "stop_reason": "error",
        }
    update: dict[str, Any] = {"model_calls": 0}
    solution = given  # e.g. a cross-checking rerun keeps the greedy run's solution
    if mode == "steps":
        if solution is None:  # a step-by-step solution first, in the reasoner's own context
            try:
                solution = reason.worked_solution(models, context, state)
            except ModelCallError as err:
                return {"error": str(err), "stop_reason": "error"}
            update |= {"reasoning": solution, "model_calls": 1}
        emit(runtime, ReasoningEvent(type="reasoning", text=solution))
    system = prompts.INSTRUCT_PLAN_SYSTEM + (
        prompts.INSTRUCT_PLAN_SYSTEM_ITERATIVE
        if formulation == "iterative"
        else prompts.INSTRUCT_PLAN_SYSTEM_ONETIME
    )
    system += prompts.INSTRUCT_PLAN_SYSTEM_REASONING[mode]
    try:
        exemplars = exemplars_for(domain_of(state, context), state["task"], context)
        examples = prompts.exemplar_plan_turns(
            exemplars,
            formulation=formulation,
            rendering=context.rendering,
            terse=context.profile == "instruct",
            reasoning=mode,
        )
    except (ValueError, OSError) as err:  # an unreadable pool, or examples without reasoning lines
        return update | {"error": f"cannot show worked examples: {err}", "stop_reason": "error"}
    turns = prompts.plan_conversation(
        state["task"],
        state.get("subgoals", []),
        state.get("subgoal_results", []),
        formulation=formulation,
        rendering=context.rendering,
        terse=context.profile == "instruct",
        solution=solution,
    )
    # Lumos modules answer in one line. Chat models sometimes break the line after "No, I will keep
    # planning.", so in the instruct profile the planner may use several lines, joined back into one.
    stop: tuple[str, ...] = ("\n",) if context.profile == "lumos" else ("\n\n",)
    if formulation == "onetime":  # a runaway plan stops where it would break the max_subgoals limit
        stop += (protocol.render_subgoal(context.max_subgoals + 1, "").strip(),)
    gbnf = None
    if grammar.is_constrained(context):
        gbnf = (
            grammar.plan_iterative(len(state.get("subgoals", [])) + 1)
            if formulation == "iterative"
            else grammar.plan_onetime(context.max_subgoals, reasoning=mode == "sketch")
        )
    try:
        text = ask_line(
            models,
            context,
            role="planner",
            spec=context.planner,
            turns=turns,
            system=system,
            examples=examples,
            stop=stop,
            grammar=gbnf,
        )
    except ModelCallError as err:
        return update | {"error": str(err), "stop_reason": "error"}
    update |= {"plan_outputs": [" ".join(text.split())], "model_calls": update["model_calls"] + 1}
    if mode == "sketch":
        sketch, text = protocol.split_reasoning(text)
        if sketch is None:
            return update | {
                "error": f"planner output has no `{protocol.REASONING.strip()}` line before its plan: "
                f"{text!r}",
                "stop_reason": "error",
            }
        update["reasoning"] = sketch
        emit(runtime, ReasoningEvent(type="reasoning", text=sketch))
        if not text.strip():
            return update | {
                "error": "the planner's reasoning ran to the token limit before its plan (max_new_tokens)",
                "stop_reason": "error",
            }
    text = " ".join(text.split())
    if formulation == "iterative" and protocol.is_stop(text):
        emit(runtime, StopEvent(type="stop", text=text))
        return update | {"stop_reason": "planner"}
    try:
        subgoals = protocol.parse_subgoals(text)
    except protocol.ParseError as err:
        return update | {
            "error": f"planner output is not a Lumos plan ({err.reason}): {err.text!r}",
            "stop_reason": "error",
        }
    if formulation == "iterative":
        subgoals = subgoals[:1]  # one subgoal per turn; extra ones are the model running ahead
    elif len(subgoals) > context.max_subgoals:
        return update | {
            "error": f"the plan has {len(subgoals)} subgoals; the limit is {context.max_subgoals} "
            "(max_subgoals)",
            "stop_reason": "error",
        }
    emit(runtime, *subgoal_events(subgoals, first=len(state.get("subgoals", [])) + 1))
    return update | {"subgoals": subgoals}
