"""Run-scoped settings of a Lumos graph: plain values only, so the server can fill them from JSON."""

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from langgraph.runtime import Runtime
from pydantic import ConfigDict, Field, ValidationError
from pydantic.dataclasses import dataclass

from models.presets import DEFAULT_PRESET

Profile = Literal["instruct", "lumos"]
Knowledge = Literal["auto", "local", "wikipedia", "web"]
PlanReasoning = Literal["off", "sketch", "steps"]
CrossCheckFallback = Literal["greedy", "majority", "reasoning"]  # graphs/crosscheck.py
DOMAIN_ALIASES = {"qa": "complex_qa", "math": "maths"}  # short spellings the CLI accepts
MAX_PLAN_RETRIES = 8  # a cross-checked task costs at most 1 + this many runs
# Upper bounds: each keeps one setting from turning into a hang (a grammar of 10**9 actions, an
# endless Lumos-I loop) while staying well above what any benchmark uses.
MAX_SUBGOALS = 64
MAX_ACTIONS = 128
MAX_NEW_TOKENS = 8192
MAX_SHOTS = 32
MAX_VOTES = 32
MAX_TASK_CHARS = 100_000
MAX_TOOL_TIMEOUT_S = 600.0
MAX_RUN_SECONDS = 24 * 3600.0
# Strict: no "3" for 3, no 2.5 for an int, no NaN or infinity, no unknown keys; the same rules for
# Python callers, the CLI and JSON from the server.
_STRICT = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


def canonical_domain(domain: str) -> str:
    """Return the domain's canonical name (``qa`` is ``complex_qa``)."""
    return DOMAIN_ALIASES.get(domain, domain)


@dataclass(frozen=True, kw_only=True, config=_STRICT)
class Context:
    """Settings for one run: domain, model specs, prompt profile and budgets."""

    domain: str = "maths"
    planner: str = DEFAULT_PRESET  # preset name or path to a .gguf
    grounder: str = DEFAULT_PRESET
    qa_model: str = DEFAULT_PRESET  # complex QA: the model behind the QA action and the final answer
    knowledge: Knowledge = "auto"  # KnowledgeQuery backend; auto = local when a corpus is set, else wikipedia
    corpus: str | None = None  # a `{title, text}` JSONL file or an index built by `lumos corpus build`
    yes_no: bool = False  # complex QA: the answer must be yes or no (StrategyQA)
    profile: Profile = "instruct"  # "lumos": byte-exact zero-shot prompts for Lumos checkpoints
    rendering: Literal["eval", "train"] = "eval"  # which Lumos rendering (lumos-reference §2.2/§2.3)
    shots: Annotated[int, Field(ge=0, le=MAX_SHOTS)] = 4  # worked examples shown in the instruct profile
    exemplars: str | None = None  # a pool of annotated tasks (JSONL) to draw them from; None: built-in
    selection: Literal["fixed", "similar"] = "fixed"  # the pool's first `shots`, or the most similar
    ground_feedback: bool = False  # instruct, maths Lumos-I: grounding turns restate earlier results
    select_answer: bool = False  # maths, instruct: the model names the answer variable (nodes/select.py)
    plan_reasoning: PlanReasoning = "off"  # instruct, Lumos-O: the planner reasons first (nodes/reason.py)
    constrained: bool = True  # instruct profile: grammar-constrained planner/grounder (nodes/grammar.py)
    # planner/grounder/baseline sampling; 0 is greedy, as Lumos decodes
    temperature: Annotated[float, Field(ge=0, le=5)] = 0.0
    sampling_seed: int = 0  # used only when temperature > 0 (eval's --seed picks the subset instead)
    # graphs/voting.py: runs per task (the first greedy, the rest sampled); majority answer
    votes: Annotated[int, Field(ge=1, le=MAX_VOTES)] = 1
    # the sampled runs' temperature when voting (and cross-checking)
    vote_temperature: Annotated[float, Field(ge=0, le=5)] = 0.7
    # graphs/crosscheck.py: sampled reruns while execution disagrees with reasoning
    plan_retries: Annotated[int, Field(ge=0, le=MAX_PLAN_RETRIES)] = 0
    keep_reasoning: bool = False  # cross-checking, steps: reruns keep the greedy run's solution
    crosscheck_fallback: CrossCheckFallback = "greedy"  # when no run agrees with its reasoning
    max_subgoals: Annotated[int, Field(ge=1, le=MAX_SUBGOALS)] = 8  # Lumos's GSM8K eval allowed 8 subgoals
    # per grounding call; bounds runaway generations
    max_actions: Annotated[int, Field(ge=1, le=MAX_ACTIONS)] = 32
    max_new_tokens: Annotated[int, Field(ge=1, le=MAX_NEW_TOKENS)] = 512  # per model call, as Lumos
    max_task_chars: Annotated[int, Field(ge=1, le=MAX_TASK_CHARS)] = 4000
    tool_timeout_s: Annotated[float, Field(gt=0, le=MAX_TOOL_TIMEOUT_S)] = 10.0  # per tool call (worker kill)
    max_run_seconds: Annotated[float, Field(gt=0, le=MAX_RUN_SECONDS)] = 900.0  # wall clock of one run
    review_plan: bool = False  # pause after planning for a person's verdict (needs a checkpointer)

    @property
    def recursion_limit(self) -> int:
        """Return a LangGraph step limit just above what ``max_subgoals`` allows (a backstop)."""
        return 4 * self.max_subgoals + 10  # Lumos-I takes three steps per subgoal, plus plan/answer

    def __post_init__(self) -> None:
        object.__setattr__(self, "domain", canonical_domain(self.domain))
        if self.plan_retries and self.plan_reasoning == "off":
            raise ValueError(
                "plan_retries checks the executed answer against the planner's reasoning: "
                "it needs plan_reasoning sketch or steps"
            )
        if self.keep_reasoning and not (self.plan_retries and self.plan_reasoning == "steps"):
            raise ValueError(
                "keep_reasoning keeps the greedy step-by-step solution for cross-checking reruns: "
                "it needs plan_reasoning steps and plan_retries"
            )
        if self.plan_retries and self.votes > 1:
            raise ValueError("plan_retries and votes are two ways to rerun a task: choose one")


class SettingsError(ValueError):
    """A run setting has the wrong type, is out of bounds or is unknown; the message names it."""


def describe(error: ValidationError) -> str:
    """Return a one-line account of what is wrong with each setting pydantic refused."""
    problems = []
    for item in error.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"]) or "settings"
        problems.append(f"{field}: {item['msg']} (got {item['input']!r})")
    return "invalid run setting " + "; ".join(problems)


def make_context(values: Mapping[str, Any]) -> Context:
    """Return the Context for a JSON-like mapping, or raise SettingsError naming each bad field."""
    try:
        return Context(**values)
    except ValidationError as err:
        raise SettingsError(describe(err)) from None


def domain_of(state: Mapping[str, Any], context: Context) -> str:
    """Return the run's domain: the input's own, else the context's."""
    return canonical_domain(state.get("domain") or context.domain)


def context_of(runtime: Runtime[Context] | None) -> Context:
    """Return the run's context, or the defaults when the caller passed none."""
    context = runtime.context if runtime is not None else None
    if context is None:
        return Context()
    if isinstance(context, Mapping):  # the server and some callers pass the context as JSON
        return make_context(context)
    return context
