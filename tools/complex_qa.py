"""The complex-QA action set (lumos-reference §3.1): KnowledgeQuery, ParagraphRetrieve, QA, Calculator.

KnowledgeQuery's value is its sentences, one per line, so it stays a JSON string in the memory;
ParagraphRetrieve reads those lines back as its candidates. QA is an LLM call with Lumos's prompts
on the run's QA model. Lumos's QA-domain Calculator deleted operators and asked the QA model; here
a formula that is real arithmetic is computed, and only a non-numeric one (``R6 > R3`` over text
answers) goes to the QA model, with the subgoal as its question as Lumos did.
"""

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from langchain_core.language_models import BaseChatModel

from nodes import protocol
from tools import MemoryTool, Toolbox
from tools.errors import ToolError
from tools.knowledge import Knowledge, knowledge_backend
from tools.maths import maths_tools
from tools.qa import ANSWER_PREFIX, QA_MAX_TOKENS, answer_of, qa
from tools.retrieval import paragraph_retrieve

if TYPE_CHECKING:
    from models.registry import ModelProvider
    from nodes.context import Context

ACTIONS = frozenset({"KnowledgeQuery", "ParagraphRetrieve", "QA", "Calculator", "Code"})


def value_lines(head: str, memory: Mapping[str, str]) -> list[str]:
    """Return the lines of the variables named in ``head`` (or ``head`` itself when it names none)."""
    names = protocol.VARIABLE.findall(head)
    if not names:
        text = head.strip().strip("[]").strip()
        return [text] if text else []
    lines: list[str] = []
    for name in names:
        if name not in memory:
            raise protocol.UndefinedVariableError(f"{name} is not defined (no earlier action assigned it)")
        lines += [line for line in memory[name].splitlines() if line.strip()]
    return lines


def readable(text: str, memory: Mapping[str, str]) -> str:
    """Substitute variables in a question by their short values (a QA result's answer, not its question)."""
    short = {k: answer_of(v) if ANSWER_PREFIX in v else v for k, v in memory.items()}
    return protocol.substitute(text, short)


class KnowledgeQueryTool(MemoryTool):
    """``KnowledgeQuery(query)``: the sentences of the best page, one ``title *** sentence`` per line."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge

    def __call__(self, args: str, memory: Mapping[str, str], subgoal: str) -> str:
        """Search the knowledge backend."""
        return "\n".join(self.knowledge(readable(args, memory)))


class ParagraphRetrieveTool(MemoryTool):
    """``ParagraphRetrieve(R1, Query: q)``: the 5 best lines of R1 as ``Evidence k:`` lines."""

    def __call__(self, args: str, memory: Mapping[str, str], subgoal: str) -> str:
        """Rank the candidate paragraphs against the query with BM25."""
        head, query = protocol.split_argument(args, "Query")
        return paragraph_retrieve(value_lines(head, memory), readable(query, memory))


class QATool(MemoryTool):
    """``QA([R2, R5], Question: q)``: the QA model answers from the listed values."""

    def __init__(self, model: BaseChatModel) -> None:
        self.model = model

    def __call__(self, args: str, memory: Mapping[str, str], subgoal: str) -> str:
        """Return ``Question: q; Answer: a`` from the QA model, with Lumos's fallbacks."""
        head, question = protocol.split_argument(args, "Question")
        return qa(self.model, "\n".join(value_lines(head, memory)), readable(question, memory))


class QACalculatorTool(MemoryTool):
    """``Calculator(formula)`` in complex QA: arithmetic when the values are numbers, else the QA model."""

    def __init__(self, model: BaseChatModel, calculator: Callable[[str], str | list[str]]) -> None:
        self.model = model
        self.calculator = calculator

    def __call__(self, args: str, memory: Mapping[str, str], subgoal: str) -> str:
        """Compute the formula, or ask the QA model to judge it against the subgoal."""
        try:
            result = self.calculator(readable(args, memory))
            return result if isinstance(result, str) else ", ".join(result)
        except ValueError:
            pass
        facts = [f"{readable(name, memory)}." for name in protocol.VARIABLE.findall(args)]
        if not facts:
            raise ToolError(f"Calculator cannot evaluate {args!r}")
        return qa(self.model, " ".join(facts), subgoal.split(": ", 1)[-1])


def qa_chat_model(models: "ModelProvider", context: "Context") -> BaseChatModel:
    """Return the run's QA model: its own role, so it may share weights but not a KV cache."""
    return models.chat(context.qa_model, role="qa", prompt_format="chat", max_tokens=QA_MAX_TOKENS)


class ComplexQATools:
    """The complex-QA toolbox of a run: its knowledge backend and its QA model come from the context."""

    actions = ACTIONS

    def __init__(self, models: "ModelProvider") -> None:
        self.models = models

    def __call__(self, context: "Context") -> Toolbox:
        """Return the tools for one run."""
        model = qa_chat_model(self.models, context)
        maths = maths_tools(context.tool_timeout_s)
        return {
            "KnowledgeQuery": KnowledgeQueryTool(knowledge_backend(context.knowledge, context.corpus)),
            "ParagraphRetrieve": ParagraphRetrieveTool(),
            "QA": QATool(model),
            "Calculator": QACalculatorTool(model, maths["Calculator"]),
            "Code": maths["Code"],
        }
