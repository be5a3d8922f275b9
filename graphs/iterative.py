"""Lumos-I: plan one subgoal, ground it, execute it, and loop until the planner stops."""

import functools

from langgraph.graph import END

from graphs.binding import (
    CompiledLumosGraph,
    DomainChoice,
    LumosGraph,
    Tools,
    bound_nodes,
    new_builder,
    resolve,
)
from graphs.routes import (
    route_after_execute,
    route_after_frame,
    route_after_ground,
    route_after_plan,
    route_after_review,
)
from models.registry import ModelProvider


def build(
    *, models: ModelProvider | None = None, domains: DomainChoice | None = None, tools: Tools | None = None
) -> LumosGraph:
    """Return the uncompiled Lumos-I graph over a model provider and the domains (default: all)."""
    provider, bound = resolve(models, domains, tools)
    builder = new_builder(bound_nodes("iterative", provider, bound), bound)
    builder.add_conditional_edges("frame", route_after_frame("plan"), ["plan", "answer"])
    builder.add_conditional_edges("plan", route_after_plan)  # stop signal or subgoal cap -> answer
    builder.add_conditional_edges("review", route_after_review)  # Context.review_plan only
    builder.add_conditional_edges("ground", route_after_ground)
    builder.add_conditional_edges("execute", route_after_execute)  # a tool setup failure ends the run
    builder.add_edge("answer", END)
    return builder


@functools.cache
def make_graph() -> CompiledLumosGraph:
    """Return the compiled graph over the defaults, built on first call (``langgraph.json`` serves it)."""
    return build().compile(name="lumos-iterative")  # models load on first use, not at import


def __getattr__(name: str) -> CompiledLumosGraph:
    if name == "graph":  # ``from graphs.iterative import graph``: built when asked, not at import
        return make_graph()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
