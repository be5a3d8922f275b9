"""Integrated baseline: one model writes the plan and its grounded actions in a single pass.

Lumos compares its separate planning and grounding modules with "integrated training", where one
model produces subgoals and actions together (lumos-reference §1, §8.1). Lumos ships no script or
prompt for it, so the prompt below joins Lumos's own pieces: the planning instruction and the
domain's action catalogue, verbatim from the grounding prefix. The actions then run through the
same execution and answer nodes as Lumos-O. Its output format (subgoal lines, each followed by its
action line) is parsed and rendered here, from the protocol's own pieces.
"""

import re
from typing import Any

from langgraph.runtime import Runtime

from models.registry import ModelProvider
from nodes import prompts, protocol
from nodes.calls import ModelCallError, Request, ask
from nodes.context import Context, context_of
from nodes.domain import Annotation, Domains, domain_for
from nodes.inputs import invalid_input
from nodes.progress import unknown_actions
from nodes.prompts import INSTRUCT_INTEGRATED_SYSTEM, INTEGRATED_INSTRUCTION, INTEGRATED_TASK, Turn
from nodes.selection import shots_for
from nodes.state import LumosState, failure

LUMOS_STOP = ("<|user|>",)  # a raw completion would run on into the next turn

_ASSIGNMENT_HEAD = re.compile(r"^(R\d+(?:\s*,\s*R\d+)*|Output)\s*=")
_LIST_MARK = re.compile(r"^(?:[-*•]|\d+[.)])\s+")  # chat models like to bullet their lines


def parse_integrated(text: str) -> list[tuple[str, list[protocol.Action]]]:
    """Return ``(subgoal, actions)`` pairs of a plan written together with its groundings.

    One model plans and grounds in a single pass, each subgoal line followed by its action line::

        Subgoal 1: Calculate the clips sold in May.
        R1 = Calculator(48 / 2)

    Lines that are neither a subgoal nor an assignment (chatter, a closing sentence) are skipped;
    an assignment that does not parse raises, as a grounder output would.
    """
    steps: list[tuple[str, list[protocol.Action]]] = []
    for raw in text.splitlines():
        line = _LIST_MARK.sub("", raw.strip())
        head = protocol.SUBGOAL_HEAD.match(line)
        if head:
            description = line[head.end() :].strip()
            if not description:
                raise protocol.ParseError(f"Subgoal {head.group(1)} is empty", text)
            steps.append((description, []))
        elif steps and _ASSIGNMENT_HEAD.match(line):
            steps[-1][1].extend(protocol.parse_actions(line))
    if not steps:
        raise protocol.ParseError("expected `Subgoal k: ...` lines, each followed by its actions", text)
    if not any(actions for _, actions in steps):
        raise protocol.ParseError(
            "expected action lines such as `R1 = Calculator(2 + 3)` under the subgoals", text
        )
    return steps


def render_integrated(steps: list[tuple[str, list[protocol.Action]]]) -> str:
    """Render ``(subgoal, actions)`` pairs as the integrated baseline writes them (inverse of the parser)."""
    lines = []
    for index, (description, actions) in enumerate(steps, start=1):
        lines.append(protocol.render_subgoal(index, description))
        if actions:
            lines.append(protocol.render_actions(actions))
    return "\n".join(lines)


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
        turns += [("user", integrated_prompt(ex["task"], domain)), ("assistant", render_integrated(steps))]
    return turns


def read_integrated(text: str, context: Context, actions: frozenset[str], name: str) -> dict[str, Any]:
    """Return the update an integrated output makes: its subgoals and queued actions, or why it failed."""
    update: dict[str, Any] = {"plan_outputs": [text], "model_calls": 1}
    try:
        steps = parse_integrated(text)
    except protocol.ParseError as err:
        return failure(f"integrated output is not a plan with actions ({err.reason}): {err.text!r}", update)
    grounded = [action for _, line in steps for action in line]
    if unknown := unknown_actions(grounded, actions):
        available = ", ".join(sorted(actions))
        return failure(f"unknown action(s) {', '.join(unknown)}; the {name} actions are {available}", update)
    if len(steps) > context.max_subgoals or len(grounded) > context.max_actions:
        return failure(
            f"{len(steps)} subgoals and {len(grounded)} actions; the limits are "
            f"{context.max_subgoals} (max_subgoals) and {context.max_actions} (max_actions)",
            update,
        )
    return update | {
        "subgoals": [subgoal for subgoal, _ in steps],
        "ground_outputs": [protocol.render_actions(line) for _, line in steps if line],
        "pending": grounded,
    }


def integrate(
    state: LumosState, runtime: Runtime[Context], *, models: ModelProvider, domains: Domains
) -> dict[str, Any]:
    """Ask one model for the subgoals and their actions at once, and queue the actions for execution."""
    context = context_of(runtime)
    if problem := invalid_input(state, context, domains):
        return failure(problem)
    domain = domain_for(state, context, domains)
    family = domain.prompt_family
    request = Request(
        "planner",
        context.planner,
        [("user", integrated_prompt(state["task"], family))],
        INSTRUCT_INTEGRATED_SYSTEM,
        exemplar_turns(list(domain.exemplars)[: shots_for(domain, context)], family),
        stop=() if context.profile == "instruct" else LUMOS_STOP,
    )
    try:
        return read_integrated(ask(models, context, request), context, domain.actions, domain.name)
    except ModelCallError as err:
        return failure(str(err))
