"""The Code action: model-written Python, run in the bubblewrap sandbox or not at all.

The Code actions of one run share their variables, as a notebook's cells do (``CodeSession``): a
program may use ``discount`` that an earlier one defined. Each runs in a fresh sandbox, so the
earlier programs that succeeded are run again first, with what they print discarded.
"""

import re

from models.deadline import remaining
from tools.arithmetic import maths_tool
from tools.errors import ToolError
from tools.formula import format_number
from tools.sandbox import SandboxError, run_python

CODE_TIMEOUT_S = 5.0  # the Code action's own limit; a run's tool_timeout_s may lower it
CODE_MEMORY_MB = 256


def _strip_fences(source: str) -> str:
    """Drop a Markdown code fence around model-written code (```python ... ```)."""
    lines = source.strip().splitlines()
    if lines and lines[0].startswith("```"):
        lines = lines[1:]
        if lines and lines[-1].strip() == "```":
            lines = lines[:-1]
    return "\n".join(lines)


_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def as_value(printed: str) -> str:
    """Return a printed number in the Calculator's spelling (``10.0`` is ``10``), other output as it is.

    A maths program's result is a value that later actions and the answer rule read, so ``24.0``
    from Python and ``24`` from the Calculator must be the same value.
    """
    text = printed.strip()
    if not _NUMBER.fullmatch(text):
        return printed
    try:
        return format_number(float(text))
    except ToolError:  # too large for a float: the digits as printed are the value
        return text


def run_code(args: str, timeout_s: float = CODE_TIMEOUT_S) -> str:
    """Run model-written Python in the sandbox and return what it printed."""
    source = _strip_fences(args)
    if not source.strip():
        raise ToolError("no code given")
    left = remaining()
    limit = min(timeout_s, CODE_TIMEOUT_S) if left is None else min(timeout_s, CODE_TIMEOUT_S, left)
    if limit <= 0:
        raise ToolError("not run, the run's wall-clock budget is spent")
    try:
        printed = run_python(source, timeout_s=limit, memory_mb=CODE_MEMORY_MB)
    except SandboxError as exc:
        raise ToolError(str(exc)) from exc
    if not printed.strip():
        raise ToolError("the program printed nothing and ends with no value; print the result")
    return as_value(printed)


code = maths_tool("Code")(run_code)


def with_earlier(source: str, earlier: list[str]) -> str:
    """Return ``source`` preceded by the earlier programs of its run, their printing discarded."""
    if not earlier:
        return source
    prelude = "\n".join(earlier)
    return (
        "import contextlib as _contextlib, io as _io\n"
        "with _contextlib.redirect_stdout(_io.StringIO()):\n"
        f"    exec(compile({prelude!r}, '<earlier Code>', 'exec'))\n" + source
    )


class CodeSession:
    """The Code tool of one run: each program sees the variables the run's earlier programs set."""

    def __init__(self, timeout_s: float = CODE_TIMEOUT_S, earlier: list[str] | None = None) -> None:
        self.timeout_s = timeout_s
        self.earlier = list(earlier or [])

    def __call__(self, args: str) -> str:
        """Run one program after the earlier ones; keep it for the next when it succeeds."""
        source = _strip_fences(args)
        result = run_code(with_earlier(source, self.earlier) if source.strip() else source, self.timeout_s)
        self.earlier.append(source)
        return result
