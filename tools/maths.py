"""The Lumos maths action set: Calculator, SetEquation, SolveEquation, SolveInequality, Count, Define, Code.

Every tool takes the action's argument text, after the executor has substituted R-variables, and
returns a string (or a list of strings for several unknowns). Failures raise :class:`ToolError`
whose message is shown to the planner, so it says what was wrong rather than how the tool broke.
``MATHS_TOOLS`` are the plain functions (``tools/arithmetic.py``, ``tools/equations.py``,
``tools/code.py``); ``maths_tools(timeout_s)`` is the toolbox a run uses, in which every call is
bounded from outside: the arithmetic and sympy tools in killable worker processes
(``tools/bounded.py``), Code in the bubblewrap sandbox (``tools/sandbox.py``).
"""

from collections.abc import Callable

from tools.arithmetic import calculator, count, define, maths_tool
from tools.bounded import bounded
from tools.code import CodeSession, code
from tools.equations import set_equation, solve_equation, solve_inequality
from tools.errors import ToolError

__all__ = [
    "MATHS_TOOLS",
    "ToolError",
    "calculator",
    "code",
    "count",
    "define",
    "maths_tools",
    "set_equation",
    "solve_equation",
    "solve_inequality",
]

DEFAULT_TOOL_TIMEOUT_S = 10.0  # Context.tool_timeout_s
MATHS_TOOLS: dict[str, Callable[[str], str | list[str]]] = {
    "Calculator": calculator,
    "SetEquation": set_equation,
    "SolveEquation": solve_equation,
    "SolveInequality": solve_inequality,
    "Count": count,
    "Define": define,
    "Code": code,
}
_IN_PROCESS = {"Define"}  # returns its argument: nothing to bound


def maths_tools(
    timeout_s: float = DEFAULT_TOOL_TIMEOUT_S, programs: list[str] | None = None
) -> dict[str, Callable[[str], str | list[str]]]:
    """Return the maths toolbox of one run, every tool call bounded by ``timeout_s`` of wall clock.

    ``programs`` are the run's Code programs that already succeeded: later ones see their variables.
    """
    tools: dict[str, Callable[[str], str | list[str]]] = {
        name: tool if name in _IN_PROCESS else bounded(name, tool, timeout_s)
        for name, tool in MATHS_TOOLS.items()
        if name != "Code"
    }
    tools["Code"] = maths_tool("Code")(CodeSession(timeout_s, programs))
    return tools
