"""Prefix KV reuse: a context evaluates only what its new prompt does not share with the last one."""

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from models import registry
from models.chat import ChatLlamaCpp

pytestmark = pytest.mark.gguf
FIRST = [HumanMessage("Natalia sold clips to 48 of her friends in April. How many clips did she sell?")]
SECOND = [*FIRST, AIMessage("48"), HumanMessage("And how many in May, if she sold half as many?")]


def common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


@pytest.fixture
def model(smollm2_path, request):
    return registry.load(str(smollm2_path), n_ctx=1024, slot=f"test-prefix-{request.node.name}")


def test_an_extended_prompt_evaluates_only_its_new_suffix(model):
    chat = ChatLlamaCpp(model=model, prompt_format="lumos-eval", max_tokens=8)
    first_tokens, second_tokens = chat._lumos_tokens(FIRST), chat._lumos_tokens(SECOND)
    shared = common_prefix(first_tokens, second_tokens)
    assert shared >= len(first_tokens) - 2  # the second prompt extends the first

    first = chat.invoke(FIRST, stop=["\n"]).response_metadata
    assert first["prompt_tokens_evaluated"] == len(first_tokens) and first["prompt_tokens_reused"] == 0
    second = chat.invoke(SECOND, stop=["\n"])
    meta = second.response_metadata
    assert second.usage_metadata["input_tokens"] == len(second_tokens)  # usage still counts it all
    assert meta["prompt_tokens_reused"] >= shared
    assert meta["prompt_tokens_evaluated"] == len(second_tokens) - meta["prompt_tokens_reused"]
    assert meta["prompt_tokens_evaluated"] <= len(second_tokens) - shared
    assert 0 < meta["prefill_seconds"] <= meta["model_seconds"]


def test_a_repeated_prompt_evaluates_at_most_one_token(model):
    chat = ChatLlamaCpp(model=model, max_tokens=4)
    chat.invoke(FIRST)
    assert chat.invoke(FIRST).response_metadata["prompt_tokens_evaluated"] <= 1


def test_without_prefix_reuse_every_call_evaluates_its_whole_prompt(model):
    chat = ChatLlamaCpp(model=model, max_tokens=4, prefix_reuse=False)
    for messages in (FIRST, FIRST, SECOND):
        reply = chat.invoke(messages)
        assert reply.response_metadata["prompt_tokens_evaluated"] == reply.usage_metadata["input_tokens"]
        assert reply.response_metadata["prompt_tokens_reused"] == 0


def test_the_provider_option_turns_reuse_off(smollm2_path):
    provider = registry.LlamaModels(n_ctx=1024, prefix_reuse=False)
    chat = provider.chat(str(smollm2_path), role="planner", prompt_format="chat", max_tokens=4)
    assert isinstance(chat, ChatLlamaCpp) and chat.prefix_reuse is False
    assert (
        registry.LlamaModels(n_ctx=1024)
        .chat(str(smollm2_path), role="planner", prompt_format="chat", max_tokens=4)
        .prefix_reuse
    )


def test_streaming_reports_the_same_figures(model):
    chat = ChatLlamaCpp(model=model, max_tokens=8, prefix_reuse=False)
    chunks = list(chat.stream(FIRST))
    final = sum(chunks[1:], chunks[0]).response_metadata
    whole = chat.invoke(FIRST).usage_metadata["input_tokens"]
    assert final["finish_reason"] and final["prompt_tokens_evaluated"] == whole
