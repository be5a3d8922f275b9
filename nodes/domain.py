"""What a domain declares: the one unit the shared nodes look up for a task family.

A domain (maths, complex QA, and next web and SQL) is everything the shared plan, ground, execute
and answer nodes need that differs between task families: its action set and the toolbox that runs
it, which of Lumos's prompt families it speaks, its worked examples, its grounder grammar and its
answer rule. Each lives in one module under ``domains/``; adding a domain adds such a module and
edits no node. The nodes get the domains bound when a graph is built (``graphs/binding.py``).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NotRequired

from typing_extensions import TypedDict

from models.registry import ModelProvider
from nodes import grammar
from nodes.context import Context, domain_of
from nodes.prompts import Formulation, Kind
from nodes.state import LumosState
from tools import Toolbox

# what a live environment (web) runs one step at a time: a one-pass run would act on pages unseen
STEPWISE = frozenset({"onetime", "integrated", "direct"})

__all__ = [
    "Annotation",
    "Domain",
    "Domains",
    "Formulation",
    "Kind",
    "Outcome",
    "domain_for",
    "programs_of",
    "reasoning_of",
]


class Annotation(TypedDict):
    """One annotated task in the unified Lumos format (a worked example, or a pool entry)."""

    task: str
    subgoals: list[str]  # descriptions, without the "Subgoal k: " head
    actions: list[str]  # the grounded action line of each subgoal
    results: list[str]  # the executed result of each subgoal (its last action's value)
    reasoning: NotRequired[str]  # one-line worked solution ending `The answer is N.` (--plan-reasoning)
    # the action line of each subgoal with programs where they fit (`R1 = Code(...)`, --program-aided)
    programs: NotRequired[list[str]]
    # the environment it was recorded on (a web example's MiniWoB++ episode), when that says more
    environment: NotRequired[str]


def programs_of(exemplar: Annotation) -> list[str]:
    """Return a worked example's program groundings, or raise ValueError when it has none."""
    if not exemplar.get("programs"):
        raise ValueError(f"the worked example {exemplar['task'][:60]!r}... has no programs (--program-aided)")
    return exemplar["programs"]


def reasoning_of(exemplar: Annotation) -> str:
    """Return a worked example's reasoning line, or raise ValueError when it has none."""
    if not exemplar.get("reasoning"):
        raise ValueError(f"the worked example {exemplar['task'][:60]!r}... has no reasoning line")
    return exemplar["reasoning"]


Outcome = tuple[str | None, str | None]  # (answer, error): exactly one is None
# the run's tools, from its settings and its state (the task's ``environment``, what ran so far)
ToolboxFactory = Callable[[ModelProvider, Context, LumosState], Toolbox]
AnswerRule = Callable[[LumosState, Context, ModelProvider, Formulation], Outcome]
GroundGrammar = Callable[..., str]  # (actions, *, assigned, max_actions, state, profile) -> GBNF
# (task, environment, run key) -> the task as the agent sees it; a domain whose environment is live
# (a browser) opens it for that run alone (LumosState.run_key)
TaskFraming = Callable[[str, str | None, str], str]


def as_given(task: str, environment: str | None, run_key: str = "") -> str:
    """Return the task unchanged: a domain whose tasks need no framing."""
    return task


@dataclass(frozen=True, kw_only=True)
class Domain:
    """A task family: its actions and tools, prompt family, worked examples, grammar and answer rule."""

    name: str
    actions: frozenset[str]  # the action names its grounder may write, in Lumos's spelling
    toolbox: ToolboxFactory
    answer: AnswerRule
    prompts: str = ""  # the Lumos prompt family it speaks (nodes/prompts.py); default: its name
    exemplars: Sequence[Annotation] = ()  # the instruct profile's worked examples
    answer_kind: Callable[[Context], Kind] = lambda context: "qa"
    ground_grammar: GroundGrammar = grammar.ground
    # a domain Lumos wrote no grounding prefix for brings its own (nodes/prompts.py has Lumos's)
    ground_prefix: str = ""
    statements: bool = False  # actions are statements (``R1 = SHOW TABLES``), run by the toolbox's ""
    ground_sees_results: bool = False  # Lumos-I grounder turns restate earlier results (SQL names)
    # baselines: the instruction per style (default: nodes/prompts.INSTRUCT) and how a reply's
    # answer is read (default: nodes/baseline.read_answer)
    baseline_instructions: Mapping[str, str] = field(default_factory=dict)
    read_baseline: Callable[[str, str], str | None] | None = None
    # what the CLI and the benchmark readers do to a typed task before the run (SQL adds the schema)
    frame_task: TaskFraming = as_given
    environment_help: str = ""  # what a task's ``environment`` names; empty: the domain takes none
    # how a seed picks one episode of an environment (web: ``?seed=N``); None: it takes no seed
    seeded: Callable[[str, int], str] | None = None
    # the formulations and baselines it runs under; None: every one (graphs/pipeline.FORMULATIONS)
    formulations: frozenset[str] | None = None
    # it acts on a live environment whose state each action changes (a web page): Lumos-O grounds
    # one subgoal at a time, each against what the last one left, and the integrated and direct
    # baselines act step by step (graphs/baselines.build_stepwise) instead of in one pass
    interactive: bool = False
    # the formulations a domain that is not live still runs one subgoal at a time, each grounded on
    # the results before it (SQL: Lumos-O, whose plan is continued once when its last statement failed)
    stepwise: frozenset[str] = frozenset()
    # whether an action's observation says the environment has ended (the run then stops acting)
    ended: Callable[[str], bool] = lambda observation: False
    # what a run that failed gives back of its environment (web: its browser); the answer rule
    # releases it on success
    release: Callable[[LumosState], None] = lambda state: None
    # what a run's environment says is still unmet (web: the episode is open; SQL: the last statement
    # failed), or None: the planner is told after each subgoal, and a stop before then is fed back once
    # (or more: ``answered``)
    unfinished: Callable[[LumosState], str | None] = lambda state: None
    # whether the run has an answer yet (SQL: a query ran without error); until it has, every stop
    # (a Lumos-I stop line, a Lumos-O plan that ran out) is fed back, not only the first, within
    # max_subgoals: a run that ends without an answer has certainly failed
    answered: Callable[[LumosState], bool] = lambda state: True
    # worked examples the instruct profile shows unless the run's ``shots`` says (web shows its
    # skills and every demonstration)
    shots: int = 4
    # a short account of what changed between two observations (web: the page's changed elements):
    # earlier observations are shown this way, so a prompt holds one full page, not every page
    changes: Callable[[str, str], str] | None = None

    def runs_stepwise(self, formulation: str) -> bool:
        """Return whether ``formulation`` runs one subgoal or step at a time on this domain."""
        return formulation in (STEPWISE if self.interactive else self.stepwise)

    @property
    def prompt_family(self) -> str:
        """Return the Lumos prompt family whose strings this domain's prompts use."""
        return self.prompts or self.name


Domains = Mapping[str, Domain]


def domain_for(state: LumosState, context: Context, domains: Domains) -> Domain:
    """Return the run's domain (the input's own, else the context's); KeyError when it is not bound."""
    return domains[domain_of(state, context)]
