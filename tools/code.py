"""The Code action: model-written Python, run in the bubblewrap sandbox or not at all."""

from models.deadline import remaining
from tools.arithmetic import maths_tool
from tools.errors import ToolError
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
        return run_python(source, timeout_s=limit, memory_mb=CODE_MEMORY_MB)
    except SandboxError as exc:
        raise ToolError(str(exc)) from exc

code = maths_tool("Code")(run_code)
