"""Human review of the plan: pause after planning so a person can approve, edit or reject it.

The graphs route through ``review`` only when ``Context.review_plan`` is set, and the run needs a
checkpointer and a thread id to pause. A caller resumes with ``Command(resume=decision)``, where the
decision is ``"approve"``, ``"reject"``, ``{"action": "reject", "reason": "..."}`` or
``{"action": "edit", "subgoals": ["...", ...]}`` (one subgoal for Lumos-I, the whole plan for Lumos-O).
"""

import re
from typing import Any, Literal, NotRequired

from langgraph.runtime import Runtime
from langgraph.types import Overwrite, interrupt
from typing_extensions import TypedDict

from nodes.context import Context, context_of
from nodes.prompts import Formulation
from nodes.state import LumosState, Review

APPROVE = {"approve", "approved", "a", "yes", "y", "ok"}
REJECT = {"reject", "rejected", "r", "no", "n"}
_SUBGOAL_PREFIX = re.compile(r"^\s*Subgoal\s*\d+\s*:\s*")


class PlanReview(TypedDict):
    """What the reviewer is shown: the interrupt's value."""

    formulation: Formulation
    task: str
    first: int  # 1-based number of the first subgoal under review
    subgoals: list[str]  # under review: the newest subgoal (Lumos-I) or the whole plan (Lumos-O)
    plan: list[str]  # every subgoal so far, the reviewed ones included
    options: list[Literal["approve", "edit", "reject"]]
    problem: NotRequired[str]  # why the previous answer was not a decision (the review asks again)


def under_review(state: LumosState, formulation: Formulation) -> tuple[int, list[str]]:
    """Return the number of the first subgoal to review and the subgoals to review."""
    subgoals = list(state.get("subgoals", []))
    if formulation == "iterative":
        return len(subgoals), subgoals[-1:]
    return 1, subgoals


def edited_subgoals(value: Any, *, formulation: Formulation, context: Context) -> list[str]:
    """Return the subgoals of an edit, checked (one for Lumos-I, 1..max_subgoals for Lumos-O)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
        raise ValueError(f"an edit needs a list of subgoal strings, not {value!r}")
    subgoals = [_SUBGOAL_PREFIX.sub("", s).strip() for s in items]
    if not subgoals or not all(subgoals):
        raise ValueError("an edited plan needs at least one subgoal, and no empty ones")
    if formulation == "iterative" and len(subgoals) != 1:
        raise ValueError(f"Lumos-I reviews one subgoal at a time; the edit has {len(subgoals)}")
    if len(subgoals) > context.max_subgoals:
        raise ValueError(f"the edited plan has {len(subgoals)} subgoals; the limit is {context.max_subgoals}")
    return subgoals


def decision_of(
    value: Any, *, first: int, pending: list[str], formulation: Formulation, context: Context
) -> Review:
    """Return the reviewer's verdict as a ``Review``; raise ValueError when it is not one."""
    if isinstance(value, bool):
        value = "approve" if value else "reject"
    if isinstance(value, list):
        value = {"action": "edit", "subgoals": value}
    if isinstance(value, str):
        value = {"action": value}
    if not isinstance(value, dict) or not isinstance(value.get("action"), str):
        raise ValueError(f"a review decision is approve, edit or reject, not {value!r}")
    action = value["action"].strip().lower()
    reason = str(value.get("reason") or "").strip()
    if action in APPROVE:
        return Review(first=first, decision="approve", subgoals=pending)
    if action in REJECT:
        return Review(first=first, decision="reject", subgoals=pending, reason=reason)
    if action in ("edit", "e"):
        edits = value.get("subgoals", value.get("subgoal"))
        subgoals = edited_subgoals(edits, formulation=formulation, context=context)
        return Review(first=first, decision="edit", subgoals=subgoals, reason=reason)
    raise ValueError(f"a review decision is approve, edit or reject, not {value['action']!r}")


def review(state: LumosState, runtime: Runtime[Context], *, formulation: Formulation) -> dict[str, Any]:
    """Pause for a person's verdict on the new subgoal(s), then keep, replace or reject them.

    An answer that is not a decision is not an error: the review asks again, saying what was wrong
    (a resumed node replays its earlier interrupts, so each retry is a new one).
    """
    first, pending = under_review(state, formulation)
    request = PlanReview(
        formulation=formulation,
        task=state["task"],
        first=first,
        subgoals=pending,
        plan=list(state.get("subgoals", [])),
        options=["approve", "edit", "reject"],
    )
    context = context_of(runtime)
    while True:
        try:
            verdict = decision_of(
                interrupt(request), first=first, pending=pending, formulation=formulation, context=context
            )
            break
        except ValueError as err:
            request = request | {"problem": str(err)}
    update: dict[str, Any] = {"reviews": [verdict]}
    if verdict["decision"] == "reject":
        why = f": {verdict['reason']}" if verdict.get("reason") else ""
        return update | {"error": f"the reviewer rejected the plan{why}", "stop_reason": "error"}
    if verdict["decision"] == "edit":
        kept = list(state.get("subgoals", []))[: first - 1]
        update["subgoals"] = Overwrite(kept + verdict["subgoals"])  # the reducer would append
    return update
