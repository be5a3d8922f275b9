"""Lumos-O: plan every subgoal at once, ground them all, execute, answer.

On a live environment (web) the plan is grounded and executed one subgoal at a time, each against
the page the last one left: ``build(one_at_a_time=True)``, whose ``execute`` loops back to ``ground``
while subgoals are left (``graphs/pipeline.py`` picks it where ``Domain.runs_stepwise``: web, and
SQL, whose statements are grounded on the results before them).

A run that asks the planner to plan under a step-by-step solution (``plan_reasoning="steps"``)
starts at ``solve``, which writes it (``nodes/reason.py``); every other run starts at ``plan``.
"""

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
    route_after_ground,
    route_after_plan,
    route_after_review,
    route_after_solve,
    route_at_start,
    route_to_next_subgoal,
)
from models.registry import ModelProvider


def build(
    *,
    models: ModelProvider | None = None,
    domains: DomainChoice | None = None,
    tools: Tools | None = None,
    one_at_a_time: bool = False,
) -> LumosGraph:
    """Return the uncompiled Lumos-O graph over a model provider and the domains (default: all)."""
    provider, bound = resolve(models, domains, tools)
    nodes = bound_nodes("onetime", provider, bound, reasoning=True, one_at_a_time=one_at_a_time)
    builder = new_builder(nodes, bound)
    builder.add_conditional_edges("frame", route_at_start)
    builder.add_conditional_edges("solve", route_after_solve)
    builder.add_conditional_edges("plan", route_after_plan)
    builder.add_conditional_edges("review", route_after_review)  # Context.review_plan only
    builder.add_conditional_edges("ground", route_after_ground)
    if one_at_a_time:  # the next subgoal is grounded on what the last one left
        builder.add_conditional_edges("execute", route_to_next_subgoal)
    else:
        builder.add_edge("execute", "answer")
    builder.add_edge("answer", END)
    return builder


make_graph, __getattr__ = lazy_graph(build, "lumos-onetime", __name__)  # langgraph.json serves make_graph
