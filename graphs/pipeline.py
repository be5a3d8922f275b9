"""Which graph a run goes through: a formulation or baseline, inside the wrapper its context asks for.

``Pipelines`` is the one place that picks it. Over one model provider and set of domains it
compiles each graph once, when first asked, and ``for_run(formulation, context)`` checks that the
run's domain runs under the formulation, takes the step-by-step graphs where the domain asks
(``Domain.runs_stepwise``; web: Lumos-O one subgoal at a time, the baselines one step at a time;
SQL: Lumos-O one subgoal at a time), and wraps the formulation in voting (``votes`` > 1) or
cross-checking (``plan_retries``). ``compiled`` and ``pipeline`` are the same over the defaults
(llama.cpp in-process, every domain): what `lumos run`, `lumos eval` and `lumos graph` use.
"""

import functools
from collections.abc import Callable
from typing import Any

from langgraph.graph.state import CompiledStateGraph

from graphs.binding import CompiledLumosGraph, DomainChoice, LumosGraph, Tools, resolve
from graphs.settings import wrapper_of
from models.registry import ModelProvider
from nodes.context import Context

FORMULATIONS = ("iterative", "onetime", "cot", "direct", "integrated")  # the last three are baselines
Graph = CompiledStateGraph[Any, Any, Any, Any]


def builder_of(name: str) -> Callable[..., LumosGraph]:
    """Return the builder of a formulation, a baseline, or a step-by-step baseline (``direct-stepwise``)."""
    from graphs import baselines, iterative, onetime

    builders: dict[str, Callable[..., LumosGraph]] = {
        "iterative": iterative.build,
        "onetime": onetime.build,
        "onetime-stepwise": functools.partial(onetime.build, one_at_a_time=True),
        "cot": functools.partial(baselines.build, "cot"),
        "direct": functools.partial(baselines.build, "direct"),
        "integrated": baselines.build_integrated,
        "direct-stepwise": functools.partial(baselines.build_stepwise, "direct"),
        "integrated-stepwise": functools.partial(baselines.build_stepwise, "integrated"),
    }
    if name not in builders:
        raise ValueError(f"unknown formulation {name!r}; known: {', '.join(FORMULATIONS)}")
    return builders[name]


def graph_name(name: str) -> str:
    """Return the compiled graph's name: ``lumos-iterative`` for a formulation, the baseline's own else."""
    return f"lumos-{name}" if name.startswith(("iterative", "onetime")) else name


class Pipelines:
    """Every formulation and baseline over one model provider and set of domains, compiled on demand."""

    def __init__(
        self,
        models: ModelProvider | None = None,
        domains: DomainChoice | None = None,
        tools: Tools | None = None,
    ) -> None:
        self.models, self.domains = resolve(models, domains, tools)
        self.graphs: dict[str, Graph] = {}

    def graph(self, name: str) -> CompiledLumosGraph:
        """Return the plain compiled graph of a formulation or baseline."""
        if name not in self.graphs:
            built = builder_of(name)(models=self.models, domains=self.domains)
            self.graphs[name] = built.compile(name=graph_name(name))
        graph: CompiledLumosGraph = self.graphs[name]
        return graph

    def for_run(self, formulation: str, context: Context) -> Graph:
        """Return the graph that runs ``formulation`` under ``context``, inside the wrapper it asks for."""
        from graphs import crosscheck, voting

        name = formulation
        domain = self.domains.get(context.domain)
        if domain is not None and domain.formulations is not None and formulation not in domain.formulations:
            runs = ", ".join(sorted(domain.formulations))
            raise ValueError(f"the {domain.name} domain runs under {runs} only, not {formulation}")
        if domain is not None and domain.runs_stepwise(formulation):
            name = f"{formulation}-stepwise"  # one subgoal or step at a time, on what the last one left
        inner = self.graph(name)
        wrapper = wrapper_of(context)
        if not wrapper:
            return inner
        key = f"{name}+{wrapper}"
        if key not in self.graphs:
            wrap = voting.compiled if wrapper == "voting" else crosscheck.compiled
            self.graphs[key] = wrap(inner)
        return self.graphs[key]


@functools.cache
def defaults() -> Pipelines:
    """Return the pipelines over the default provider and every domain, made on first use."""
    return Pipelines()


def compiled(formulation: str) -> CompiledLumosGraph:
    """Return the compiled graph of a formulation or baseline over the defaults."""
    return defaults().graph(formulation)


def pipeline(formulation: str, context: Context) -> Graph:
    """Return the graph that runs ``formulation`` under ``context`` over the defaults."""
    return defaults().for_run(formulation, context)
