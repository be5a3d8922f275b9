"""Integrated baseline: one model writes the plan and its grounded actions in a single pass.

Lumos compares its separate planning and grounding modules with "integrated training", where one
model produces subgoals and actions together (lumos-reference §1, §8.1). Lumos ships no script or
prompt for it, so the prompt below joins Lumos's own pieces: the planning instruction and the
domain's action catalogue, verbatim from the grounding prefix. The actions then run through the
same execution and answer nodes as Lumos-O.
"""

from collections.abc import Collection, Mapping
from typing import Any

from langgraph.runtime import Runtime

from models.registry import ModelProvider
from nodes import prompts, protocol
from nodes.calls import ModelCallError, ask_line
from nodes.context import Context, context_of, domain_of
from nodes.exemplars import EXEMPLARS, Annotation
from nodes.ground import unknown_actions
from nodes.plan import invalid_input
from nodes.prompts import Turn
from nodes.state import LumosState

INTEGRATED_INSTRUCTION = (
    "Please provide a reasonable subgoal-based plan to solve the given task, and ground each subgoal "
    "to corresponding executable actions. The grounded actions must be the one in available action list.\n\n"
)
INTEGRATED_TASK = "{instruction}{catalogue}Task: {task}"
INSTRUCT_INTEGRATED_SYSTEM = (
    "You are a problem-solving agent that plans and acts in one pass. Write the plan as lines "
    "`Subgoal k: ...`, each followed by one line of executable actions from the available action list, "
    "written as `R1 = Action(arguments)` and separated by `; `. Number results R1, R2, ... across the "
    "whole task and refer to earlier results by their variables; the last action computes the final "
    "answer. Follow the format of the examples exactly."
)
LUMOS_STOP = ("<|user|>",)  # a raw completion would run on into the next turn


def integrated_prompt(task: str, domain: str) -> str:
    """Return the user turn: Lumos's planning instruction, the domain's action catalogue, the task."""
    catalogue = prompts.GROUND_PREFIX[domain].split("\n\n", 1)[1]  # drop the grounding instruction
    return INTEGRATED_TASK.format(instruction=INTEGRATED_INSTRUCTION, catalogue=catalogue, task=task.strip())


def exemplar_turns(exemplars: list[Annotation], domain: str) -> list[Turn]:
    """Render worked examples as integrated question/answer turns (the `instruct` profile)."""
    turns: list[Turn] = []
    for ex in exemplars:
        steps = [
            (subgoal, protocol.parse_actions(line))
            for subgoal, line in zip(ex["subgoals"], ex["actions"], strict=True)
        ]
        turns += [
            ("user", integrated_prompt(ex["task"], domain)),
            ("assistant", protocol.render_integrated(steps)),
        ]
    return turns


def integrate(
    state: LumosState,
    runtime: Runtime[Context],
    *,
    models: ModelProvider,
    action_sets: Mapping[str, Collection[str]],
) -> dict[str, Any]:
    """Ask one model for the subgoals and their actions at once, and queue the actions for execution."""
    context = context_of(runtime)
    if problem := invalid_input(state, context, set(action_sets)):
        return {"error": problem, "stop_reason": "error"}
    domain = domain_of(state, context)
    try:
        text = ask_line(
            models,
            context,
            role="planner",
            spec=context.planner,
            turns=[("user", integrated_prompt(state["task"], domain))],
            system=INSTRUCT_INTEGRATED_SYSTEM,
            examples=exemplar_turns(EXEMPLARS.get(domain, [])[: context.shots], domain),
            stop=() if context.profile == "instruct" else LUMOS_STOP,
        )
    except ModelCallError as err:
        return {"error": str(err), "stop_reason": "error"}
    update: dict[str, Any] = {"plan_outputs": [text], "model_calls": 1}
    try:
        steps = protocol.parse_integrated(text)
    except protocol.ParseError as err:
        return update | {
            "error": f"integrated output is not a plan with actions ({err.reason}): {err.text!r}",
            "stop_reason": "error",
        }
    actions = [action for _, grounded in steps for action in grounded]
    if unknown := unknown_actions(actions, action_sets[domain]):
        available = ", ".join(sorted(action_sets[domain]))
        return update | {
            "error": f"unknown action(s) {', '.join(unknown)}; the {domain} actions are {available}",
            "stop_reason": "error",
        }
    if len(steps) > context.max_subgoals or len(actions) > context.max_actions:
        return update | {
            "error": f"{len(steps)} subgoals and {len(actions)} actions; the limits are "
            f"{context.max_subgoals} (max_subgoals) and {context.max_actions} (max_actions)",
            "stop_reason": "error",
        }
    return update | {
        "subgoals": [subgoal for subgoal, _ in steps],
        "ground_outputs": [protocol.render_actions(grounded) for _, grounded in steps if grounded],
        "pending": actions,
    }
