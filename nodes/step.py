"""Baselines on a live environment, one step per call: integrated (a subgoal and its actions) or direct.

On an interactive domain (web) a one-pass baseline would act on pages it has never seen. Here each
call shows the task, every earlier step and what it left (the page now), and asks for the next
step only: the integrated baseline writes a subgoal and its actions (one model plans and acts),
the direct baseline writes the actions alone (no plan). The actions run through the shared
execution node; the loop ends when the environment ends, the model writes Lumos's stop line, or
``max_subgoals`` steps have run. The prompt joins Lumos's pieces as the one-pass integrated
baseline does (``nodes/integrated.py``): the planning instruction and the domain's action catalogue.
"""

from typing import Any, Literal

from langgraph.runtime import Runtime

from models.registry import ModelProvider
from nodes import grammar, prompts, protocol
from nodes.calls import ModelCallError, Request, ask
from nodes.context import Context, context_of
from nodes.conversations import plan_feedback
from nodes.domain import Annotation, Domain, Domains, domain_for
from nodes.inputs import invalid_input
from nodes.integrated import parse_integrated
from nodes.progress import groundings_so_far, unknown_actions, variables_assigned
from nodes.prompts import DIRECT_INSTRUCTION, INSTRUCT_STEP_SYSTEM, INTEGRATED_INSTRUCTION, Turn
from nodes.selection import shots_for
from nodes.state import LumosState, failure

StepStyle = Literal["integrated", "direct"]


def step_prompt(task: str, domain: Domain, style: StepStyle) -> str:
    """Return the first user turn: the instruction, the domain's action catalogue, the task."""
    prefix = domain.ground_prefix or prompts.GROUND_PREFIX[domain.prompt_family]
    catalogue = prefix.split("\n\n", 1)[1]  # drop the grounding instruction
    instruction = INTEGRATED_INSTRUCTION if style == "integrated" else DIRECT_INSTRUCTION
    return f"{instruction}{catalogue}Task: {task.strip()}"


def step_line(index: int, subgoal: str, actions: str, style: StepStyle) -> str:
    """Render one step as the model writes it: the subgoal line (integrated) and its action line."""
    return f"{protocol.render_subgoal(index, subgoal)}\n{actions}" if style == "integrated" else actions


def step_conversation(
    task: str,
    steps: list[tuple[str, str, str]],
    domain: Domain,
    style: StepStyle,
    *,
    stopped: bool = False,
) -> list[Turn]:
    """Return the turns of a task given its ``(subgoal, actions, result)`` steps so far."""
    turns: list[Turn] = [("user", step_prompt(task, domain, style))]
    for index, (subgoal, actions, result) in enumerate(steps, start=1):
        turns.append(("assistant", step_line(index, subgoal, actions, style)))
        turns.append(("user", plan_feedback(index, result, rendering="eval")))
    if stopped:
        turns.append(("assistant", protocol.STOP_LINE))
    return turns


def steps_so_far(state: LumosState) -> list[tuple[str, str, str]]:
    """Return each executed step's subgoal (empty for direct), action line and result.

    Every executed step ran at least one action (an output without any is refused), so its action
    line and its result line up one to one.
    """
    subgoals = state.get("subgoals", [])
    lines = groundings_so_far(state)
    results = state.get("subgoal_results", [])
    return [
        (subgoals[k] if k < len(subgoals) else "", line, result)
        for k, (line, result) in enumerate(zip(lines, results, strict=True))
    ]


def exemplar_turns(exemplars: list[Annotation], domain: Domain, style: StepStyle) -> list[Turn]:
    """Render solved episodes as step-by-step conversations ending with the stop line."""
    turns: list[Turn] = []
    for ex in exemplars:
        steps = list(zip(ex["subgoals"], ex["actions"], ex["results"], strict=True))
        turns += step_conversation(ex["task"], steps, domain, style, stopped=True)
    return turns


def step_grammar(state: LumosState, context: Context, domain: Domain, style: StepStyle) -> str:
    """Return the GBNF of one step: the stop line, or (a subgoal line and) the domain's action line."""
    actions = domain.ground_grammar(
        domain.actions, assigned=variables_assigned(state), max_actions=context.max_actions, state=state
    ).replace("root ::=", "acts ::=", 1)
    index = len(state.get("subgoal_results", [])) + 1
    subgoal_line = f'{grammar.literal(protocol.render_subgoal(index, ""))} [^\\n]+ "\\n" '
    head = subgoal_line if style == "integrated" else ""
    return f"root ::= {head}acts | {grammar.literal(protocol.STOP_LINE)}\n{actions}"


def read_step(text: str, context: Context, domain: Domain, style: StepStyle) -> dict[str, Any]:
    """Return the update one step's output makes: its subgoal and queued actions, or that it stopped."""
    update: dict[str, Any] = {"plan_outputs": [" ".join(text.split())], "model_calls": 1}
    if protocol.is_stop(" ".join(text.split())):
        return update | {"stop_reason": "planner"}
    try:
        if style == "integrated":
            subgoal, actions = parse_integrated(text)[0]  # the next step only; later ones run ahead
        else:
            first_line = text.strip().splitlines()[0] if text.strip() else ""
            subgoal, actions = "", protocol.parse_actions(first_line)
    except protocol.ParseError as err:
        return failure(f"{style} output is not a step with actions ({err.reason}): {err.text!r}", update)
    if not actions:
        return failure(f"{style} output has no actions for its step: {text!r}", update)
    if unknown := unknown_actions(actions, domain.actions):
        available = ", ".join(sorted(domain.actions))
        used = ", ".join(unknown)
        return failure(f"unknown action(s) {used}; the {domain.name} actions are {available}", update)
    if len(actions) > context.max_actions:
        return failure(f"{len(actions)} actions; the limit is {context.max_actions} (max_actions)", update)
    planned = {"subgoals": [subgoal]} if style == "integrated" else {}
    return update | planned | {"ground_outputs": [protocol.render_actions(actions)], "pending": actions}


def step(
    state: LumosState, runtime: Runtime[Context], *, models: ModelProvider, style: StepStyle, domains: Domains
) -> dict[str, Any]:
    """Ask one model for the next step on the environment as it is now, and queue its actions."""
    context = context_of(runtime)
    if problem := invalid_input(state, context, domains):
        return failure(problem)
    if len(state.get("subgoal_results", [])) >= context.max_subgoals:
        return {"stop_reason": "max_subgoals"}  # the cap that keeps the loop bounded
    domain = domain_for(state, context, domains)
    gbnf = step_grammar(state, context, domain, style) if grammar.is_constrained(context) else None
    request = Request(
        "planner",
        context.planner,
        step_conversation(state["task"], steps_so_far(state), domain, style),
        INSTRUCT_STEP_SYSTEM[style],
        exemplar_turns(list(domain.exemplars)[: shots_for(domain, context)], domain, style),
        stop=("\n\n",),
        grammar=gbnf,
    )
    try:
        return read_step(ask(models, context, request), context, domain, style)
    except ModelCallError as err:
        return failure(str(err))
