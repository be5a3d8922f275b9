"""Bind the shared Lumos nodes to their objects (models, toolboxes) for one formulation."""

from collections.abc import Callable
from functools import partial
from typing import Any

from langgraph.graph import StateGraph
from langgraph.graph.state import CompiledStateGraph

from models.registry import LlamaModels, ModelProvider
from nodes.answer import answer
from nodes.budget import within_budget
from nodes.context import Context
from nodes.execute import execute
from nodes.ground import ground
from nodes.plan import plan
from nodes.prompts import Formulation
from nodes.review import review
from nodes.state import LumosInput, LumosState
from tools import Toolboxes, action_names, toolboxes


def bound_nodes(
    formulation: Formulation, models: ModelProvider | None, tools: Toolboxes | None
) -> dict[str, Callable[..., Any]]:
    """Return the plan/review/ground/execute/answer nodes with their dependencies bound."""
    models = models or LlamaModels()  # loads weights lazily, on the first model call
    tools = tools if tools is not None else toolboxes(models)
    action_sets = {domain: action_names(box) for domain, box in tools.items()}
    return {
        "plan": partial(plan, models=models, formulation=formulation, domains=set(tools)),
        "review": partial(review, formulation=formulation),  # only with Context.review_plan
        "ground": partial(ground, models=models, formulation=formulation, action_sets=action_sets),
        "execute": partial(execute, toolboxes=tools, formulation=formulation),
        "answer": partial(answer, models=models, formulation=formulation),
    }


LumosGraph = StateGraph[LumosState, Context, LumosInput, LumosState]
CompiledLumosGraph = CompiledStateGraph[LumosState, Context, LumosInput, LumosState]


FINAL_NODES = ("answer", "reason")  # the nodes that set a run's answer


def new_builder(nodes: dict[str, Callable[..., Any]]) -> LumosGraph:
    """Return a state graph holding the given nodes, each within the run's wall-clock budget."""
    builder = StateGraph(LumosState, input_schema=LumosInput, context_schema=Context)
    for name, node in nodes.items():
        builder.add_node(name, within_budget(node, final=name in FINAL_NODES))
    return builder
