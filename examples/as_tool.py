"""Use Lumos as a tool of another agent: the agent's model decides when to hand a problem to Lumos.

``lumos_tool`` wraps a Lumos graph as a LangChain tool (sync and async); ``build_agent`` is a small
tool-calling agent (model node + ``ToolNode``) over any chat model that supports ``bind_tools``.
No tool-calling model ships with this project, so running the script uses ``Delegate``, a stand-in
that hands every question to the tool and relays the result; put a real chat model in its place.

    python examples/as_tool.py "A shop sells 14 apples a day for 9 days. How many apples is that?"
"""

import argparse
import asyncio
import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import BaseTool, StructuredTool
from langgraph.graph import START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from typing_extensions import TypedDict

from graphs.binding import CompiledLumosGraph
from nodes.context import Context
from nodes.state import LumosInput

QUESTION = "A shop sells 14 apples a day for 9 days. How many apples does it sell?"


def result_text(state: dict[str, Any]) -> str:
    """Return what the other agent sees: the answer, or why there is none."""
    if state.get("answer") is not None:
        return str(state["answer"])
    return f"No answer: {state.get('error')}"


def lumos_tool(
    graph: CompiledLumosGraph | None = None, context: Context | None = None, *, name: str = "solve_maths"
) -> BaseTool:
    """Return a Lumos graph (default: Lumos-I) as a tool that takes a maths word problem."""
    if graph is None:
        from graphs.iterative import graph as default

        graph = default  # models load on first use
    lumos, settings = graph, context or Context()

    def solve(problem: str) -> str:
        return result_text(lumos.invoke(LumosInput(task=problem), context=settings))

    async def asolve(problem: str) -> str:
        return result_text(await lumos.ainvoke(LumosInput(task=problem), context=settings))

    return StructuredTool.from_function(
        func=solve,
        coroutine=asolve,
        name=name,
        description="Solve a maths word problem step by step with real tools; returns the number.",
    )


class AgentState(TypedDict):
    """The other agent's state: a conversation."""

    messages: Annotated[list[AnyMessage], add_messages]


def build_agent(model: BaseChatModel, tools: list[BaseTool]) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Return a tool-calling agent: the model answers or calls tools until it answers."""
    bound = model.bind_tools(tools)

    def agent(state: AgentState) -> dict[str, list[BaseMessage]]:
        return {"messages": [bound.invoke(state["messages"])]}

    builder = StateGraph(AgentState)
    builder.add_node("agent", agent)
    builder.add_node("tools", ToolNode(tools))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition)  # tool calls -> tools, else the end
    builder.add_edge("tools", "agent")
    return builder.compile(name="agent-with-lumos")


class Delegate(BaseChatModel):
    """Stand-in for a tool-calling model: calls the first tool with the question, then relays its result."""

    tool_name: str = ""

    @property
    def _llm_type(self) -> str:
        return "delegate"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> "Delegate":
        """Return a copy that calls the first of ``tools``."""
        return self.model_copy(update={"tool_name": tools[0].name})

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        last = messages[-1]
        if isinstance(last, ToolMessage):
            reply = AIMessage(content=f"Lumos worked it out: {last.text}")
        else:
            call = {
                "name": self.tool_name,
                "args": {"problem": last.text},
                "id": f"call_{uuid.uuid4().hex[:8]}",
            }
            reply = AIMessage(content="", tool_calls=[call])
        return ChatResult(generations=[ChatGeneration(message=reply)])


def main(argv: Sequence[str] | None = None) -> int:
    """Ask the agent one question, synchronously and then asynchronously."""
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("question", nargs="?", default=QUESTION)
    args.add_argument("--model", default=Context.planner, help="preset or .gguf for planner and grounder")
    parsed = args.parse_args(argv)
    tool = lumos_tool(context=Context(planner=parsed.model, grounder=parsed.model))
    agent = build_agent(Delegate(), [tool])
    state = agent.invoke({"messages": [HumanMessage(parsed.question)]})
    print(state["messages"][-1].text)
    state = asyncio.run(agent.ainvoke({"messages": [HumanMessage(parsed.question)]}))
    print(state["messages"][-1].text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
