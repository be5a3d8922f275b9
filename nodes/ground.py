"""Grounding module: turn the newest subgoal (Lumos-I) or the whole plan (Lumos-O) into actions."""

from collections.abc import Collection, Mapping
from typing import Any

from langgraph.runtime import Runtime

from models.registry import ModelProvider
from nodes import grammar, prompts, protocol
from nodes.calls import ModelCallError, ask_line
from nodes.context import Context, context_of, domain_of
from nodes.events import action_events, emit
from nodes.prompts import Formulation
from nodes.selection import exemplars_for
from nodes.state import LumosState


def groundings_so_far(state: LumosState) -> list[str]:
    """Return the action line of each subgoal grounded and executed so far (Lumos-I)."""
    lines: dict[int, list[protocol.Action]] = {}
    for action in state.get("actions", []):
        lines.setdefault(action["subgoal"], []).append(
            protocol.Action(outputs=action["outputs"], name=action["name"], args=action["args"])
        )
    return [protocol.render_actions(lines[k]) for k in sorted(lines) if k > 0]


def variables_assigned(state: LumosState) -> int:
    """Return the highest k of the ``Rk`` that executed actions assigned (0 before any): the next is k+1."""
    indices = [
        protocol.variable_index(name)
        for action in state.get("actions", [])
        for name in action["outputs"]
        if protocol.VARIABLE.fullmatch(name)
    ]
    return max(indices, default=0)


def unknown_actions(actions: list[protocol.Action], available: Collection[str]) -> list[str]:
    """Return the action names that are not in the domain's action set (passthrough is allowed)."""
    return [a["name"] for a in actions if a["name"] and a["name"] not in available]


def ground(
    state: LumosState,
    runtime: Runtime[Context],
    *,
    models: ModelProvider,
    formulation: Formulation,
    action_sets: Mapping[str, Collection[str]],
) -> dict[str, Any]:
    """Ask the grounder for the actions of the pending subgoal(s) and queue them for execution."""
    context = context_of(runtime)
    domain = domain_of(state, context)
    exemplars = exemplars_for(domain, state["task"], context)
    turns = prompts.ground_conversation(
        state["task"],
        state["subgoals"],
        groundings_so_far(state) if formulation == "iterative" else [],
        domain=domain,
        formulation=formulation,
        rendering=context.rendering,
        terse=context.profile == "instruct",
        results=state.get("subgoal_results", []),
        show_results=context.ground_feedback,
        reasoning=state.get("reasoning"),
    )
    examples = prompts.exemplar_ground_turns(
        exemplars,
        domain=domain,
        formulation=formulation,
        rendering=context.rendering,
        terse=context.profile == "instruct",
        show_results=context.ground_feedback,
        reasoning="reasoning" in state,
    )
    try:
        text = ask_line(
            models,
            context,
            role="grounder",
            spec=context.grounder,
            turns=turns,
            system=prompts.INSTRUCT_GROUND_SYSTEM,
            examples=examples,
            grammar=grammar.ground(
                action_sets[domain], assigned=variables_assigned(state), max_actions=context.max_actions
            )
            if grammar.is_constrained(context)
            else None,
        )
    except ModelCallError as err:
        return {"error": str(err), "stop_reason": "error"}
    update: dict[str, Any] = {"ground_outputs": [text], "model_calls": 1}
    try:
        actions = protocol.parse_actions(text, drop_unfinished=grammar.is_constrained(context))
    except protocol.ParseError as err:
        return update | {
            "error": f"grounder output is not a Lumos action list ({err.reason}): {err.text!r}",
            "stop_reason": "error",
        }
    if unknown := unknown_actions(actions, action_sets[domain]):
        available = ", ".join(sorted(action_sets[domain]))
        return update | {
            "error": f"the grounder used unknown action(s) {', '.join(unknown)}; "
            f"the {domain} actions are {available}",
            "stop_reason": "error",
        }
    if len(actions) > context.max_actions:
        return update | {
            "error": f"the grounder wrote {len(actions)} actions; the limit is "
            f"{context.max_actions} (max_actions)",
            "stop_reason": "error",
        }
    subgoal = len(state["subgoals"]) if formulation == "iterative" else 0
    emit(runtime, *action_events(actions, subgoal=subgoal))
    return update | {"pending": actions}
