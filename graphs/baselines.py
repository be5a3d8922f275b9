"""Baselines on the same model and state schema: chain-of-thought, direct answering, integrated.

CoT and direct are one model call each. The integrated baseline lets one model plan and ground in a
single pass, then runs the actions through Lumos-O's own execution and answer nodes.
"""

from collections.abc import Collection
from functools import partial

from langgraph.graph import END, START

from graphs.binding import LumosGraph, bound_nodes, new_builder
from graphs.routes import route_after_ground
from models.registry import LlamaModels, ModelProvider
from nodes.baseline import Style, reason
from nodes.integrated import integrate
from tools import Toolboxes, action_names, toolboxes


def build(
    style: Style, *, models: ModelProvider | None = None, domains: Collection[str] | None = None
) -> LumosGraph:
    """Return the uncompiled graph of a one-call baseline (``cot`` or ``direct``)."""
    domains = set(domains) if domains is not None else set(toolboxes())
    node = partial(reason, models=models or LlamaModels(), style=style, domains=domains)
    builder = new_builder({"reason": node})
    builder.add_edge(START, "reason")
    builder.add_edge("reason", END)
    return builder


def build_integrated(*, models: ModelProvider | None = None, tools: Toolboxes | None = None) -> LumosGraph:
    """Return the uncompiled integrated baseline: plan and ground in one call, execute, answer."""
    models = models or LlamaModels()
    tools = tools if tools is not None else toolboxes(models)
    shared = bound_nodes("onetime", models, tools)
    action_sets = {domain: action_names(box) for domain, box in tools.items()}
    builder = new_builder(
        {
            "integrate": partial(integrate, models=models, action_sets=action_sets),
            "execute": shared["execute"],
            "answer": shared["answer"],
        }
    )
    builder.add_edge(START, "integrate")
    builder.add_conditional_edges("integrate", route_after_ground)  # a failed pass goes straight to answer
    builder.add_edge("execute", "answer")
    builder.add_edge("answer", END)
    return builder


cot_graph = build("cot").compile(name="cot")
direct_graph = build("direct").compile(name="direct")
integrated_graph = build_integrated().compile(name="integrated")
