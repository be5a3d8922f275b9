"""Final answer: read the agent's answer out of the variable memory, by the domain's rule."""

from typing import Any

from langgraph.runtime import Runtime

from models.registry import ModelProvider
from nodes import protocol
from nodes.calls import ModelCallError
from nodes.context import Context, context_of, domain_of
from nodes.events import AnswerEvent, emit
from nodes.execute import ERROR_PREFIX
from nodes.prompts import Formulation
from nodes.select import select_variable
from nodes.state import LumosState
from tools.complex_qa import qa_chat_model
from tools.qa import ANSWER_PREFIX, YES_NO_MARKER, answer_of, qa


def maths_answer(memory: dict[str, str]) -> tuple[str | None, str | None]:
    """Return (answer, error): Lumos takes ``Output`` if assigned, else the highest ``Rk``."""
    name = protocol.final_variable(memory)
    if name is None:
        return None, "no action was executed, so there is no answer"
    value = memory[name]
    if value.startswith(ERROR_PREFIX):
        return None, f"the final variable {name} has no value: {value.removeprefix(ERROR_PREFIX)}"
    return value, None


def yes_no(prediction: str) -> str:
    """Map a prediction to yes/no as Lumos scores StrategyQA: "yes" anywhere means yes."""
    return "yes" if "yes" in prediction.lower() else "no"


def complex_qa_answer(
    state: LumosState, context: Context, models: ModelProvider, formulation: Formulation
) -> tuple[str | None, str | None]:
    """Return (answer, error) for complex QA.

    Lumos-O takes the final variable's QA answer. Lumos-I, and Lumos-O when the final value is no
    QA answer, asks the QA model the task over every QA result, as Lumos's ``decide_final_ans``.
    """
    memory = state.get("memory", {})
    final = protocol.final_variable(memory)
    if formulation == "onetime" and final and ANSWER_PREFIX in memory[final]:
        prediction = answer_of(memory[final])
    else:
        names = sorted((n for n in memory if protocol.VARIABLE.fullmatch(n)), key=protocol.variable_index)
        found = "; ".join(memory[n] for n in names if "Question: " in memory[n])
        question = state["task"].strip() + (f" {YES_NO_MARKER}." if context.yes_no else "")
        try:
            prediction = answer_of(qa(qa_chat_model(models, context), found, question))
        except ValueError as err:  # the collected results do not fit the QA model's context
            return None, f"the final QA call failed: {err}"
    return (yes_no(prediction) if context.yes_no else prediction), None


def selected_value(state: LumosState, context: Context, models: ModelProvider) -> str | None:
    """Return the value of the variable the model names as the answer (``Context.select_answer``)."""
    memory = state.get("memory", {})
    try:
        name = select_variable(models, context, state["task"], state.get("actions", []), memory)
    except ModelCallError:  # the selection prompt does not fit: keep Lumos's last variable
        return None
    return memory[name] if name else None


def answer(
    state: LumosState, runtime: Runtime[Context], *, models: ModelProvider, formulation: Formulation
) -> dict[str, Any]:
    """Set the answer (or the reason there is none) and why the run stopped."""
    if state.get("error"):
        emit(runtime, AnswerEvent(type="answer", answer=None, error=state.get("error")))
        return {"answer": None, "stop_reason": "error"}
    context = context_of(runtime)
    stop_reason = state.get("stop_reason") or ("planner" if formulation == "iterative" else "plan_executed")
    if domain_of(state, context) == "complex_qa":
        value, error = complex_qa_answer(state, context, models, formulation)
    else:
        value, error = maths_answer(state.get("memory", {}))
        if error is None and context.select_answer and context.profile == "instruct":
            value = selected_value(state, context, models) or value
    emit(runtime, AnswerEvent(type="answer", answer=value, error=error))
    return {"answer": value, "error": error, "stop_reason": stop_reason}
