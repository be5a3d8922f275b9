"""Execution module: run the grounded actions with the domain's tools and record what they return."""

import logging
from collections.abc import Mapping
from typing import Any, cast

from langgraph.runtime import Runtime

from models.registry import ModelProvider
from nodes import protocol
from nodes.context import Context, context_of
from nodes.domain import Domains, domain_for
from nodes.events import emit, result_event
from nodes.progress import nudge, subgoal_in_turn
from nodes.prompts import Formulation
from nodes.protocol import ERROR_PREFIX
from nodes.state import ExecutedAction, LumosState, failure
from tools import MemoryTool, Toolbox

MAX_OBSERVATION_CHARS = 8000  # one limit for every value and error text a tool produces
logger = logging.getLogger(__name__)


def capped(text: str) -> str:
    """Return ``text`` cut to MAX_OBSERVATION_CHARS, with a visible marker when it was longer."""
    if len(text) <= MAX_OBSERVATION_CHARS:
        return text
    return text[:MAX_OBSERVATION_CHARS] + f" ... [truncated: {len(text)} characters in all]"


def run_action(
    action: protocol.Action, memory: Mapping[str, str], tools: Toolbox, subgoal: str = ""
) -> tuple[list[str], bool]:
    """Return the values an action assigns to its outputs, and whether it succeeded.

    Every failure (an undefined or failed variable, a tool error, even a bug in a tool) comes back
    as an ``Error: ...`` value so the planner sees it, as a tool message would in a ReAct agent.
    """
    outputs = action["outputs"]
    try:
        failed = [
            v for v in protocol.VARIABLE.findall(action["args"]) if memory.get(v, "").startswith(ERROR_PREFIX)
        ]
        if failed:
            raise protocol.UndefinedVariableError(f"{failed[0]} has no value because its action failed")
        # a nameless action is a passthrough, or a statement where the domain runs them (SQL)
        tool = tools[action["name"]] if action["name"] else tools.get("")
        result: str | list[str]
        if isinstance(tool, MemoryTool):
            result = tool(action["args"], memory, subgoal)
        else:
            args = protocol.substitute(action["args"], memory)
            result = args if tool is None else tool(args)
    except Exception as err:
        if not isinstance(err, ValueError | LookupError):
            logger.exception("tool %s crashed on %r", action["name"], action["args"])
        kind = action["name"] or ("statement" if "" in tools else "passthrough")
        message = capped(f"{ERROR_PREFIX}{kind} failed: {err}")
        return [message] * len(outputs), False
    values = [capped(str(value)) for value in ([result] if isinstance(result, str) else result)]
    if len(values) < len(outputs):
        message = f"{ERROR_PREFIX}{action['name']} returned {len(values)} value(s) for {len(outputs)} outputs"
        return [message] * len(outputs), False
    return values[: len(outputs)], True


def execute(
    state: LumosState,
    runtime: Runtime[Context],
    *,
    models: ModelProvider,
    formulation: Formulation,
    domains: Domains,
    one_at_a_time: bool = False,
) -> dict[str, Any]:
    """Execute the pending actions in order, updating the variable memory as they go."""
    context = context_of(runtime)
    domain = domain_for(state, context, domains)
    try:
        tools = domain.toolbox(models, context, state)
    except (ValueError, OSError) as err:  # a misconfigured run (no corpus, unreadable index)
        return failure(f"the {domain.name} tools are not available: {err}")
    subgoals = state.get("subgoals", [])
    current = subgoals[-1] if subgoals else ""
    memory = dict(state.get("memory", {}))
    subgoal = subgoal_in_turn(state, formulation, one_at_a_time)
    if 0 < subgoal <= len(subgoals):  # a direct step has no subgoal
        current = subgoals[subgoal - 1]
    executed: list[ExecutedAction] = []
    written: dict[str, str] = {}
    ended = False
    for action in state.get("pending", []):
        values, ok = run_action(action, memory, tools, current)
        assigned = dict(zip(action["outputs"], values, strict=True))
        memory |= assigned
        written |= assigned
        executed.append(ExecutedAction(**action, subgoal=subgoal, observation="; ".join(values), ok=ok))
        emit(runtime, result_event(action, subgoal=subgoal, observation=executed[-1]["observation"], ok=ok))
        if ended := ok and domain.ended(executed[-1]["observation"]):
            break  # the environment is over: actions grounded after this one have nothing to act on
    update: dict[str, Any] = {"actions": executed, "memory": written, "pending": []}
    if subgoal:
        # Lumos feeds back the value of the subgoal's last action
        update["subgoal_results"] = [executed[-1]["observation"] if executed else "nothing"]
    if ended:
        update["stop_reason"] = "environment"
    elif one_at_a_time and formulation == "onetime" and subgoal == len(subgoals):
        # the plan ran out: if the environment says the task is unmet, the planner is asked to go on
        results = [*state.get("subgoal_results", []), *update["subgoal_results"]]
        after = cast(
            LumosState,
            {**state, "actions": [*state.get("actions", []), *executed], "subgoal_results": results},
        )
        if told := nudge(after, context, domain):
            update["nudges"] = [told]
    return update
