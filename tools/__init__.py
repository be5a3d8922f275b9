"""Execution module: the tools that run grounded Lumos actions.

A tool takes the action's argument text (R-variables already substituted) and returns its value;
a failure the agent should see raises ``ToolError``. Tools know nothing of the Lumos protocol,
the graph or the models: what they need (a chat model, a timeout, a corpus) is handed to them.
Each domain (``domains/``) builds its toolbox from them, keyed by the exact action names.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping

Tool = Callable[[str], str | list[str]]  # gets the action's arguments with variables substituted


class MemoryTool(ABC):
    """A tool that reads the variable memory itself, e.g. QA's ``[R2, R5]`` context list.

    Substituting first would flatten a multi-line value into the argument text and lose which
    variable it came from, so these tools get the raw arguments, the memory and the subgoal.
    """

    @abstractmethod
    def __call__(self, args: str, memory: Mapping[str, str], subgoal: str) -> str:
        """Run the action on its raw arguments."""


Toolbox = Mapping[str, Tool | MemoryTool]
