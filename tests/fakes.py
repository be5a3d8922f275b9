"""Scripted chat models and a provider that hands them out by role."""

from collections.abc import Iterator
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatResult
from pydantic import Field


class RecordingChatModel(GenericFakeChatModel):
    """GenericFakeChatModel that also keeps every prompt and call options it was sent."""

    prompts: list[list[BaseMessage]] = Field(default_factory=list)
    calls: list[dict[str, Any]] = Field(default_factory=list)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:  # type: ignore[override]
        self.prompts.append(list(messages))
        self.calls.append({"stop": stop, **kwargs})
        return super()._generate(messages, stop, run_manager, **kwargs)


def scripted(*replies: str) -> RecordingChatModel:
    """Return a fake that answers with ``replies`` in order (StopIteration after the last)."""
    messages: Iterator[AIMessage] = iter([AIMessage(content=r) for r in replies])
    return RecordingChatModel(messages=messages)


class ScriptedModels:
    """A ModelProvider whose planner and grounder are scripted fakes."""

    def __init__(
        self, planner: RecordingChatModel, grounder: RecordingChatModel, qa: RecordingChatModel | None = None
    ):
        self.by_role = {"planner": planner, "grounder": grounder}
        if qa is not None:
            self.by_role["qa"] = qa
        self.requests: list[dict[str, Any]] = []

    def chat(self, spec: str, *, role: str, prompt_format: str, max_tokens: int) -> RecordingChatModel:
        self.requests.append(
            {"spec": spec, "role": role, "prompt_format": prompt_format, "max_tokens": max_tokens}
        )
        return self.by_role[role]


def scripted_with_usage(*replies: str, prompt_tokens: int = 10) -> RecordingChatModel:
    """Return a scripted fake whose replies carry token usage as ChatLlamaCpp's do (one token per word)."""
    messages = iter(
        [
            AIMessage(
                content=r,
                usage_metadata={
                    "input_tokens": prompt_tokens,
                    "output_tokens": len(r.split()),
                    "total_tokens": prompt_tokens + len(r.split()),
                },
            )
            for r in replies
        ]
    )
    return RecordingChatModel(messages=messages)
