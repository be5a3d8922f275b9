"""The ``lumos`` graph: one entry point whose configuration the effort knob picks for each run.

``langgraph.json`` serves it beside the formulation graphs. A run's context says its ``effort``
(default balanced) and whatever settings it wants fixed; ``graphs/settings.py`` turns that into a
formulation and a full context, and the run goes through that formulation's graph (inside its
cross-checking wrapper where the configuration cross-checks) as a subgraph, so streaming with
subgraphs shows every plan, ground and execute step. ``agent()`` is the same choice for Python
callers who want the configured graph itself.
"""

from functools import partial
from typing import Any, NotRequired

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from graphs.binding import DomainChoice, lazy_graph
from graphs.crosscheck import CrossCheckState
from graphs.effort import DEFAULT_EFFORT
from graphs.pipeline import Pipelines
from graphs.settings import given_settings, resolve
from models.registry import ModelProvider
from nodes.context import Context, SettingsError
from nodes.state import LumosInput, failure

Graph = CompiledStateGraph[Any, Any, Any, Any]


class AgentState(CrossCheckState):
    """A Lumos state plus what a wrapper the configuration runs in records (attempts, votes)."""

    vote_count: NotRequired[int]


def agent(
    effort: str = DEFAULT_EFFORT, *, models: ModelProvider | None = None, **settings: Any
) -> tuple[Graph, Context]:
    """Return the graph and context ``effort`` picks for these settings (domain, planner, ...).

    ``graph.invoke({"task": ...}, context=context)`` runs it; settings given here win.
    """
    formulation, context = resolve(settings, effort=effort)
    return Pipelines(models).for_run(formulation, context), context


def run_configured(
    state: AgentState, runtime: Runtime[Context], config: RunnableConfig, *, pipelines: Pipelines
) -> dict[str, Any]:
    """Run the task through the configuration its context's effort picks, as a subgraph."""
    given = given_settings(runtime.context)
    try:
        formulation, context = resolve(given, effort=given.get("effort") or DEFAULT_EFFORT)
        graph = pipelines.for_run(formulation, context)
    except (SettingsError, ValueError) as err:
        return failure(str(err), {"answer": None})
    return dict(graph.invoke(dict(state), config, context=context))


def build(
    *, models: ModelProvider | None = None, domains: DomainChoice | None = None
) -> StateGraph[Any, Any, Any, Any]:
    """Return the uncompiled ``lumos`` graph over a model provider (default: llama.cpp in-process)."""
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(
        AgentState, input_schema=LumosInput, context_schema=Context
    )
    builder.add_node("agent", partial(run_configured, pipelines=Pipelines(models, domains)))
    builder.add_edge(START, "agent")
    builder.add_edge("agent", END)
    return builder


make_graph, __getattr__ = lazy_graph(build, "lumos", __name__)  # langgraph.json serves make_graph
