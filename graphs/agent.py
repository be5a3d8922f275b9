"""The ``lumos`` graph: one entry point whose configuration the effort knob picks for each run.

``langgraph.json`` serves it beside the formulation graphs. A run's context says its ``effort``
(default balanced) and whatever settings it wants fixed; ``graphs/effort.py`` turns that into a
formulation and a full context, and the run goes through that formulation's graph (inside its
cross-checking wrapper where the configuration cross-checks) as a subgraph, so streaming with
subgraphs shows every plan, ground and execute step. ``agent()`` is the same choice for Python
callers who want the configured graph itself.
"""

from collections.abc import Mapping
from functools import partial
from typing import Any, NotRequired

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from graphs.binding import DomainChoice, resolve
from graphs.crosscheck import CrossCheckState
from graphs.effort import DEFAULT_EFFORT
from graphs.effort import resolve as configure
from models.registry import ModelProvider
from nodes.context import Context, SettingsError
from nodes.state import LumosInput, LumosState, failure

Graph = CompiledStateGraph[Any, Any, Any, Any]


class AgentState(CrossCheckState):
    """A Lumos state plus what a wrapper the configuration runs in records (attempts, votes)."""

    vote_count: NotRequired[int]


class Pipelines:
    """The Lumos formulations over one model provider, each with its wrappers, compiled once."""

    def __init__(self, models: ModelProvider, domains: DomainChoice | None = None) -> None:
        self.models, self.domains = models, domains
        self.compiled: dict[tuple[str, str], Graph] = {}

    def for_run(self, formulation: str, context: Context) -> Graph:
        """Return the graph that runs ``formulation`` under ``context``, inside the wrapper it asks for."""
        from graphs import crosscheck, iterative, onetime, voting

        builders = {"iterative": iterative.build, "onetime": onetime.build}
        if formulation not in builders:
            raise ValueError(f"the lumos graph runs iterative or onetime, not {formulation}")
        wrapper = ""
        if isinstance(context, voting.VotingContext) and context.votes > 1:
            wrapper = "voting"
        elif isinstance(context, crosscheck.CrossCheckContext) and context.plan_retries:
            wrapper = "crosscheck"
        if (formulation, wrapper) not in self.compiled:
            inner = self.compiled.get((formulation, ""))
            if inner is None:
                built = builders[formulation](models=self.models, domains=self.domains)
                inner = self.compiled[(formulation, "")] = built.compile(name=f"lumos-{formulation}")
            if wrapper:
                wrap = voting.compiled if wrapper == "voting" else crosscheck.compiled
                self.compiled[(formulation, wrapper)] = wrap(inner)
        return self.compiled[(formulation, wrapper)]


def given_settings(context: Context | Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the settings a run's context fixes: a mapping's keys, or a Context's non-default fields."""
    if context is None:
        return {}
    if isinstance(context, Mapping):
        return dict(context)
    defaults = {name: f.default for name, f in type(context).__dataclass_fields__.items()}
    return {name: value for name, value in vars(context).items() if defaults.get(name) != value}


def agent(
    effort: str = DEFAULT_EFFORT, *, models: ModelProvider | None = None, **settings: Any
) -> tuple[Graph, Context]:
    """Return the graph and context ``effort`` picks for these settings (domain, planner, ...).

    ``graph.invoke({"task": ...}, context=context)`` runs it; settings given here win.
    """
    pipelines = Pipelines(resolve(models)[0])
    formulation, context = configure(settings, effort=effort)
    return pipelines.for_run(formulation, context), context


def run_configured(
    state: LumosState, runtime: Runtime[Context], config: RunnableConfig, *, pipelines: Pipelines
) -> dict[str, Any]:
    """Run the task through the configuration its context's effort picks, as a subgraph."""
    values = given_settings(runtime.context)
    try:
        formulation, context = configure(values, effort=values.get("effort") or DEFAULT_EFFORT)
    except (SettingsError, ValueError) as err:
        return failure(str(err), {"answer": None})
    return dict(pipelines.for_run(formulation, context).invoke(dict(state), config, context=context))


def build(
    *, models: ModelProvider | None = None, domains: DomainChoice | None = None
) -> StateGraph[Any, Any, Any, Any]:
    """Return the uncompiled ``lumos`` graph over a model provider (default: llama.cpp in-process)."""
    provider, _ = resolve(models, domains)
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(
        AgentState, input_schema=LumosInput, context_schema=Context
    )
    builder.add_node("agent", partial(run_configured, pipelines=Pipelines(provider, domains)))
    builder.add_edge(START, "agent")
    builder.add_edge("agent", END)
    return builder


graph = build().compile(name="lumos")  # models load on first use, not at import
