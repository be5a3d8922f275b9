"""Embed Lumos as a subgraph: a homework helper solves a problem with Lumos-I, then writes a report.

The helper's state shares ``task`` (Lumos's input) and ``answer``/``error`` (its output) with Lumos,
so the compiled Lumos graph is added as a node as it is; the keys the helper does not declare stay
inside Lumos. The helper's runtime context reaches Lumos's nodes, and ``subgraphs=True`` streams
Lumos's own events through the helper.

    python examples/subgraph.py "Tom has 3 boxes of 12 pens and gives away 7. How many are left?"
"""

import argparse
import asyncio
from collections.abc import Sequence
from typing import Any, NotRequired

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from typing_extensions import TypedDict

from graphs.binding import CompiledLumosGraph
from nodes.context import Context
from nodes.state import LumosInput

QUESTION = "Tom has 3 boxes of 12 pens and gives away 7. How many pens are left?"


class HomeworkState(TypedDict):
    """The helper's state: Lumos's input and output keys, plus its own report."""

    task: str  # shared with Lumos: its input
    answer: NotRequired[str | None]  # shared with Lumos: its output
    error: NotRequired[str | None]
    report: NotRequired[str]  # the helper's own


def write_report(state: HomeworkState) -> dict[str, str]:
    """Turn Lumos's answer into a line for the student."""
    if state.get("answer") is None:
        return {"report": f"I could not solve it ({state.get('error')}); ask your teacher."}
    return {"report": f"The answer is {state['answer']}. Check each step on paper!"}


def build(lumos: CompiledLumosGraph | None = None) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Return the helper graph, with a Lumos graph (default: Lumos-I) as its ``solve`` node."""
    if lumos is None:
        from graphs.iterative import graph  # models load on first use

        lumos = graph
    builder = StateGraph(HomeworkState, context_schema=Context)  # the same context reaches Lumos's nodes
    builder.add_node("solve", lumos)
    builder.add_node("report", write_report)
    builder.add_edge(START, "solve")
    builder.add_edge("solve", "report")
    builder.add_edge("report", END)
    return builder.compile(name="homework-helper")


async def solve_all(
    helper: CompiledStateGraph[Any, Any, Any, Any], tasks: list[str], context: Context
) -> list[str]:
    """Solve several problems from async code; returns each report."""
    states = await helper.abatch([LumosInput(task=t) for t in tasks], context=context)
    return [state["report"] for state in states]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the helper on one question, printing Lumos's steps from inside the subgraph."""
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("question", nargs="?", default=QUESTION)
    args.add_argument("--model", default=Context.planner, help="preset or .gguf for planner and grounder")
    parsed = args.parse_args(argv)
    context = Context(planner=parsed.model, grounder=parsed.model)
    helper = build()
    for namespace, event in helper.stream(
        {"task": parsed.question}, context=context, stream_mode="custom", subgraphs=True
    ):
        print(f"{'/'.join(namespace)}: {event}")  # e.g. solve:<id>: {'type': 'subgoal', ...}
    print(asyncio.run(solve_all(helper, [parsed.question], context))[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
