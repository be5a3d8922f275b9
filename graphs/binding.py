"""Bind the shared Lumos nodes to their objects (a model provider, the domains) for one formulation.

This is the one place where a graph built without a provider or domains gets the defaults: GGUF
models run in-process by llama.cpp (loaded on first use) and every domain of ``domains/``.
``tools=`` replaces the toolboxes of some domains (your own tools, or test doubles).
"""

import dataclasses
import functools
from collections.abc import Callable, Collection, Mapping
from functools import partial
from typing import Any

from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from domains import DOMAINS
from models.registry import LlamaModels, ModelProvider
from nodes.answer import answer
from nodes.budget import within_budget
from nodes.context import Context
from nodes.domain import Domain, Domains
from nodes.execute import execute
from nodes.ground import ground
from nodes.inputs import frame
from nodes.plan import plan
from nodes.prompts import Formulation
from nodes.reason import solve
from nodes.review import review
from nodes.state import LumosInput, LumosState
from tools import Toolbox

# domain -> the tools that replace the domain's own: a toolbox, or a function of the run's context
Tools = Mapping[str, Toolbox | Callable[[Context], Toolbox]]

LumosGraph = StateGraph[LumosState, Context, LumosInput, LumosState]
CompiledLumosGraph = CompiledStateGraph[LumosState, Context, LumosInput, LumosState]
FINAL_NODES = ("answer", "reason")  # the nodes that set a run's answer (reason: the CoT/direct baselines)


DomainChoice = Domains | Collection[str]  # declarations, or the names of domains in domains/


def resolve(
    models: ModelProvider | None, domains: DomainChoice | None = None, tools: Tools | None = None
) -> tuple[ModelProvider, Domains]:
    """Return the provider and domains a graph is built over: the given ones, else the defaults."""
    bound: Domains
    if domains is None or domains is DOMAINS:
        bound = DOMAINS  # each domain loads when a run first looks it up
    elif isinstance(domains, Mapping) and all(isinstance(d, Domain) for d in domains.values()):
        bound = dict(domains)
    else:
        bound = {name: DOMAINS[name] for name in domains}
    if tools is not None:  # only the domains given tools, each with those tools
        bound = {name: with_tools(bound.get(name), name, box) for name, box in tools.items()}
    return (models if models is not None else LlamaModels()), bound


def with_tools(domain: Domain | None, name: str, box: Toolbox | Callable[[Context], Toolbox]) -> Domain:
    """Return ``domain`` with other tools (an unknown name gets maths' answer rule and no examples)."""
    base = domain if domain is not None else dataclasses.replace(DOMAINS["maths"], name=name, exemplars=())
    if isinstance(box, Mapping):  # a factory's arguments: (models, context, state)
        return dataclasses.replace(base, toolbox=lambda *factory_args: box, actions=frozenset(box))
    actions = frozenset(getattr(box, "actions", base.actions))
    return dataclasses.replace(base, toolbox=lambda models, context, _: box(context), actions=actions)


def bound_nodes(
    formulation: Formulation,
    models: ModelProvider,
    domains: Domains,
    *,
    reasoning: bool = False,
    one_at_a_time: bool = False,
) -> dict[str, Callable[..., Any]]:
    """Return the plan/review/ground/execute/answer nodes (and ``solve``) with their objects bound.

    ``one_at_a_time``: a Lumos-O plan grounded and executed subgoal by subgoal (a live environment).
    """
    nodes: dict[str, Callable[..., Any]] = {}
    if reasoning:  # Lumos-O: a step-by-step solution before planning when asked (nodes/reason.py)
        nodes["solve"] = partial(solve, models=models, domains=domains)
    return nodes | {
        "plan": partial(plan, models=models, formulation=formulation, domains=domains),
        "review": partial(review, formulation=formulation),  # only with Context.review_plan
        "ground": partial(
            ground, models=models, formulation=formulation, domains=domains, one_at_a_time=one_at_a_time
        ),
        "execute": partial(
            execute, models=models, formulation=formulation, domains=domains, one_at_a_time=one_at_a_time
        ),
        "answer": partial(answer, models=models, formulation=formulation, domains=domains),
    }


def new_builder(nodes: dict[str, Callable[..., Any]], domains: Domains) -> LumosGraph:
    """Return a state graph of ``frame`` (every run's first node) and the given nodes, each within budget.

    The topology's own edges start at ``frame``: ``builder.add_conditional_edges("frame", ...)``.
    """
    builder = StateGraph(LumosState, input_schema=LumosInput, context_schema=Context)
    builder.add_node("frame", within_budget(partial(frame, domains=domains)))
    builder.add_edge(START, "frame")
    for name, node in nodes.items():
        builder.add_node(name, within_budget(node, final=name in FINAL_NODES))
    return builder


def lazy_graph(
    build: Callable[[], StateGraph[Any, Any, Any, Any]], name: str, module: str
) -> tuple[Callable[[], Any], Callable[[str], Any]]:
    """Return a graph module's ``make_graph`` (built on first call, then cached) and its ``__getattr__``.

    ``langgraph.json`` names ``make_graph``; ``from graphs.iterative import graph`` reaches it
    through the module ``__getattr__``, so importing the module builds nothing.
    """

    @functools.cache
    def make_graph() -> Any:
        return build().compile(name=name)  # models load on first use, not here

    def module_getattr(attribute: str) -> Any:
        if attribute == "graph":
            return make_graph()
        raise AttributeError(f"module {module!r} has no attribute {attribute!r}")

    make_graph.__doc__ = f"Return the compiled {name} graph over the defaults, built on first call."
    return make_graph, module_getattr
