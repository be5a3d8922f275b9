"""Execution module: the tools that run grounded Lumos actions, one toolbox per domain."""

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # only for annotations: tools must not import the nodes at runtime
    from models.registry import ModelProvider
    from nodes.context import Context

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


class ToolboxFactory(Protocol):
    """A domain whose tools depend on run settings (a QA model spec, a corpus path)."""

    actions: frozenset[str]

    def __call__(self, context: "Context") -> Toolbox:
        """Return the toolbox for one run."""
        ...


Toolboxes = Mapping[str, Toolbox | ToolboxFactory]


def toolboxes(models: "ModelProvider | None" = None) -> dict[str, Toolbox | ToolboxFactory]:
    """Return the toolbox of every domain, keyed by domain; action names are the Lumos spellings."""
    from models.registry import LlamaModels
    from tools.complex_qa import ComplexQATools
    from tools.maths import MathsTools

    return {"maths": MathsTools(), "complex_qa": ComplexQATools(models or LlamaModels())}


def action_names(box: Toolbox | ToolboxFactory) -> frozenset[str]:
    """Return the action names a domain's toolbox offers."""
    return box.actions if hasattr(box, "actions") else frozenset(box)


def toolbox_for(box: Toolbox | ToolboxFactory, context: "Context") -> Toolbox:
    """Return the tools of a domain for one run."""
    return box(context) if callable(box) else box
