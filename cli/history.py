"""`lumos history`: a thread's completed steps, one line each, read back from its checkpoints."""

from collections.abc import Iterable, Mapping
from typing import Any

from langgraph.types import StateSnapshot

from nodes import protocol


def brief(text: str, width: int = 160) -> str:
    """Return an observation shortened for the terminal: its first line, and how many more there are."""
    lines = text.splitlines() or [""]
    head = lines[0] if len(lines[0]) <= width else lines[0][: width - 1] + "…"
    return head + (f" (+{len(lines) - 1} more lines)" if len(lines) > 1 else "")


def _value(update: Any, key: str) -> Any:
    value = update.get(key) if isinstance(update, dict) else None
    return getattr(value, "value", value)  # an edit writes Overwrite(subgoals)


def describe(node: str, update: Any, before: Mapping[str, Any]) -> list[str]:
    """Return the history lines of one completed step (``before``: the state it started from)."""
    if not isinstance(update, dict):
        return []
    lines: list[str] = []
    if node == "__start__":
        lines.append(f"task: {update.get('task')}")
    elif node == "review":
        for verdict in _value(update, "reviews") or []:
            what = ", ".join(
                protocol.render_subgoal(i, s)
                for i, s in enumerate(verdict["subgoals"], start=verdict["first"])
            )
            reason = f" ({verdict['reason']})" if verdict.get("reason") else ""
            lines.append(f"{verdict['decision']}: {what}{reason}")
    elif node == "attempt":  # graphs/voting.py: one run of the voted formulation
        for run in _value(update, "attempts") or []:
            how = "greedy" if run["sample"] == 0 else f"sample {run['sample']}"
            outcome = run["answer"] if run["answer"] is not None else run["error"]
            lines.append(f"run {run['sample'] + 1} ({how}): {outcome}")
    elif node == "vote":
        lines.append(f"vote: {update.get('answer')} ({update.get('vote_count')} runs agree)")
    elif node == "settle":  # graphs/crosscheck.py
        why = f"run {update.get('chosen', 0) + 1} agrees with its reasoning"
        if update.get("answer_source") == "reasoning":
            why = "the reasoning's: no run agrees with it, and the runs disagree among themselves"
        elif not update.get("agreed"):
            why = f"run {update.get('chosen', 0) + 1}'s: no run agrees with its reasoning"
        lines.append(f"cross-check: {update.get('answer')} ({why})")
    elif node == "answer":
        answer = update.get("answer")
        lines.append(f"Answer: {answer}" if answer is not None else f"No answer: {update.get('error')}")
    else:
        if node == "plan" and update.get("stop_reason") == "planner":
            lines += _value(update, "plan_outputs") or []
        first = len(before.get("subgoals", [])) + 1
        lines += [
            protocol.render_subgoal(i, s) for i, s in enumerate(_value(update, "subgoals") or [], first)
        ]
        lines += _value(update, "ground_outputs") or []
        for action in _value(update, "actions") or []:
            lines.append(f"{protocol.render_action(action)} -> {brief(action['observation'])}")
    if update.get("error") and node != "answer":
        lines.append(f"error: {update['error']}")
    return lines or ["(no change)"]


def history_lines(snapshots: Iterable[StateSnapshot]) -> list[str]:
    """Return a thread's steps, oldest first, and where it stands now."""
    ordered = list(snapshots)[::-1]  # get_state_history yields the newest first
    lines: list[str] = []
    for snapshot in ordered:
        step = (snapshot.metadata or {}).get("step", -1) + 1
        for task in snapshot.tasks:
            if task.result is None and not task.error:
                continue  # the step that runs next
            name = "input" if task.name == "__start__" else task.name
            for text in describe(task.name, task.result or {"error": repr(task.error)}, snapshot.values):
                lines.append(f"step {step:<3} {name:<8} {text}")
    if not ordered:
        return ["(no steps yet)"]
    last = ordered[-1]
    if last.interrupts:
        lines.append(f"paused: waiting for a review before {', '.join(last.next)}")
    elif last.next:
        lines.append(f"stopped before {', '.join(last.next)}: `lumos run --thread ID` resumes it")
    else:
        lines.append("finished")
    return lines
