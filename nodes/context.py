"""Run-scoped settings of a Lumos graph: plain values only, so the server can fill them from JSON."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from langgraph.runtime import Runtime

from models.presets import DEFAULT_PRESET

Profile = Literal["instruct", "lumos"]
Knowledge = Literal["auto", "local", "wikipedia", "web"]
PlanReasoning = Literal["off", "sketch", "steps"]
CrossCheckFallback = Literal["greedy", "majority", "reasoning"]  # graphs/crosscheck.py
DOMAIN_ALIASES = {"qa": "complex_qa", "math": "maths"}  # short spellings the CLI accepts
MAX_PLAN_RETRIES = 8  # a cross-checked task costs at most 1 + this many runs


def canonical_domain(domain: str) -> str:
    """Return the domain's canonical name (``qa`` is ``complex_qa``)."""
    return DOMAIN_ALIASES.get(domain, domain)


@dataclass(frozen=True, kw_only=True)
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
    shots: int = 4  # worked examples shown in the instruct profile
    exemplars: str | None = None  # a pool of annotated tasks (JSONL) to draw them from; None: built-in
    selection: Literal["fixed", "similar"] = "fixed"  # the pool's first `shots`, or the most similar
    ground_feedback: bool = False  # instruct, maths Lumos-I: grounding turns restate earlier results
    select_answer: bool = False  # maths, instruct: the model names the answer variable (nodes/select.py)
    plan_reasoning: PlanReasoning = "off"  # instruct, Lumos-O: the planner reasons first (nodes/reason.py)
    constrained: bool = True  # instruct profile: grammar-constrained planner/grounder (nodes/grammar.py)
    temperature: float = 0.0  # planner/grounder/baseline sampling; 0 is greedy, as Lumos decodes
    sampling_seed: int = 0  # used only when temperature > 0 (eval's --seed picks the subset instead)
    votes: int = 1  # graphs/voting.py: runs per task (the first greedy, the rest sampled); majority answer
    vote_temperature: float = 0.7  # the sampled runs' temperature when voting (and cross-checking)
    plan_retries: int = 0  # graphs/crosscheck.py: sampled reruns while execution disagrees with reasoning
    keep_reasoning: bool = False  # cross-checking, steps: reruns keep the greedy run's solution
    crosscheck_fallback: CrossCheckFallback = "greedy"  # when no run agrees with its reasoning
    max_subgoals: int = 8  # Lumos's GSM8K eval allowed 8 subgoals
    max_actions: int = 32  # per grounding call; bounds runaway generations
    max_new_tokens: int = 512  # per model call, as Lumos
    max_task_chars: int = 4000
    review_plan: bool = False  # pause after planning for a person's verdict (needs a checkpointer)

    @property
    def recursion_limit(self) -> int:
        """Return a LangGraph step limit just above what ``max_subgoals`` allows (a backstop)."""
        return 4 * self.max_subgoals + 10  # Lumos-I takes three steps per subgoal, plus plan/answer

    def __post_init__(self) -> None:
        object.__setattr__(self, "domain", canonical_domain(self.domain))
        if self.selection not in ("fixed", "similar"):
            raise ValueError(f"selection must be 'fixed' or 'similar', not {self.selection!r}")
        if self.knowledge not in ("auto", "local", "wikipedia", "web"):
            raise ValueError(f"knowledge must be auto, local, wikipedia or web, not {self.knowledge!r}")
        if self.plan_reasoning not in ("off", "sketch", "steps"):
            raise ValueError(f"plan_reasoning must be off, sketch or steps, not {self.plan_reasoning!r}")
        if self.profile not in ("instruct", "lumos"):
            raise ValueError(f"profile must be 'instruct' or 'lumos', not {self.profile!r}")
        if self.rendering not in ("eval", "train"):
            raise ValueError(f"rendering must be 'eval' or 'train', not {self.rendering!r}")
        if self.votes < 1 or self.temperature < 0 or self.vote_temperature < 0:
            raise ValueError("votes must be positive, temperatures >= 0")
        if not 0 <= self.plan_retries <= MAX_PLAN_RETRIES:
            raise ValueError(f"plan_retries must be from 0 to {MAX_PLAN_RETRIES}, not {self.plan_retries}")
        if self.plan_retries and self.plan_reasoning == "off":
            raise ValueError(
                "plan_retries checks the executed answer against the planner's reasoning: "
                "it needs plan_reasoning sketch or steps"
            )
        if self.crosscheck_fallback not in ("greedy", "majority", "reasoning"):
            raise ValueError(
                "crosscheck_fallback must be greedy, majority or reasoning, "
                f"not {self.crosscheck_fallback!r}"
            )
        if self.keep_reasoning and not (self.plan_retries and self.plan_reasoning == "steps"):
            raise ValueError(
                "keep_reasoning keeps the greedy step-by-step solution for cross-checking reruns: "
                "it needs plan_reasoning steps and plan_retries"
            )
        if self.plan_retries and self.votes > 1:
            raise ValueError("plan_retries and votes are two ways to rerun a task: choose one")
        if self.max_subgoals < 1 or self.max_actions < 1 or self.max_new_tokens < 1 or self.shots < 0:
            raise ValueError("max_subgoals, max_actions and max_new_tokens must be positive, shots >= 0")


def domain_of(state: Mapping[str, Any], context: Context) -> str:
    """Return the run's domain: the input's own, else the context's."""
    return canonical_domain(state.get("domain") or context.domain)


def context_of(runtime: Runtime[Context] | None) -> Context:
    """Return the run's context, or the defaults when the caller passed none."""
    context = runtime.context if runtime is not None else None
    if context is None:
        return Context()
    if isinstance(context, dict):  # some callers pass the context as a plain mapping
        return Context(**context)
    return context
