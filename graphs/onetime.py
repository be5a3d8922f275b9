"""Lumos-O: plan every subgoal at once, ground them all, execute, answer.

``reasoning=True`` adds the ``solve`` node before planning, for ``plan_reasoning="steps"``: the
planner then plans under a step-by-step solution (``nodes/reason.py``).
"""

from langgraph.graph import END, START

from graphs.binding import DomainChoice, LumosGraph, Tools, bound_nodes, new_builder, resolve
from graphs.routes import route_after_ground, route_after_plan, route_after_review, route_after_solve
from models.registry import ModelProvider


def build(
    *,
    models: ModelProvider | None = None,
    domains: DomainChoice | None = None,
    tools: Tools | None = None,
    reasoning: bool = False,
) -> LumosGraph:
    """Return the uncompiled Lumos-O graph over a model provider and the domains (default: all)."""
    builder = new_builder(bound_nodes("onetime", *resolve(models, domains, tools), reasoning=reasoning))
    if reasoning:
        builder.add_edge(START, "solve")
        builder.add_conditional_edges("solve", route_after_solve)
    else:
        builder.add_edge(START, "plan")
    builder.add_conditional_edges("plan", route_after_plan)
    builder.add_conditional_edges("review", route_after_review)  # Context.review_plan only
    builder.add_conditional_edges("ground", route_after_ground)
    builder.add_edge("execute", "answer")
    builder.add_edge("answer", END)
    return builder


graph = build().compile(name="lumos-onetime")  # models load on first use, not at import
