"""How a prompt shows a run's earlier observations: what each changed, and only the newest in full.

On a live page every observation is a whole page; restating each in every later turn outgrows any
window after a few steps. A domain that says what changed between two observations
(``Domain.changes``) has its earlier ones shown that way, in runs and worked examples alike.
"""

from collections.abc import Callable, Sequence
from typing import cast

from nodes import protocol
from nodes.domain import Annotation
from nodes.state import LumosState

Changes = Callable[[str, str], str]


def compact_results(
    first: str, results: Sequence[str], changes: Changes | None, *, whole: bool = False
) -> list[str]:
    """Return results as a prompt shows them: what each changed, the newest also in full.

    Without ``changes`` (a domain whose observations are short) every result is shown as it is.
    ``first`` is the observation before the first result (the task, with the page it opened on).
    Errors stay whole: they are short, and the planner must see why a step failed. ``whole`` shows
    every result in full after what it changed (a worked example's turns, each as a run's newest).
    """
    if changes is None:
        return list(results)
    shown, before = [], first
    for index, result in enumerate(results, start=1):
        if result.startswith(protocol.ERROR_PREFIX):
            shown.append(result)
            continue
        summary = changes(before, result)
        shown.append(f"{summary}\n{result}" if whole or index == len(results) else summary)
        before = result
    return shown


def compacted(
    exemplars: Sequence[Annotation],
    changes: Changes | None,
    unfinished: Callable[[LumosState], str | None] = lambda state: None,
) -> list[Annotation]:
    """Return worked examples whose every step is shown as a run's newest step is.

    Each result is what it changed, then in full, then what the environment said was unmet (for an
    example recorded on an environment that says so: ``Annotation.environment``). An example whose
    steps looked unlike a run's (short until the last) would teach that a full page means stop.
    """
    if changes is None:
        return list(exemplars)
    shown = []
    for ex in exemplars:
        results = compact_results(ex["task"], ex["results"], changes, whole=True)
        if environment := ex.get("environment"):
            for index in range(len(results)):
                done = cast(
                    LumosState,
                    {
                        "task": ex["task"],
                        "environment": environment,
                        "subgoal_results": ex["results"][: index + 1],
                    },
                )
                if note := unfinished(done):
                    results[index] += f"\n{note}"
        shown.append(Annotation(**{**ex, "results": results}))
    return shown
