"""What a run does with its input before any model call: frame the task, refuse what cannot run."""

import inspect
from collections.abc import Callable, Collection, Mapping
from typing import Any

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


def framing(state: LumosState, context: Context, domains: Mapping[str, Domain]) -> dict[str, Any]:
    """Return the update that shows the task over its environment (a web page, an SQL schema).

    Empty when the run needs none: no environment, a domain that frames nothing, or a task already
    framed (``framed``: the CLI and the benchmark readers frame tasks before the run starts).
    """
    task, environment = state.get("task"), state.get("environment")
    domain = domains.get(domain_of(state, context))
    if state.get("framed") or not environment or domain is None or not domain.environment_help:
        return {}
    if not isinstance(task, str):
        return {}  # invalid_input says what is wrong with it
    try:
        shown = domain.frame_task(task, environment)
    except ValueError as err:
        return failure(f"cannot open the environment {environment!r}: {err}", {"framed": True})
    added = shown.removeprefix(task.strip()).strip()
    if added and task.rstrip().endswith(added):  # a caller framed it already (domain.frame_task)
        return {"framed": True}
    return {"task": shown, "framed": True}


def framed_first(node: Callable[..., Any], domains: Mapping[str, Domain]) -> Callable[..., Any]:
    """Return ``node`` run on the framed task: whichever node a run starts with frames it once.

    So a run started with only an environment (a server run: ``{"task": "", "environment":
    "miniwob/click-button-v1?seed=3"}``) sees the page as a CLI run does.
    """
    takes_runtime = "runtime" in inspect.signature(node).parameters

    def run(state: dict[str, Any], runtime: Runtime[Context]) -> Any:
        update = framing(state, context_of(runtime), domains)  # type: ignore[arg-type]
        if update.get("error"):
            return update
        merged = {**state, **update}
        result = node(merged, runtime) if takes_runtime else node(merged)
        return {**update, **result} if isinstance(result, dict) else result

    inner = getattr(node, "func", node)
    # not functools.wraps: LangGraph reads the signature to inject runtime, and must see this one
    run.__name__ = run.__qualname__ = getattr(inner, "__name__", "node")
    run.__doc__ = inner.__doc__
    return run
