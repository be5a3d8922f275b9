"""Execution module: the tools that run grounded Lumos actions, one toolbox per domain."""

from collections.abc import Callable, Mapping

Tool = Callable[[str], str | list[str]]
Toolbox = Mapping[str, Tool]


def toolboxes() -> dict[str, Toolbox]:
    """Return the toolbox of every domain, keyed by domain; action names are the Lumos spellings."""
    from tools.maths import MATHS_TOOLS

    return {"maths": MATHS_TOOLS}
