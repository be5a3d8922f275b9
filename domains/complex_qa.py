"""The complex-QA domain (HotpotQA, StrategyQA): Lumos's QA action set, worked examples, answer rule.

The actions (lumos-reference §3.1) are KnowledgeQuery, ParagraphRetrieve, QA, Calculator and Code.
Their adapters here read Lumos's argument syntax (``ParagraphRetrieve(R1, Query: q)``,
``QA([R2, R5], Question: q)``) and the variable memory, then call the plain tools in ``tools/``.
KnowledgeQuery's value is its sentences, one per line, so ParagraphRetrieve reads those lines back
as its candidates. QA asks the run's QA model with Lumos's prompts. Lumos's QA-domain Calculator
deleted operators and asked the QA model; here a formula that is real arithmetic is computed, and
only a non-numeric one (``R6 > R3`` over text answers) goes to the QA model, with the subgoal as its
question, as Lumos did. The QA model comes from the provider the graph was built with: the tools
are handed it, never load it.

The answer: Lumos-O takes the final variable's QA answer; Lumos-I, and Lumos-O when the final
value is no QA answer, asks the QA model the task over every QA result (Lumos's
``decide_final_ans``). StrategyQA's answer is yes or no ("yes" anywhere in it means yes, as Lumos
scores it).
"""

from collections.abc import Callable, Mapping

from langchain_core.language_models import BaseChatModel

from models.registry import ModelProvider
from nodes import protocol
from nodes.context import Context
from nodes.domain import Annotation, Domain, Formulation, Kind, Outcome
from nodes.state import LumosState
from tools import MemoryTool, Toolbox
from tools.errors import ToolError
from tools.knowledge import Knowledge, knowledge_backend
from tools.maths import maths_tools
from tools.qa import ANSWER_PREFIX, QA_MAX_TOKENS, YES_NO_MARKER, answer_of, qa
from tools.retrieval import paragraph_retrieve

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


def qa_model(models: ModelProvider, context: Context) -> BaseChatModel:
    """Return the run's QA model: its own role, so it may share weights but not a KV cache."""
    return models.chat(context.qa_model, role="qa", prompt_format="chat", max_tokens=QA_MAX_TOKENS)


def toolbox(models: ModelProvider, context: Context, state: LumosState | None = None) -> Toolbox:
    """Return the complex-QA tools of one run: its knowledge backend, its QA model, bounded maths."""
    model = qa_model(models, context)
    maths = maths_tools(context.tool_timeout_s)
    return {
        "KnowledgeQuery": KnowledgeQueryTool(knowledge_backend(context.knowledge, context.corpus)),
        "ParagraphRetrieve": ParagraphRetrieveTool(),
        "QA": QATool(model),
        "Calculator": QACalculatorTool(model, maths["Calculator"]),
        "Code": maths["Code"],
    }


def yes_no(prediction: str) -> str:
    """Map a prediction to yes/no as Lumos scores StrategyQA: "yes" anywhere means yes."""
    return "yes" if "yes" in prediction.lower() else "no"


def answer(state: LumosState, context: Context, models: ModelProvider, formulation: Formulation) -> Outcome:
    """Return the run's answer: the final QA answer (Lumos-O), or the QA model's over every QA result."""
    memory = state.get("memory", {})
    final = protocol.final_variable(memory)
    if formulation == "onetime" and final and ANSWER_PREFIX in memory[final]:
        prediction = answer_of(memory[final])
    else:
        names = sorted((n for n in memory if protocol.VARIABLE.fullmatch(n)), key=protocol.variable_index)
        found = "; ".join(memory[n] for n in names if "Question: " in memory[n])
        question = state["task"].strip() + (f" {YES_NO_MARKER}." if context.yes_no else "")
        try:
            prediction = answer_of(qa(qa_model(models, context), found, question))
        except ValueError as err:  # the collected results do not fit the QA model's context
            return None, f"the final QA call failed: {err}"
    return (yes_no(prediction) if context.yes_no else prediction), None


def answer_kind(context: Context) -> Kind:
    """Return what a complex-QA answer is: yes/no (StrategyQA) or a brief entity."""
    return "yes_no" if context.yes_no else "qa"


def _qa(question: str, answer: str) -> str:
    """Return a QA action's result as the QA tool writes it."""
    return f"Question: {question}; Answer: {answer}"


def _lookup(first: int, page: str, question: str) -> str:
    """Return the KnowledgeQuery, ParagraphRetrieve, QA chain that answers one sub-question."""
    r1, r2, r3 = (f"R{first + k}" for k in range(3))
    return (
        f"{r1} = KnowledgeQuery({page}); {r2} = ParagraphRetrieve({r1}, Query: {question}); "
        f"{r3} = QA([{r2}], Question: {question})"
    )


# Complex QA: written for this project in the layout of Lumos's StrategyQA/MuSiQue annotations
# (the first is Lumos's own in-context example, with its comparison done by QA rather than by an
# operator-deleting Calculator). None is drawn from HotpotQA or StrategyQA dev data. Later
# sub-questions name earlier answers by their variable (R3), so the same annotation serves both
# formulations: Lumos-O grounds them before any result is known.
COMPLEX_QA: list[Annotation] = [
    Annotation(
        task="Which university did the director of the film Jaws attend?",
        subgoals=[
            "Obtain the director of the film Jaws.",
            "Obtain the university that this director attended.",
        ],
        actions=[
            _lookup(1, "Jaws (film)", "Who directed the film Jaws?"),
            _lookup(4, "R3", "Which university did R3 attend?"),
        ],
        results=[
            _qa("Who directed the film Jaws?", "Steven Spielberg"),
            _qa("Which university did Steven Spielberg attend?", "California State University, Long Beach"),
        ],
    ),
    Annotation(
        task="Are more people today related to Genghis Khan than Julius Caesar?",
        subgoals=[
            "Obtain the number of the kids that Julius Caesar had.",
            "Obtain the number of the kids that Genghis Khan had.",
            "Determine if Genghis Khan had more kids.",
        ],
        actions=[
            _lookup(1, "Julius Caesar", "How many kids did Julius Caesar have?"),
            _lookup(4, "Genghis Khan", "How many kids did Genghis Khan have?"),
            "R7 = QA([R3, R6], Question: Did Genghis Khan have more kids than Julius Caesar?)",
        ],
        results=[
            _qa("How many kids did Julius Caesar have?", "3"),
            _qa("How many kids did Genghis Khan have?", "16"),
            _qa("Did Genghis Khan have more kids than Julius Caesar?", "Yes"),
        ],
    ),
    Annotation(
        task="Who was born first, Albert Einstein or Niels Bohr?",
        subgoals=[
            "Obtain the birth date of Albert Einstein.",
            "Obtain the birth date of Niels Bohr.",
            "Determine who was born first.",
        ],
        actions=[
            _lookup(1, "Albert Einstein", "When was Albert Einstein born?"),
            _lookup(4, "Niels Bohr", "When was Niels Bohr born?"),
            "R7 = QA([R3, R6], Question: Who was born first, Albert Einstein or Niels Bohr?)",
        ],
        results=[
            _qa("When was Albert Einstein born?", "14 March 1879"),
            _qa("When was Niels Bohr born?", "7 October 1885"),
            _qa("Who was born first, Albert Einstein or Niels Bohr?", "Albert Einstein"),
        ],
    ),
    Annotation(
        task="Are the Alps and the Andes on the same continent?",
        subgoals=[
            "Obtain the continent where the Alps are.",
            "Obtain the continent where the Andes are.",
            "Determine if the two continents are the same.",
        ],
        actions=[
            _lookup(1, "Alps", "On which continent are the Alps?"),
            _lookup(4, "Andes", "On which continent are the Andes?"),
            "R7 = QA([R3, R6], Question: Are the Alps and the Andes on the same continent?)",
        ],
        results=[
            _qa("On which continent are the Alps?", "Europe"),
            _qa("On which continent are the Andes?", "South America"),
            _qa("Are the Alps and the Andes on the same continent?", "No"),
        ],
    ),
]


DOMAIN = Domain(
    name="complex_qa",
    actions=ACTIONS,
    toolbox=toolbox,
    answer=answer,
    exemplars=tuple(COMPLEX_QA),
    answer_kind=answer_kind,
)
