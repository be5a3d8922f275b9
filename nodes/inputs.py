"""What a run does with its input before any model call: frame the task once, refuse what cannot run."""

import uuid
from collections.abc import Collection, Mapping
from typing import Any

from langgraph.config import get_config
from langgraph.runtime import Runtime

from nodes.context import Context, context_of, domain_of
from nodes.domain import Domain
from nodes.state import LumosState, failure


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


def frame(state: LumosState, runtime: Runtime[Context], *, domains: Mapping[str, Domain]) -> dict[str, Any]:
    """Show the task over its environment (a web page, an SQL schema): a run's first node, once.

    A domain that runs against an environment frames every task over it (a web episode's page says
    the task, so its task may be empty); a missing or unopenable environment ends the run here, with
    the reason. Other domains refuse an environment and pass the task through unchanged.
    """
    context = context_of(runtime)
    task, environment = state.get("task"), state.get("environment")
    run_key = state.get("run_key") or own_key()
    domain = domains.get(domain_of(state, context))  # None for a domain not bound
    if domain is None or not isinstance(task, str):
        return {}  # the first model node says what is wrong (invalid_input)
    if not domain.environment_help:
        if not environment:
            return {}
        takers = ", ".join(name for name, d in domains.items() if d.environment_help)
        return failure(
            f"the {domain.name} domain runs against no environment (an environment is for: {takers})",
            {"answer": None},
        )
    try:
        return {"task": domain.frame_task(task, environment, run_key), "run_key": run_key}
    except ValueError as err:
        where = f"cannot open the environment {environment!r}: " if environment else ""
        return failure(f"{where}{err}", {"answer": None})


def own_key() -> str:
    """Return the key of the run in progress: its thread and namespace (stable on resume), else a new one."""
    configurable = get_config().get("configurable", {})
    thread = configurable.get("thread_id")
    if thread is None:
        return uuid.uuid4().hex
    return f"{thread}|{configurable.get('checkpoint_ns', '')}"
