"""Grounding module: turn the newest subgoal (Lumos-I) or the whole plan (Lumos-O) into actions."""

from typing import Any, cast

from langgraph.runtime import Runtime

from models.registry import ModelProvider
from nodes import conversations, grammar, prompts, protocol
from nodes.calls import ModelCallError, Request, ask
from nodes.context import Context, context_of
from nodes.domain import Domain, Domains, domain_for
from nodes.events import action_events, emit
from nodes.progress import groundings_so_far, subgoal_in_turn, unknown_actions, variables_assigned
from nodes.prompts import Formulation
from nodes.selection import exemplars_for
from nodes.state import LumosState, failure


def speaks_lumos(domain: Domain, context: Context) -> bool:
    """Return whether the grounder gets Lumos's own text: the lumos profile, in a family Lumos wrote."""
    return context.profile == "lumos" and domain.prompt_family in prompts.GROUND_PREFIX


def grounder_request(
    state: LumosState, context: Context, formulation: Formulation, domain: Domain
) -> Request:
    """Return the grounder's call: the task, the subgoals and earlier groundings, examples, grammar."""
    common: dict[str, Any] = {
        "domain": domain.prompt_family,
        "formulation": formulation,
        "rendering": context.rendering,
        "terse": context.profile == "instruct",
        # released checkpoints need Lumos's text: its prefix, and results only where its script shows them
        "show_results": context.ground_feedback
        or (domain.ground_sees_results and not speaks_lumos(domain, context)),
        "prefix": None if speaks_lumos(domain, context) else domain.ground_prefix or None,
    }
    # a live page: each turn restates the page it acts on, not every earlier one (nor what changed:
    # the planner's turns carry that), so the prompt grows by one page a turn and its prefix is reused
    common["latest_only"] = common["show_results"] and common["terse"] and domain.changes is not None
    turns = conversations.ground_conversation(
        state["task"],
        state["subgoals"],
        groundings_so_far(state) if formulation == "iterative" else [],
        results=state.get("subgoal_results", []),
        reasoning=state.get("reasoning"),
        **common,
    )
    exemplars = exemplars_for(domain, state["task"], context)
    examples = conversations.exemplar_ground_turns(
        exemplars,
        reasoning="reasoning" in state,
        programs=context.program_aided and context.profile == "instruct",
        **common,
    )
    gbnf = None
    if grammar.is_constrained(context):
        gbnf = domain.ground_grammar(
            domain.actions,
            assigned=variables_assigned(state),
            max_actions=context.max_actions,
            state=state,
            profile=context.profile,
        )
    return Request(
        "grounder", context.grounder, turns, prompts.INSTRUCT_GROUND_SYSTEM, examples, grammar=gbnf
    )


def read_actions(text: str, context: Context, domain: Domain) -> dict[str, Any]:
    """Return the update a grounder output makes: its actions queued for execution, or why it failed."""
    update: dict[str, Any] = {"ground_outputs": [text], "model_calls": 1}
    try:
        actions = protocol.parse_actions(
            text, drop_unfinished=grammar.is_constrained(context), statements=domain.statements
        )
    except protocol.ParseError as err:
        return failure(f"grounder output is not a Lumos action list ({err.reason}): {err.text!r}", update)
    if unknown := unknown_actions(actions, domain.actions):
        available = ", ".join(sorted(domain.actions))
        used = ", ".join(unknown)
        message = f"the grounder used unknown action(s) {used}; the {domain.name} actions are {available}"
        return failure(message, update)
    if len(actions) > context.max_actions:
        limit = f"the limit is {context.max_actions} (max_actions)"
        return failure(f"the grounder wrote {len(actions)} actions; {limit}", update)
    return update | {"pending": actions}


def ground(
    state: LumosState,
    runtime: Runtime[Context],
    *,
    models: ModelProvider,
    formulation: Formulation,
    domains: Domains,
    one_at_a_time: bool = False,
) -> dict[str, Any]:
    """Ask the grounder for the actions of the pending subgoal(s) and queue them for execution."""
    context = context_of(runtime)
    domain = domain_for(state, context, domains)
    if formulation == "onetime" and domain.interactive and not one_at_a_time:
        return failure(
            f"the {domain.name} domain acts on a live environment, where Lumos-O grounds one subgoal "
            "at a time: run it through the `lumos` graph, graphs.pipeline, or "
            "graphs.onetime.build(one_at_a_time=True)"
        )
    subgoal = subgoal_in_turn(state, formulation, one_at_a_time)
    if formulation == "onetime" and subgoal:
        # one subgoal of a Lumos-O plan, grounded as a Lumos-I turn would be: on the page it finds
        state = cast(LumosState, {**state, "subgoals": state["subgoals"][:subgoal]})
        formulation = "iterative"
    try:
        update = read_actions(
            ask(models, context, grounder_request(state, context, formulation, domain)), context, domain
        )
    except ModelCallError as err:
        return failure(str(err))
    emit(runtime, *action_events(update.get("pending", []), subgoal=subgoal))
    return update
