"""Streaming: custom events for each subgoal, action, result and the answer; tokens in `messages` mode."""

import asyncio

from clifakes import serve_graphs
from fakes import ScriptedModels, scripted
from test_graphs import TASK, TOOLS

import cli
from graphs import iterative, onetime
from nodes.context import Context


def build(module, planner, grounder):
    return module.build(models=ScriptedModels(planner, grounder), tools=TOOLS).compile()


def iterative_graph():
    return build(
        iterative,
        scripted(
            "Subgoal 1: Clips in May.",
            "No, I will keep planning. Subgoal 2: Total.",
            "Yes, I will stop planning.",
        ),
        scripted("R1 = Calculator(48 / 2)", "R2 = Calculator(48 + R1)"),
    )


def onetime_graph():
    return build(
        onetime,
        scripted("Subgoal 1: Clips in May. Subgoal 2: Total."),
        scripted("R1 = Calculator(48 / 2); R2 = Calculator(48 + R1)"),
    )


def test_iterative_events_follow_the_agent_step_by_step():
    events = list(iterative_graph().stream({"task": TASK}, context=Context(), stream_mode="custom"))
    assert events == [
        {"type": "subgoal", "index": 1, "subgoal": "Clips in May."},
        {"type": "action", "subgoal": 1, "action": "R1 = Calculator(48 / 2)"},
        {
            "type": "result",
            "subgoal": 1,
            "action": "R1 = Calculator(48 / 2)",
            "observation": "24",
            "ok": True,
        },
        {"type": "subgoal", "index": 2, "subgoal": "Total."},
        {"type": "action", "subgoal": 2, "action": "R2 = Calculator(48 + R1)"},
        {
            "type": "result",
            "subgoal": 2,
            "action": "R2 = Calculator(48 + R1)",
            "observation": "72",
            "ok": True,
        },
        {"type": "stop", "text": "Yes, I will stop planning."},
        {"type": "answer", "answer": "72", "error": None},
    ]


def test_onetime_results_arrive_one_by_one_before_the_execute_step_ends():
    parts = list(onetime_graph().stream({"task": TASK}, context=Context(), stream_mode=["custom", "updates"]))
    kinds = [chunk["type"] if mode == "custom" else next(iter(chunk)) for mode, chunk in parts]
    assert kinds == [
        "frame", "subgoal", "subgoal", "plan", "action", "action", "ground", "result", "result", "execute", "answer",
        "answer",
    ]  # fmt: skip
    assert [c["subgoal"] for m, c in parts if m == "custom" and c["type"] == "result"] == [0, 0]


def test_a_failed_action_and_a_failed_run_are_events_too():
    graph = build(onetime, scripted("Subgoal 1: Break."), scripted("R1 = Broken(1)"))
    events = list(graph.stream({"task": TASK}, context=Context(), stream_mode="custom"))
    assert events[-2]["type"] == "result" and events[-2]["ok"] is False
    assert events[-2]["observation"].startswith("Error: Broken failed")
    assert events[-1] == {"type": "answer", "answer": None, "error": events[-1]["error"]}
    assert "has no value" in events[-1]["error"]


def test_messages_mode_streams_the_models_tokens_per_node():
    chunks = list(iterative_graph().stream({"task": TASK}, context=Context(), stream_mode="messages"))
    by_node: dict[str, str] = {}
    for message, metadata in chunks:
        by_node[metadata["langgraph_node"]] = by_node.get(metadata["langgraph_node"], "") + message.text
    assert len(chunks) > 10  # token by token, not one message per call
    assert (
        by_node["plan"]
        == "Subgoal 1: Clips in May.No, I will keep planning. Subgoal 2: Total.Yes, I will stop planning."
    )
    assert by_node["ground"] == "R1 = Calculator(48 / 2)R2 = Calculator(48 + R1)"


def test_async_streaming_gives_the_same_events():
    async def collect():
        return [
            e async for e in onetime_graph().astream({"task": TASK}, context=Context(), stream_mode="custom")
        ]

    events = asyncio.run(collect())
    assert [e["type"] for e in events] == [
        "subgoal",
        "subgoal",
        "action",
        "action",
        "result",
        "result",
        "answer",
    ]


def test_cli_prints_the_events_and_echoes_tokens_on_request(monkeypatch, capsys):
    serve_graphs(monkeypatch, onetime_graph(), onetime_graph())
    assert cli.main(["run", "--formulation", "onetime", TASK]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[2:] == [
        "[plan]    Subgoal 1: Clips in May.",
        "[plan]    Subgoal 2: Total.",
        "[ground]  R1 = Calculator(48 / 2)",
        "[ground]  R2 = Calculator(48 + R1)",
        "[execute] R1 = Calculator(48 / 2) -> 24",
        "[execute] R2 = Calculator(48 + R1) -> 72",
        "Answer: 72  (executed: R2 = Calculator(48 + R1))",
    ]
    assert err == ""
    assert cli.main(["run", "--formulation", "onetime", "--show-tokens", TASK]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        "  (plan tokens) Subgoal 1: Clips in May. Subgoal 2: Total.",
        "  (ground tokens) R1 = Calculator(48 / 2); R2 = Calculator(48 + R1)",
    ]


def test_the_answer_line_says_where_the_answer_came_from():
    from cli.terminal import answer_origin

    action = {"outputs": ["R1"], "name": "CLICK", "args": "5", "subgoal": 1, "ok": True}
    ended = {
        "answer": "raw reward 1, reward 0.41",
        "actions": [action | {"observation": "The episode ended: raw reward 1, reward 0.41."}],
    }
    assert answer_origin(ended) == "executed: R1 = CLICK(5)"
    assert answer_origin({"answer": "18"}) == "the model's reply: no action ran"
    other = {
        "answer": "2",
        "actions": [action | {"name": "Calculator", "args": "1 + 23", "observation": "24"}],
    }
    assert answer_origin(other) == "read from the executed actions"  # "2" is not "24"
