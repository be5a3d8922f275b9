"""Where a run stands in its plan: what was grounded, which variables exist, whose turn it is.

Read by the grounding, execution and baseline nodes alike, so none of them imports another node.
"""

from collections.abc import Collection

from nodes import protocol
from nodes.context import Context
from nodes.domain import Domain
from nodes.prompts import Formulation
from nodes.state import LumosState, Nudge


def groundings_so_far(state: LumosState) -> list[str]:
    """Return the action line of each subgoal grounded and executed so far (Lumos-I)."""
    lines: dict[int, list[protocol.Action]] = {}
    for action in state.get("actions", []):
        lines.setdefault(action["subgoal"], []).append(
            protocol.Action(outputs=action["outputs"], name=action["name"], args=action["args"])
        )
    return [protocol.render_actions(lines[k]) for k in sorted(lines) if k > 0]


def variables_assigned(state: LumosState) -> int:
    """Return the highest k of the ``Rk`` that executed actions assigned (0 before any): the next is k+1."""
    indices = [
        protocol.variable_index(name)
        for action in state.get("actions", [])
        for name in action["outputs"]
        if protocol.VARIABLE.fullmatch(name)
    ]
    return max(indices, default=0)


def subgoal_in_turn(state: LumosState, formulation: Formulation, one_at_a_time: bool = False) -> int:
    """Return the 1-based subgoal the next grounding or execution is for; 0 for a whole Lumos-O plan.

    Lumos-I runs its newest subgoal. A Lumos-O plan grounded one subgoal at a time (on a live
    environment: ``graphs/onetime.build(one_at_a_time=True)``) runs the first with no result yet.
    """
    if formulation == "iterative":
        return len(state.get("subgoals", []))
    if not one_at_a_time:
        return 0
    return len(state.get("subgoal_results", [])) + 1


def unknown_actions(actions: list[protocol.Action], available: Collection[str]) -> list[str]:
    """Return the action names that are not in the domain's action set (passthrough is allowed)."""
    return [a["name"] for a in actions if a["name"] and a["name"] not in available]


def nudge(state: LumosState, context: Context, domain: Domain, said: str = "") -> Nudge | None:
    """Return the observation a plan's end gets while the environment says the task is unmet, or None.

    A Lumos-I stop line (``said``) or a Lumos-O plan that ran out is answered once a run (again while
    the run has no answer at all, ``Domain.answered``, and its newest subgoal is not one it planned
    before), in the instruct profile without planner reasoning, and only while ``max_subgoals``
    leaves room to act.
    """
    if context.profile != "instruct" or context.plan_reasoning != "off":
        return None
    if state.get("nudges") and (domain.answered(state) or repeats_a_subgoal(state)):
        return None
    planned = len(state.get("subgoals", []))
    if planned >= context.max_subgoals or not (note := domain.unfinished(state)):
        return None
    return Nudge(after=planned, said=said, note=note)


def repeats_a_subgoal(state: LumosState) -> bool:
    """Return whether the newest subgoal says what an earlier one said (case and spacing aside).

    A planner that plans again what it already planned is not helped by being asked once more.
    """
    said = [" ".join(subgoal.lower().split()) for subgoal in state.get("subgoals", [])]
    return bool(said) and said[-1] in said[:-1]
