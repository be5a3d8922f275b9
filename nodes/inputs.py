"""What a run refuses before any model call: a task that is not text a model can take, an unknown domain."""

from collections.abc import Collection

from nodes.context import Context, domain_of
from nodes.state import LumosState


def task_problem(task: object) -> str | None:
    """Return why ``task`` is not a task a run can take (not text, empty, NUL, not Unicode), or None."""
    if not isinstance(task, str):
        return f"the task must be a string, not {type(task).__name__}"
    if not task.strip():
        return "the task is empty"
    if "\x00" in task:
        return f"the task contains a NUL byte (at character {task.index(chr(0))})"
    try:
        task.encode("utf-8")
    except UnicodeEncodeError as err:  # a lone surrogate: invalid UTF-8 decoded with surrogateescape
        where = f"a lone surrogate at character {err.start}"
        return f"the task is not valid Unicode ({where}; was it read from invalid UTF-8?)"
    return None


def invalid_input(state: LumosState, context: Context, domains: Collection[str]) -> str | None:
    """Return why the task cannot be run, or None."""
    task = state.get("task")
    if (problem := task_problem(task)) or not isinstance(task, str):
        return problem
    if len(task) > context.max_task_chars:
        return f"the task has {len(task)} characters; the limit is {context.max_task_chars} (max_task_chars)"
    if domain_of(state, context) not in domains:
        return f"unknown domain {domain_of(state, context)!r}; available: {', '.join(sorted(domains))}"
    if setting := context.rerun_setting():  # a setting of a wrapper, never of one run
        return (
            f"{setting} reruns whole tasks: wrap the graph in graphs.voting or graphs.crosscheck "
            "(`lumos run` and `lumos eval` do) instead of setting it on one run"
        )
    return None
