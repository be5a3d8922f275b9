"""Lumos-I: plan one subgoal, ground it, execute it, and loop until the planner stops."""

from langgraph.graph import END

from graphs.binding import (
    DomainChoice,
    LumosGraph,
    Tools,
    bound_nodes,
    lazy_graph,
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


make_graph, __getattr__ = lazy_graph(build, "lumos-iterative", __name__)  # langgraph.json serves make_graph
