"""The graph a run's settings call for: a formulation or baseline, inside the wrapper its context asks for.

``compiled(formulation)`` is the plain compiled graph (what ``langgraph.json`` serves and
``lumos graph`` draws). ``pipeline(formulation, context)`` is what ``lumos run`` and ``lumos eval``
run: the formulation wrapped in voting (``VotingContext.votes`` > 1) or cross-checking (``plan_retries``).
On an interactive domain the integrated and direct baselines are their step-by-step graphs.
"""

from typing import Any, cast

from langgraph.graph.state import CompiledStateGraph

from graphs.binding import CompiledLumosGraph
from nodes.context import Context
from nodes.step import StepStyle

FORMULATIONS = ("iterative", "onetime", "cot", "direct", "integrated")  # the last three are baselines


def compiled(formulation: str) -> CompiledLumosGraph:
    """Return the compiled graph of a formulation or baseline."""
    if formulation == "iterative":
        from graphs.iterative import graph
    elif formulation == "onetime":
        from graphs.onetime import graph
    elif formulation == "cot":
        from graphs.baselines import cot_graph as graph
    elif formulation == "direct":
        from graphs.baselines import direct_graph as graph
    elif formulation == "integrated":
        from graphs.baselines import integrated_graph as graph
    else:
        raise ValueError(f"unknown formulation {formulation!r}; known: {', '.join(FORMULATIONS)}")
    return graph


def stepwise(style: str) -> CompiledLumosGraph:
    """Return the compiled step-by-step baseline (``integrated`` or ``direct``) of interactive domains."""
    from graphs.baselines import build_stepwise

    if style not in _STEPWISE:
        _STEPWISE[style] = build_stepwise(cast(StepStyle, style)).compile(name=f"{style}-stepwise")
    return _STEPWISE[style]


_STEPWISE: dict[str, CompiledLumosGraph] = {}


def pipeline(formulation: str, context: Context) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Return the graph that runs ``formulation`` under ``context``, inside the wrapper it asks for."""
    from domains import DOMAINS
    from graphs import crosscheck, voting

    domain = DOMAINS.get(context.domain)
    if domain is not None and domain.formulations is not None and formulation not in domain.formulations:
        runs = ", ".join(sorted(domain.formulations))
        raise ValueError(f"the {domain.name} domain runs under {runs} only, not {formulation}")
    if domain is not None and domain.interactive and formulation in ("integrated", "direct"):
        return stepwise(formulation)
    inner = compiled(formulation)
    if isinstance(context, voting.VotingContext) and context.votes > 1:
        return voting.compiled(inner)
    if isinstance(context, crosscheck.CrossCheckContext) and context.plan_retries:
        return crosscheck.compiled(inner)
    return inner
