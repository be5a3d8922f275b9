"""Baselines on the same model and state schema: chain-of-thought, direct answering, integrated.

CoT and direct are one model call each. The integrated baseline lets one model plan and ground in a
single pass, then runs the actions through Lumos-O's own execution and answer nodes. On an
interactive domain (web) the integrated and direct baselines act step by step instead
(``build_stepwise``): one call per step on the page as it is, each executed before the next.
"""

from functools import partial

from langgraph.graph import END

from graphs.binding import DomainChoice, LumosGraph, Tools, bound_nodes, new_builder, resolve
from graphs.routes import route_after_execute, route_after_frame, route_after_ground, route_after_step
from models.registry import ModelProvider
from nodes.baseline import Style, reason
from nodes.integrated import integrate
from nodes.step import StepStyle, step


def build(
    style: Style,
    *,
    models: ModelProvider | None = None,
    domains: DomainChoice | None = None,
    tools: Tools | None = None,
) -> LumosGraph:
    """Return the uncompiled graph of a one-call baseline (``cot`` or ``direct``)."""
    provider, bound = resolve(models, domains, tools)
    builder = new_builder({"reason": partial(reason, models=provider, style=style, domains=bound)}, bound)
    builder.add_conditional_edges("frame", route_after_frame("reason", failed=END), ["reason", END])
    builder.add_edge("reason", END)
    return builder


def build_integrated(
    *, models: ModelProvider | None = None, domains: DomainChoice | None = None, tools: Tools | None = None
) -> LumosGraph:
    """Return the uncompiled integrated baseline: plan and ground in one call, execute, answer."""
    provider, bound = resolve(models, domains, tools)
    shared = bound_nodes("onetime", provider, bound)
    nodes = {"integrate": partial(integrate, models=provider, domains=bound)}
    builder = new_builder(nodes | {"execute": shared["execute"], "answer": shared["answer"]}, bound)
    builder.add_conditional_edges("frame", route_after_frame("integrate"), ["integrate", "answer"])
    builder.add_conditional_edges("integrate", route_after_ground)  # a failed pass goes straight to answer
    builder.add_edge("execute", "answer")
    builder.add_edge("answer", END)
    return builder


def build_stepwise(
    style: StepStyle,
    *,
    models: ModelProvider | None = None,
    domains: DomainChoice | None = None,
    tools: Tools | None = None,
) -> LumosGraph:
    """Return the uncompiled step-by-step baseline of an interactive domain: step, execute, repeat."""
    provider, bound = resolve(models, domains, tools)
    shared = bound_nodes("onetime", provider, bound, one_at_a_time=True)  # one executed result per step
    nodes = {"step": partial(step, models=provider, style=style, domains=bound)}
    builder = new_builder(nodes | {"execute": shared["execute"], "answer": shared["answer"]}, bound)
    builder.add_conditional_edges("frame", route_after_frame("step"), ["step", "answer"])
    builder.add_conditional_edges("step", route_after_step)  # stopped, capped or failed -> answer
    builder.add_conditional_edges("execute", route_after_execute, {"plan": "step", "answer": "answer"})
    builder.add_edge("answer", END)
    return builder
