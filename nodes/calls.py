"""Ask a planner or grounder model for one line, with the prompt profile the run asks for."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from models.chat import ContextOverflowError, PromptFormat
from models.registry import ModelProvider
from nodes.context import Context
from nodes.prompts import Turn

_MESSAGE = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}


class ModelCallError(RuntimeError):
    """A model could not be asked (the prompt does not fit its context window)."""


@dataclass(frozen=True)
class Request:
    """One model call: who is asked, the conversation, and how the reply is cut and constrained.

    ``system`` and ``examples`` are shown only in the instruct profile: Lumos checkpoints were
    trained zero-shot, without a system turn. ``grammar`` (GBNF, from ``nodes/grammar.py``)
    constrains the reply's decoding.
    """

    role: str
    spec: str
    turns: Sequence[Turn]
    system: str = ""
    examples: Sequence[Turn] = ()
    stop: Sequence[str] | None = ("\n",)  # None: no stop strings at all
    grammar: str | None = None


def to_messages(turns: Sequence[Turn]) -> list[BaseMessage]:
    """Return LangChain messages for ``(role, text)`` turns."""
    return [_MESSAGE[role](content=text) for role, text in turns]


def prompt_format_for(context: Context) -> PromptFormat:
    """Return how the run's profile renders prompts: the model's chat template, or Lumos's."""
    if context.profile == "instruct":
        return "chat"
    return "lumos-train" if context.rendering == "train" else "lumos-eval"


def sampling(context: Context) -> dict[str, Any]:
    """Return the sampling options of a model call: none when greedy (the model's default)."""
    if context.temperature == 0:
        return {}
    return {"temperature": context.temperature, "seed": context.sampling_seed}


def example_starts(request: Request) -> list[int]:
    """Return where each worked example begins: a user turn that opens as the run's own first turn does.

    The run's conversation and each example's are built by the same builder, so they open with the
    same template text: the part the run's first turn shares with the first example's.
    """
    if not request.turns or not request.examples:
        return [0]
    own, first = request.turns[0][1], request.examples[0][1]
    shared = next(
        (i for i, (a, b) in enumerate(zip(own, first, strict=False)) if a != b), min(len(own), len(first))
    )
    opener = own[:shared]
    if len(opener) < MIN_OPENER_CHARS:
        return [0]
    return [
        i for i, (role, text) in enumerate(request.examples) if role == "user" and text.startswith(opener)
    ]


MIN_OPENER_CHARS = 5  # shorter shared openings are chance, not a template
logger = logging.getLogger(__name__)


def ask(models: ModelProvider, context: Context, request: Request) -> str:
    """Return the model's reply to ``request``, stripped: zero-shot Lumos or few-shot instruct.

    A prompt that does not fit the model's window loses worked examples, the first ones first,
    before it is refused: the task, the current page and the history are what the reply needs.
    """
    prompt_format = prompt_format_for(context)
    model = models.chat(
        request.spec, role=request.role, prompt_format=prompt_format, max_tokens=context.max_new_tokens
    )
    options = sampling(context) | ({"grammar": request.grammar} if request.grammar is not None else {})
    stop = None if request.stop is None else list(request.stop)
    cuts = [*example_starts(request), len(request.examples)] if prompt_format == "chat" else [0]
    for cut in dict.fromkeys(cuts):  # each cut drops one more example; the last drops them all
        if prompt_format == "chat":
            messages = to_messages([("system", request.system), *request.examples[cut:], *request.turns])
        else:
            messages = to_messages(request.turns)
        try:
            return model.invoke(messages, stop=stop, **options).text.strip()
        except ContextOverflowError as err:
            overflow = err
            logger.info(
                "%s prompt does not fit with %d example turns; dropping one example",
                request.role,
                len(request.examples) - cut,
            )
    raise ModelCallError(f"{request.role} prompt does not fit: {overflow}") from overflow
