"""Planning module: ask the planner for the next subgoal (Lumos-I) or the whole plan (Lumos-O)."""

from typing import Any, cast

from langgraph.runtime import Runtime

from models.registry import ModelProvider
from nodes import conversations, grammar, history, prompts, protocol
from nodes.calls import ModelCallError, Request, ask
from nodes.context import Context, PlanReasoning, context_of
from nodes.domain import Domain, Domains, domain_for
from nodes.events import ReasoningEvent, StopEvent, emit, subgoal_events
from nodes.inputs import invalid_input
from nodes.progress import nudge
from nodes.prompts import Formulation
from nodes.selection import exemplars_for
from nodes.state import LumosState, failure


def reasoning_mode(context: Context) -> PlanReasoning:
    """Return how the planner reasons first: only the instruct profile does (Lumos never did)."""
    return context.plan_reasoning if context.profile == "instruct" else "off"


def reasoning_problem(state: LumosState, context: Context, formulation: Formulation) -> str | None:
    """Return why the run's planner reasoning cannot be honoured, or None."""
    mode = reasoning_mode(context)
    if mode != "off" and formulation != "onetime":
        return "plan_reasoning works with the one-time formulation only"
    if state.get("reasoning") is not None and mode != "steps":
        return "a given reasoning needs plan_reasoning steps (instruct profile)"
    if mode == "steps" and state.get("reasoning") is None:
        return "plan_reasoning steps needs Lumos-O's solve node before planning (graphs/onetime.py)"
    return None


def planner_request(state: LumosState, context: Context, formulation: Formulation, domain: Domain) -> Request:
    """Return the planner's call: the task and history, worked examples, stop strings and grammar."""
    mode, terse, done = reasoning_mode(context), context.profile == "instruct", len(state.get("subgoals", []))
    shape = (
        prompts.INSTRUCT_PLAN_SYSTEM_ITERATIVE
        if formulation == "iterative"
        else prompts.INSTRUCT_PLAN_SYSTEM_ONETIME
    )
    system = prompts.INSTRUCT_PLAN_SYSTEM + shape + prompts.INSTRUCT_PLAN_SYSTEM_REASONING[mode]
    changes = domain.changes if terse else None  # Lumos's own text shows results as they are
    exemplars = history.compacted(exemplars_for(domain, state["task"], context), changes, domain.unfinished)
    examples = conversations.exemplar_plan_turns(
        exemplars, formulation=formulation, rendering=context.rendering, terse=terse, reasoning=mode
    )
    results = history.compact_results(state["task"], state.get("subgoal_results", []), changes)
    if terse and results and (note := domain.unfinished(state)):
        results[-1] += f"\n{note}"  # what the environment says is unmet, with the newest result
    turns = conversations.plan_conversation(
        state["task"],
        state.get("subgoals", []),
        results,
        formulation=formulation,
        rendering=context.rendering,
        terse=terse,
        solution=state.get("reasoning"),
        family=domain.prompt_family,
        nudges=state.get("nudges", []),
    )
    # Lumos modules answer in one line. Chat models sometimes break the line after "No, I will keep
    # planning.", so in the instruct profile the planner may use several lines, joined back into one.
    stop: tuple[str, ...] = ("\n",) if context.profile == "lumos" else ("\n\n",)
    gbnf = None
    if formulation == "onetime":  # a runaway plan stops where it would break the max_subgoals limit
        stop += (protocol.render_subgoal(context.max_subgoals + 1, "").strip(),)
        gbnf = grammar.plan_onetime(context.max_subgoals, reasoning=mode == "sketch", first=done + 1)
    else:
        gbnf = grammar.plan_iterative(done + 1)
    constrained = gbnf if grammar.is_constrained(context) else None
    return Request("planner", context.planner, turns, system, examples, stop, constrained)


def read_plan(text: str, state: LumosState, context: Context, formulation: Formulation) -> dict[str, Any]:
    """Return the update a planner output makes: its subgoals, its sketch line, or that it stopped."""
    update: dict[str, Any] = {"plan_outputs": [" ".join(text.split())], "model_calls": 1}
    if reasoning_mode(context) == "sketch":
        sketch, text = protocol.split_reasoning(text)
        if sketch is None:
            return failure(
                f"planner output has no `{protocol.REASONING.strip()}` line before its plan: {text!r}", update
            )
        update["reasoning"] = sketch
        if not text.strip():
            return failure(
                "the planner's reasoning ran to the token limit before its plan (max_new_tokens)", update
            )
    text = " ".join(text.split())
    if formulation == "iterative" and protocol.is_stop(text):
        return update | {"stop_reason": "planner"}
    try:
        subgoals = protocol.parse_subgoals(text)
    except protocol.ParseError as err:
        return failure(f"planner output is not a Lumos plan ({err.reason}): {err.text!r}", update)
    if formulation == "iterative":
        subgoals = subgoals[:1]  # one subgoal per turn; extra ones are the model running ahead
    elif len(subgoals) + len(state.get("subgoals", [])) > context.max_subgoals:
        limit = f"the limit is {context.max_subgoals} (max_subgoals)"
        return failure(f"the plan has {len(subgoals)} subgoals; {limit}", update)
    return update | {"subgoals": subgoals}


def ask_planner(
    models: ModelProvider, state: LumosState, context: Context, formulation: Formulation, domain: Domain
) -> dict[str, Any]:
    """Return the update of one planner call on the state as it stands."""
    try:
        request = planner_request(state, context, formulation, domain)
    except (ValueError, OSError) as err:  # an unreadable pool, or examples without reasoning lines
        raise ModelCallError(f"cannot show worked examples: {err}") from err
    return read_plan(ask(models, context, request), state, context, formulation)


def plan(
    state: LumosState,
    runtime: Runtime[Context],
    *,
    models: ModelProvider,
    formulation: Formulation,
    domains: Domains,
) -> dict[str, Any]:
    """Ask the planner for the next subgoal(s), or record that it stopped."""
    context = context_of(runtime)
    if problem := invalid_input(state, context, domains) or reasoning_problem(state, context, formulation):
        return failure(problem)
    if formulation == "iterative" and len(state.get("subgoals", [])) >= context.max_subgoals:
        return {"stop_reason": "max_subgoals"}  # the cap that keeps Lumos-I bounded
    domain = domain_for(state, context, domains)
    try:
        update = ask_planner(models, state, context, formulation, domain)
        said = update["plan_outputs"][0] if update.get("stop_reason") == "planner" else ""
        if said and (told := nudge(state, context, domain, said)):
            emit(runtime, StopEvent(type="stop", text=said))
            # the stop is answered by what is unmet, and the planner asked once more
            again = ask_planner(
                models,
                cast(LumosState, {**state, "nudges": [*state.get("nudges", []), told]}),
                context,
                formulation,
                domain,
            )
            update = again | {
                "nudges": [told],
                "plan_outputs": update["plan_outputs"] + again["plan_outputs"],
            }
            update["model_calls"] = 2
    except ModelCallError as err:
        return failure(str(err))
    if "reasoning" in update:
        emit(runtime, ReasoningEvent(type="reasoning", text=update["reasoning"]))
    if update.get("stop_reason") == "planner":
        emit(runtime, StopEvent(type="stop", text=update["plan_outputs"][-1]))
    emit(runtime, *subgoal_events(update.get("subgoals", []), first=len(state.get("subgoals", [])) + 1))
    return update
