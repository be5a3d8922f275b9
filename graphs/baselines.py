"""Single-call baselines on the same model and state schema: chain-of-thought and direct answering."""

from functools import partial

from langgraph.graph import END, START

from graphs.binding import LumosGraph, new_builder
from models.registry import LlamaModels, ModelProvider
from nodes.baseline import Style, reason
from tools import toolboxes


def build(style: Style, *, models: ModelProvider | None = None) -> LumosGraph:
    """Return the uncompiled graph of a one-call baseline (``cot`` or ``direct``)."""
    node = partial(reason, models=models or LlamaModels(), style=style, domains=set(toolboxes()))
    builder = new_builder({"reason": node})
    builder.add_edge(START, "reason")
    builder.add_edge("reason", END)
    return builder


cot_graph = build("cot").compile(name="cot")
direct_graph = build("direct").compile(name="direct")
