"""The wall-clock deadline of the run step in progress, read by model calls and tools.

The graph's nodes set it (``nodes/budget.py``) for the duration of each step, so a model stops
generating and a tool stops waiting when the run's ``max_run_seconds`` is spent. It lives in the
lowest layer because models and tools both read it; a context variable, so concurrent runs in
threads each see their own.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_DEADLINE: ContextVar[float | None] = ContextVar("lumos_deadline", default=None)


@contextmanager
def deadline_in(seconds: float) -> Iterator[float]:
    """Set the deadline ``seconds`` from now (``time.monotonic``) for the enclosed code."""
    at = time.monotonic() + seconds
    token = _DEADLINE.set(at)
    try:
        yield at
    finally:
        _DEADLINE.reset(token)


def remaining() -> float | None:
    """Return the seconds left before the deadline (negative once past), or None when none is set."""
    at = _DEADLINE.get()
    return None if at is None else at - time.monotonic()


def passed() -> bool:
    """Tell whether a deadline is set and has passed."""
    left = remaining()
    return left is not None and left <= 0
