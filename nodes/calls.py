"""Ask a planner or grounder model for one line, with the prompt profile the run asks for."""

from collections.abc import Sequence

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from models.chat import ContextOverflowError, PromptFormat
from models.registry import ModelProvider
from nodes.context import Context
from nodes.prompts import Turn

_MESSAGE = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}


class ModelCallError(RuntimeError):
    """A model could not be asked (the prompt does not fit its context window)."""


def to_messages(turns: Sequence[Turn]) -> list[BaseMessage]:
    """Return LangChain messages for ``(role, text)`` turns."""
    return [_MESSAGE[role](content=text) for role, text in turns]


def ask_line(
    models: ModelProvider,
    context: Context,
    *,
    role: str,
    spec: str,
    turns: Sequence[Turn],
    system: str,
    examples: Sequence[Turn],
) -> str:
    """Return one line from the model for ``turns``: zero-shot Lumos or few-shot instruct."""
    prompt_format: PromptFormat
    if context.profile == "lumos":
        prompt_format = "lumos-train" if context.rendering == "train" else "lumos-eval"
        messages = to_messages(turns)
    else:
        prompt_format = "chat"
        messages = to_messages([("system", system), *examples, *turns])
    model = models.chat(spec, role=role, prompt_format=prompt_format, max_tokens=context.max_new_tokens)
    try:
        reply = model.invoke(messages, stop=["\n"])  # every Lumos module output is one line
    except ContextOverflowError as err:
        raise ModelCallError(f"{role} prompt does not fit: {err}") from err
    return reply.text.strip()
