"""The llama.cpp chat model and registry, on a real registry GGUF (SmolLM2-135M, the smallest preset)."""

import asyncio
import threading

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from models import registry
from models.chat import ChatLlamaCpp, ContextOverflowError

pytestmark = pytest.mark.gguf
QUESTION = [HumanMessage("List three colours, one per line.")]


@pytest.fixture(scope="module")
def chat(smollm2_path):
    model = registry.load(str(smollm2_path), n_ctx=1024, slot="test-chat")
    return ChatLlamaCpp(model=model, max_tokens=32)


def test_invoke_is_greedy_and_reports_usage(chat):
    first, second = chat.invoke(QUESTION), chat.invoke(QUESTION)
    assert first.text and first.text == second.text
    assert first.usage_metadata["input_tokens"] > 5 and 0 < first.usage_metadata["output_tokens"] <= 32


def test_stop_sequences_cut_at_the_first_newline(chat):
    full = chat.invoke(QUESTION).text
    line = chat.invoke(QUESTION, stop=["\n"]).text
    assert "\n" not in line and full.startswith(line)


def test_stream_yields_the_same_text_as_invoke(chat):
    chunks = [c.content for c in chat.stream(QUESTION)]
    assert len(chunks) > 1 and "".join(chunks) == chat.invoke(QUESTION).text


def test_batch_and_async_share_the_lock(chat):
    texts = [m.text for m in chat.batch([QUESTION] * 3, config={"max_concurrency": 3})]
    assert len(set(texts)) == 1

    async def both():
        return await asyncio.gather(chat.ainvoke(QUESTION), chat.ainvoke(QUESTION))

    assert {m.text for m in asyncio.run(both())} == set(texts)


def test_concurrent_threads_do_not_crash_the_process(chat):
    out: list[str] = []
    threads = [threading.Thread(target=lambda: out.append(chat.invoke(QUESTION).text)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == 4 and len(set(out)) == 1


def test_lumos_renderings_differ_only_by_bos_and_eos(chat):
    turns = [HumanMessage("Q1"), AIMessage("A1"), HumanMessage("Q2")]
    llama = chat.model.llama
    eval_tokens = ChatLlamaCpp(model=chat.model, prompt_format="lumos-eval")._lumos_tokens(turns)
    train_tokens = ChatLlamaCpp(model=chat.model, prompt_format="lumos-train")._lumos_tokens(turns)
    # train adds BOS where the vocabulary asks for one (Llama-2 Lumos checkpoints do); eval never does
    assert (train_tokens[0] == llama.token_bos()) == bool(llama._model.add_bos_token())
    assert eval_tokens[0] != llama.token_bos()
    assert (
        llama.detokenize(eval_tokens).decode()
        == "<|user|>\nQ1\n<|assistant|>\nA1\n\n<|user|>\nQ2\n<|assistant|>\n"
    )
    # train closes earlier assistant turns with the model's own EOS token (Lumos's `</s>` on Llama-2)
    eos = llama.detokenize([llama.token_eos()], special=True).decode()
    train_text = llama.detokenize(train_tokens, special=True).decode()
    assert train_text.endswith(f"<|user|>\nQ1\n<|assistant|>\nA1{eos}\n<|user|>\nQ2\n<|assistant|>\n")
    assert train_tokens.count(llama.token_eos()) == 1
    reply = ChatLlamaCpp(model=chat.model, prompt_format="lumos-eval", max_tokens=16).invoke(
        turns, stop=["\n"]
    )
    assert "\n" not in reply.text


def test_context_overflow_is_a_clear_error(chat):
    huge = [HumanMessage("word " * 3000)]
    for prompt_format in ("chat", "lumos-eval"):
        with pytest.raises(ContextOverflowError, match="context window"):
            ChatLlamaCpp(model=chat.model, prompt_format=prompt_format).invoke(huge)


def test_registry_shares_a_context_per_slot_and_separates_roles(smollm2_path):
    a = registry.load(str(smollm2_path), n_ctx=512, slot="planner")
    b = registry.load(str(smollm2_path), n_ctx=512, slot="planner")
    c = registry.load(str(smollm2_path), n_ctx=512, slot="grounder")
    assert a is b and a is not c and a.lock is not c.lock
    provider = registry.LlamaModels(n_ctx=512, separate_roles=False)
    p = provider.chat(str(smollm2_path), role="planner", prompt_format="chat", max_tokens=8)
    g = provider.chat(str(smollm2_path), role="grounder", prompt_format="chat", max_tokens=8)
    assert p.model is g.model


def test_grammar_option_constrains_the_reply_and_is_cached(chat):
    gbnf = 'root ::= "Colour: " ("red" | "green" | "blue")'
    reply = chat.invoke(QUESTION, grammar=gbnf)
    assert reply.text in {"Colour: red", "Colour: green", "Colour: blue"}
    assert chat.model.grammar(gbnf) is chat.model.grammar(gbnf)
    streamed = "".join(c.content for c in chat.stream(QUESTION, grammar=gbnf))
    assert streamed == reply.text


def test_an_unparseable_grammar_is_a_clear_error_not_a_crash(chat):
    from models.chat import InvalidGrammarError

    with pytest.raises(InvalidGrammarError, match="cannot parse"):
        chat.invoke(QUESTION, grammar="root ::= (")


def test_replies_report_prefill_and_model_time(chat):
    meta = chat.invoke(QUESTION).response_metadata
    assert {"prompt_tokens_evaluated", "prompt_tokens_reused", "prefill_seconds", "model_seconds"} <= set(
        meta
    )
    assert meta["model_seconds"] > 0
