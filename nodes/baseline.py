"""Baselines on the same model: chain-of-thought and direct answering (Lumos's CoT/direct prompts)."""

from collections.abc import Collection
from typing import Any, Literal

from langgraph.runtime import Runtime

from models.chat import ContextOverflowError
from models.registry import ModelProvider
from nodes import protocol
from nodes.calls import prompt_format_for, to_messages
from nodes.context import Context, context_of
from nodes.plan import domain_of, invalid_input
from nodes.prompts import Turn
from nodes.state import LumosState

Style = Literal["cot", "direct"]

# Lumos's baselines send the bare question as the user turn; instruct models get told the format.
INSTRUCT_COT = (
    "Solve the problem step by step. End your reply with `The answer is N.` where N is the final number."
)
INSTRUCT_DIRECT = "Reply with the final answer only: a single number, no words and no working."


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
    turns: list[Turn] = [("user", state["task"].strip())]
    if context.profile == "instruct":
        turns = [("system", INSTRUCT_COT if style == "cot" else INSTRUCT_DIRECT), *turns]
    model = models.chat(
        context.planner,
        role="planner",
        prompt_format=prompt_format_for(context),
        max_tokens=context.max_new_tokens,
    )
    try:
        text = model.invoke(to_messages(turns), stop=None if style == "cot" else ["\n"]).text.strip()
    except ContextOverflowError as err:
        return {"answer": None, "error": f"planner prompt does not fit: {err}", "stop_reason": "error"}
    answer = protocol.extract_final_answer(text, numeric=domain_of(state, context) == "maths")
    error = None if answer is not None else "no answer could be read from the reply"
    return {
        "plan_outputs": [text],
        "answer": answer,
        "error": error,
        "model_calls": 1,
        "stop_reason": "plan_executed",
    }
