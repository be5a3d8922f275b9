"""Baselines on the same model: chain-of-thought and direct answering (Lumos's CoT/direct prompts)."""

from typing import Any

from langgraph.runtime import Runtime

from models.registry import ModelProvider
from nodes.calls import ModelCallError, Request, ask
from nodes.context import Context, context_of
from nodes.domain import Domains, domain_for
from nodes.extraction import extract_final_answer
from nodes.inputs import invalid_input
from nodes.prompts import INSTRUCT, Kind, Style
from nodes.state import LumosState, failure


def read_answer(text: str, style: Style, kind: Kind) -> str | None:
    """Return the answer in a baseline's reply; a direct non-numeric reply is its own answer (Lumos)."""
    answer = extract_final_answer(text, numeric=kind == "maths")
    if answer is None and style == "direct" and kind != "maths":
        answer = text.strip() or None
    return answer


def reason(
    state: LumosState, runtime: Runtime[Context], *, models: ModelProvider, style: Style, domains: Domains
) -> dict[str, Any]:
    """Answer the task in one model call, with or without written reasoning."""
    context = context_of(runtime)
    if problem := invalid_input(state, context, domains):
        return failure(problem, {"answer": None})
    domain = domain_for(state, context, domains)
    kind = domain.answer_kind(context)
    instruction = domain.baseline_instructions.get(style) or INSTRUCT[style, kind]
    stop = None if style == "cot" or domain.read_baseline else ("\n",)
    request = Request("planner", context.planner, [("user", state["task"].strip())], instruction, stop=stop)
    try:
        text = ask(models, context, request)
    except ModelCallError as err:
        return failure(str(err), {"answer": None})
    answer = domain.read_baseline(text, style) if domain.read_baseline else read_answer(text, style, kind)
    error = None if answer is not None else "no answer could be read from the reply"
    return {
        "plan_outputs": [text],
        "answer": answer,
        "error": error,
        "model_calls": 1,
        "stop_reason": "plan_executed",
    }
