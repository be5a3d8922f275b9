"""llama.cpp's own server as a model backend: faults against a stand-in, equality against the real one.

The real-server tests (``gguf``) start `llama-server` (built from the pinned llama-cpp-python
sources, ``models/llama_server.py``) on a free loopback port and check that both graphs and a
baseline give, under greedy decoding, exactly what the in-process backend gives.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from graphs import baselines, iterative, onetime
from models import llama_server
from models.chat import ContextOverflowError
from models.deadline import deadline_in
from models.registry import LlamaModels
from models.server import ChatLlamaServer, ServerError
from nodes import grammar
from nodes.calls import ModelCallError, Request, ask
from nodes.context import Context

TASK = "Tom has 3 boxes with 4 pens in each box. He gives away 5 pens. How many pens does he have left?"


class StandIn(BaseHTTPRequestHandler):
    """Answers as a failing llama-server would: an error status, or nothing for a while."""

    reply: tuple[int, dict] = (200, {})
    delay_s = 0.0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(self.delay_s)
        status, body = self.reply
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stand_in():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    StandIn.reply, StandIn.delay_s = (200, {}), 0.0


def test_an_unreachable_server_is_a_clear_error():
    model = ChatLlamaServer(url=f"http://127.0.0.1:{llama_server.free_port()}")
    with pytest.raises(ServerError, match=r"cannot reach llama-server at http://127\.0\.0\.1:"):
        model.invoke([HumanMessage(content="hi")])


def test_server_errors_and_context_overflow_are_clear_errors(stand_in):
    _, url = stand_in
    StandIn.reply = (500, {"error": {"code": 500, "message": "slot crashed", "type": "server_error"}})
    with pytest.raises(ServerError, match="answered 500: slot crashed"):
        ChatLlamaServer(url=url).invoke([HumanMessage(content="hi")])
    message = "the request exceeds the available context size, try increasing it"
    StandIn.reply = (400, {"error": {"code": 400, "message": message, "type": "exceed_context_size_error"}})
    with pytest.raises(ContextOverflowError, match="exceeds the available context size"):
        ChatLlamaServer(url=url).invoke([HumanMessage(content="hi")])
    # through the nodes' call, an overflow is the error a run ends with
    context = Context(planner=url)
    with pytest.raises(ModelCallError, match="planner prompt does not fit"):
        ask(LlamaModels(), context, Request("planner", url, [("user", "hi")]))


def test_a_server_that_hangs_ends_at_the_runs_deadline(stand_in):
    _, url = stand_in
    StandIn.delay_s = 30.0
    started = time.monotonic()
    with deadline_in(1.5), pytest.raises(ServerError, match="did not answer in time"):
        ChatLlamaServer(url=url).invoke([HumanMessage(content="hi")])
    assert time.monotonic() - started < 10


@pytest.fixture(scope="module")
def served(small_model_path, llama_server_binary):
    """The small preset served by a real llama-server with 2 slots."""
    with llama_server.serve(str(small_model_path), parallel=2) as url:
        yield url


def contexts(url: str, model: str, **settings: object) -> tuple[Context, Context]:
    """The same run settings in-process (on ``model``, the served file) and through the server."""
    local = Context(planner=model, grounder=model, qa_model=model, **settings)  # type: ignore[arg-type]
    remote = Context(planner=url, grounder=url, qa_model=url, **settings)  # type: ignore[arg-type]
    return local, remote


OUTPUTS = ("plan_outputs", "ground_outputs", "answer", "error", "reasoning")


@pytest.mark.gguf
@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    ("name", "build"),
    [("iterative", iterative.build), ("onetime", onetime.build), ("cot", lambda: baselines.build("cot"))],
)
def test_the_graphs_give_the_in_process_outputs_through_llama_server(served, small_model_path, name, build):
    graph = build().compile()
    local, remote = contexts(served, str(small_model_path), max_subgoals=4)
    here = graph.invoke({"task": TASK}, context=local)
    there = graph.invoke({"task": TASK}, context=remote)
    assert {k: here.get(k) for k in OUTPUTS} == {k: there.get(k) for k in OUTPUTS}


@pytest.mark.gguf
@pytest.mark.timeout(600)
def test_raw_lumos_prompts_grammars_streaming_seeds_and_usage_match_the_in_process_backend(served):
    lumos = [HumanMessage(content="Please provide a reasonable subgoal-based plan to solve the given task.\n"
                          f"Task: {TASK}; Initial Environment Description: None.")]  # fmt: skip
    local = LlamaModels().chat(
        "qwen2.5-coder-0.5b", role="planner", prompt_format="lumos-eval", max_tokens=48
    )
    remote = LlamaModels().chat(served, role="planner", prompt_format="lumos-eval", max_tokens=48)
    assert remote.invoke(lumos, stop=["\n"]).text == local.invoke(lumos, stop=["\n"]).text
    gbnf = grammar.plan_iterative(1)  # the Lumos-I planner's first-turn grammar
    chat = [
        SystemMessage(content="Answer in one line."),
        HumanMessage(content=f"Plan the first step: {TASK}"),
    ]
    here = LlamaModels().chat("qwen2.5-coder-0.5b", role="grounder", prompt_format="chat", max_tokens=40)
    there = LlamaModels().chat(served, role="grounder", prompt_format="chat", max_tokens=40)
    constrained = there.invoke(chat, grammar=gbnf)
    assert constrained.text == here.invoke(chat, grammar=gbnf).text and constrained.text.startswith(
        "Subgoal 1: "
    )
    streamed = list(there.stream(chat, grammar=gbnf))
    assert len(streamed) > 3 and "".join(c.text for c in streamed) == constrained.text
    sampled = [there.invoke(chat, temperature=0.9, seed=7).text for _ in range(2)]
    assert sampled[0] == sampled[1]  # a seeded sampled call repeats
    again = there.invoke(chat, grammar=gbnf)
    assert again.usage_metadata["input_tokens"] > 20 and again.usage_metadata["output_tokens"] > 3
    assert again.response_metadata["prompt_tokens_reused"] > 20  # the slot kept the prefix
