"""How a prompt shows a run's earlier observations: what each changed, and only the newest in full.

On a live page every observation is a whole page; restating each in every later turn outgrows any
window after a few steps. A domain that says what changed between two observations
(``Domain.changes``) has its earlier ones shown that way, in runs and worked examples alike.
"""

from collections.abc import Callable, Sequence

from nodes import protocol
from nodes.domain import Annotation

Changes = Callable[[str, str], str]


def compact_results(first: str, results: Sequence[str], changes: Changes | None) -> list[str]:
    """Return results as a prompt shows them: what each changed, the newest also in full.

    Without ``changes`` (a domain whose observations are short) every result is shown as it is.
    ``first`` is the observation before the first result (the task, with the page it opened on).
    Errors stay whole: they are short, and the planner must see why a step failed.
    """
    if changes is None:
        return list(results)
    shown, before = [], first
    for index, result in enumerate(results, start=1):
        if result.startswith(protocol.ERROR_PREFIX):
            shown.append(result)
            continue
        summary = changes(before, result)
        shown.append(f"{summary}\n{result}" if index == len(results) else summary)
        before = result
    return shown


def compacted(exemplars: Sequence[Annotation], changes: Changes | None) -> list[Annotation]:
    """Return worked examples with their results shown as a run's are (``compact_results``)."""
    if changes is None:
        return list(exemplars)
    return [
        Annotation(**{**ex, "results": compact_results(ex["task"], ex["results"], changes)})
        for ex in exemplars
    ]
