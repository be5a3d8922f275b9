"""The embedding examples: Lumos as a subgraph and as a tool of another agent, sync and async."""

import asyncio
import importlib.util
from pathlib import Path

import pytest
from fakes import ScriptedModels, scripted
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from pydantic.dataclasses import dataclass
from test_graphs import TASK, TOOLS

from graphs import iterative
from nodes.context import STRICT, Context

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def example(name):
    spec = importlib.util.spec_from_file_location(f"lumos_example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


subgraph, as_tool = example("subgraph"), example("as_tool")


def lumos():
    planner = scripted(
        "Subgoal 1: Clips in May.",
        "No, I will keep planning. Subgoal 2: Total.",
        "Yes, I will stop planning.",
    )
    grounder = scripted("R1 = Calculator(48 / 2)", "R2 = Calculator(48 + R1)")
    return iterative.build(models=ScriptedModels(planner, grounder), tools=TOOLS).compile()


def test_subgraph_shares_task_and_answer_and_keeps_lumos_internals_inside():
    state = subgraph.build(lumos()).invoke({"task": TASK}, context=Context())
    assert state == {
        "task": TASK,
        "answer": "72",
        "error": None,
        "report": "The answer is 72. Check each step on paper!",
    }


def test_the_parents_context_and_stream_reach_into_the_subgraph():
    helper = subgraph.build(lumos())
    parts = list(
        helper.stream({"task": TASK}, context=Context(max_subgoals=1), stream_mode="custom", subgraphs=True)
    )
    assert all(namespace and namespace[0].startswith("solve:") for namespace, _ in parts)
    assert [event["type"] for _, event in parts] == ["subgoal", "action", "result", "answer"]
    assert parts[-1][1]["answer"] == "24"  # max_subgoals=1 stopped Lumos after one subgoal


def test_subgraph_async():
    reports = asyncio.run(subgraph.solve_all(subgraph.build(lumos()), [TASK], Context()))
    assert reports == ["The answer is 72. Check each step on paper!"]

    async def events():
        helper = subgraph.build(lumos())
        return [
            e
            async for _, e in helper.astream(
                {"task": TASK}, context=Context(), stream_mode="custom", subgraphs=True
            )
        ]

    assert asyncio.run(events())[-1] == {"type": "answer", "answer": "72", "error": None}


def test_the_tool_answers_sync_and_async_and_reports_failures():
    assert as_tool.lumos_tool(lumos()).invoke({"problem": TASK}) == "72"
    assert asyncio.run(as_tool.lumos_tool(lumos()).ainvoke({"problem": TASK})) == "72"
    assert as_tool.lumos_tool(lumos()).invoke({"problem": " "}) == "No answer: the task is empty"
    tool = as_tool.lumos_tool(lumos(), name="lumos")
    assert tool.name == "lumos" and "maths word problem" in tool.description
    assert set(tool.args) == {"problem"}


def test_an_agent_calls_lumos_as_a_tool_sync_and_async():
    agent = as_tool.build_agent(as_tool.Delegate(), [as_tool.lumos_tool(lumos())])
    state = agent.invoke({"messages": [HumanMessage(TASK)]})
    call, result, reply = state["messages"][1:]
    assert call.tool_calls[0]["args"] == {"problem": TASK}
    assert isinstance(result, ToolMessage) and result.text == "72"
    assert reply.text == "Lumos worked it out: 72"

    agent = as_tool.build_agent(as_tool.Delegate(), [as_tool.lumos_tool(lumos())])
    state = asyncio.run(agent.ainvoke({"messages": [HumanMessage(TASK)]}))
    assert state["messages"][-1].text == "Lumos worked it out: 72"


class ToolCallingFake(GenericFakeChatModel):
    def bind_tools(self, tools, **kwargs):
        return self


def test_any_tool_calling_model_can_drive_the_agent():
    call = {"name": "solve_maths", "args": {"problem": TASK}, "id": "call_1"}
    model = ToolCallingFake(
        messages=iter([AIMessage(content="", tool_calls=[call]), AIMessage(content="It is 72.")])
    )
    state = as_tool.build_agent(model, [as_tool.lumos_tool(lumos())]).invoke(
        {"messages": [HumanMessage(TASK)]}
    )
    assert [m.type for m in state["messages"]] == ["human", "ai", "tool", "ai"]
    assert state["messages"][2].text == "72"


@dataclass(frozen=True, kw_only=True, config=STRICT)
class Brief(Context):
    """Tight budgets, so a model that cannot follow the protocol ends quickly."""

    max_subgoals: int = 1
    max_new_tokens: int = 32
    shots: int = 1


@pytest.mark.gguf
@pytest.mark.timeout(600)
def test_the_example_scripts_run_on_real_weights(smollm2_path, monkeypatch, capsys):
    """Both scripts end to end on SmolLM2 (which cannot follow the protocol): every run must still end."""
    monkeypatch.setattr(subgraph, "Context", Brief)
    monkeypatch.setattr(as_tool, "Context", Brief)
    model = ["--model", str(smollm2_path)]
    assert subgraph.main(["What is 2 + 3?", *model]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith(("The answer is", "I could not solve it")) and "'type': 'answer'" in out[-2]
    assert as_tool.main(["What is 2 + 3?", *model]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and all(line.startswith("Lumos worked it out: ") for line in out)
