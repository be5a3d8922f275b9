"""Baselines on the same model: chain-of-thought and direct answering (Lumos's CoT/direct prompts)."""

from collections.abc import Collection
from typing import Any

from langgraph.runtime import Runtime

from models.chat import ContextOverflowError
from models.registry import ModelProvider
from nodes import protocol
from nodes.calls import prompt_format_for, sampling, to_messages
from nodes.context import Context, context_of
from nodes.plan import invalid_input
from nodes.prompts import INSTRUCT, Kind, Style, Turn, answer_kind
from nodes.state import LumosState


def read_answer(text: str, style: Style, kind: Kind) -> str | None:
    """Return the answer in a baseline's reply; a direct non-numeric reply is its own answer (Lumos)."""
    answer = protocol.extract_final_answer(text, numeric=kind == "maths")
    if answer is None and style == "direct" and kind != "maths":
        answer = text.strip() or None
    return answer


def reason(
    state: LumosState,
    runtime: Runtime[Context],
    *,
    models: ModelProvider,
    style: Style,
    domains: Collection[str],
) -> dict[str, Any]:
    """Answer the task in one model call, with or without written reasoning."""
    context = context_of(runtime)
    if problem := invalid_input(state, context, domains):
        return {"answer": None, "error": problem, "stop_reason": "error"}
    kind = answer_kind(state, context)
    turns: list[Turn] = [("user", state["task"].strip())]
    if context.profile == "instruct":
        turns = [("system", INSTRUCT[style, kind]), *turns]
    model = models.chat(
        context.planner,
        role="planner",
        prompt_format=prompt_format_for(context),
        max_tokens=context.max_new_tokens,
    )
    try:
        stop = None if style == "cot" else ["\n"]
        text = model.invoke(to_messages(turns), stop=stop, **sampling(context)).text.strip()
    except ContextOverflowError as err:
        return {"answer": None, "error": f"planner prompt does not fit: {err}", "stop_reason": "error"}
    answer = read_answer(text, style, kind)
    error = None if answer is not None else "no answer could be read from the reply"
    return {
        "plan_outputs": [text],
        "answer": answer,
        "error": error,
        "model_calls": 1,
        "stop_reason": "plan_executed",
    }
