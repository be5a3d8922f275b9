"""Run-scoped settings of a Lumos graph: plain values only, so the server can fill them from JSON.

``Context`` holds what every run needs: the domain, the models, the prompt profile, the budgets and
the knowledge backend, plus the few levers the shared nodes read. Settings that only a wrapper
reads (voting, cross-checking) live in the wrapper's own context (``graphs/voting.py``,
``graphs/crosscheck.py``). Each field is declared once: its type and bounds are checked by pydantic
(strict: no ``"3"`` for 3, no 2.5 for an int, no NaN, no unknown keys) for Python callers, the CLI
and JSON from the server alike, and its description is the CLI's help (``cli/options.py``).
"""

import functools
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar

from langgraph.runtime import Runtime
from pydantic import ConfigDict, Field, ValidationError
from pydantic.dataclasses import dataclass

from models.catalogue import DEFAULT_PRESET

Profile = Literal["instruct", "lumos"]
Knowledge = Literal["auto", "local", "wikipedia", "web"]
PlanReasoning = Literal["off", "sketch", "steps"]
Effort = Literal["fast", "balanced", "best"]  # graphs/effort.py maps each to a measured configuration
DOMAIN_ALIASES = {"qa": "complex_qa", "math": "maths"}  # short spellings the CLI accepts
# Upper bounds: each keeps one setting from turning into a hang (a grammar of 10**9 actions, an
# endless Lumos-I loop) while staying well above what any benchmark uses.
MAX_SUBGOALS = 64
MAX_ACTIONS = 128
MAX_NEW_TOKENS = 8192
MAX_SHOTS = 32
MAX_TASK_CHARS = 100_000
MAX_TOOL_TIMEOUT_S = 600.0
MAX_RUN_SECONDS = 24 * 3600.0
STRICT = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


def setting(default: Any, about: str, **bounds: Any) -> Any:
    """Declare a setting: its default, its help text (the CLI's too), its bounds and CLI metadata.

    CLI metadata goes in ``bounds`` as ``env=`` (environment variables that set the default, first
    found wins), ``flag=`` (another flag name) or ``cli=False`` (not on the command line).
    """
    extra: dict[str, Any] = {key: bounds.pop(key) for key in ("env", "flag", "cli") if key in bounds}
    return Field(default=default, description=about, json_schema_extra=extra or None, **bounds)


def canonical_domain(domain: str) -> str:
    """Return the domain's canonical name (``qa`` is ``complex_qa``)."""
    return DOMAIN_ALIASES.get(domain, domain)


class SettingsError(ValueError):
    """A run setting has the wrong type, is out of bounds or is unknown; the message names it."""


ContextT = TypeVar("ContextT")


def settings_class(kind: type[ContextT]) -> type[ContextT]:
    """Make a context class refuse bad settings with SettingsError: one line naming each bad field.

    Applied after pydantic's decorator, so the server's JSON, Python callers and LangGraph's own
    coercion of a mapping all get the same error instead of pydantic's multi-line report.
    """
    validated = kind.__init__

    @functools.wraps(validated)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            validated(self, *args, **kwargs)
        except ValidationError as err:
            raise SettingsError(describe(err)) from None

    kind.__init__ = __init__  # type: ignore[method-assign]
    return kind


def describe(error: ValidationError) -> str:
    """Return a one-line account of what is wrong with each setting pydantic refused."""
    problems = []
    for item in error.errors(include_url=False):
        if item["loc"]:
            field = ".".join(str(part) for part in item["loc"])
            problems.append(f"{field}: {item['msg']} (got {item['input']!r})")
        else:  # a rule over several settings: its message names them
            problems.append(f"settings: {item['msg'].removeprefix('Value error, ')}")
    return "invalid run setting " + "; ".join(problems)


@settings_class
@dataclass(frozen=True, kw_only=True, config=STRICT)
class Context:
    """Settings for one run: domain, model specs, prompt profile, budgets and knowledge."""

    domain: str = setting("maths", "the task family: maths, complex_qa (qa), sql or web")
    effort: Effort | None = setting(
        None,
        "the `lumos` graph and graphs.agent: a measured configuration for the domain and model "
        "(graphs/effort.py; default there: balanced); the formulation graphs run their settings as given",
        cli=False,  # the CLI's own --effort (graphs/options.py)
    )
    planner: str = setting(
        DEFAULT_PRESET, "preset name or path to a .gguf", env=("LUMOS_PLANNER", "LUMOS_MODEL")
    )
    grounder: str = setting(
        DEFAULT_PRESET, "preset name or path to a .gguf", env=("LUMOS_GROUNDER", "LUMOS_MODEL")
    )
    qa_model: str = setting(
        DEFAULT_PRESET, "complex QA: model behind the QA action", env=("LUMOS_QA_MODEL", "LUMOS_MODEL")
    )
    knowledge: Knowledge = setting(
        "auto", "complex QA: KnowledgeQuery backend (auto: local when --corpus is set, else wikipedia)"
    )
    corpus: str | None = setting(
        None, "complex QA: {title, text} JSONL or `lumos corpus build` index", env=("LUMOS_CORPUS",)
    )
    yes_no: bool = setting(False, "complex QA: the answer must be yes or no (StrategyQA)")
    profile: Profile = setting(
        "instruct", "instruct: few-shot for general chat models; lumos: exact prompts for Lumos checkpoints"
    )
    rendering: Literal["eval", "train"] = setting(
        "eval", "Lumos profile only: the eval-time or the training-time prompt rendering"
    )
    shots: Annotated[int, Field(ge=0, le=MAX_SHOTS)] | None = setting(
        None, "worked examples shown (instruct profile); unset: the domain's own count (4; web 6)"
    )
    exemplars: str | None = setting(
        None, "instruct profile: JSONL pool of annotated tasks (lumos data convert) for the shots"
    )
    selection: Literal["fixed", "similar"] = setting(
        "fixed", "fixed: the first --shots examples; similar: the --shots most similar to the task (BM25)"
    )
    ground_feedback: bool = setting(
        False, "maths Lumos-I: restate earlier subgoals' results in grounding turns, as complex QA does"
    )
    select_answer: bool = setting(
        False, "maths, instruct profile: the model names the variable that answers the task (else the last)"
    )
    program_aided: bool = setting(
        False,
        "instruct profile, where the worked examples have programs (maths): they ground subgoals as "
        "Code actions, one-line Python programs that name their quantities and print the result",
    )
    plan_reasoning: PlanReasoning = setting(
        "off",
        "instruct profile, Lumos-O: the planner reasons first; sketch: a one-line worked solution "
        "before its plan; steps: a step-by-step solution (the CoT prompt) in its own node. The "
        "grounder sees the reasoning too",
    )
    constrained: bool = setting(
        True, "instruct profile: grammar-constrained planner and grounder outputs (always valid Lumos lines)"
    )
    temperature: Annotated[float, Field(ge=0, le=5)] = setting(
        0.0, "planner/grounder/baseline sampling temperature; 0 is greedy, as Lumos decodes"
    )
    sampling_seed: int = setting(0, "sampling seed, used only when the temperature is above 0")
    max_subgoals: Annotated[int, Field(ge=1, le=MAX_SUBGOALS)] = setting(
        8, "subgoals a run may plan (Lumos's GSM8K eval allowed 8)"
    )
    max_actions: Annotated[int, Field(ge=1, le=MAX_ACTIONS)] = setting(32, "actions per grounding call")
    max_new_tokens: Annotated[int, Field(ge=1, le=MAX_NEW_TOKENS)] = setting(512, "tokens per model call")
    max_task_chars: Annotated[int, Field(ge=1, le=MAX_TASK_CHARS)] = setting(
        4000, "characters a task may have"
    )
    tool_timeout_s: Annotated[float, Field(gt=0, le=MAX_TOOL_TIMEOUT_S)] = setting(
        10.0, "wall-clock seconds per tool call; a slow call is killed and becomes an error observation"
    )
    max_run_seconds: Annotated[float, Field(gt=0, le=MAX_RUN_SECONDS)] = setting(
        900.0, "wall-clock seconds a whole run may take (its steps; pauses between them do not count)"
    )
    screenshots: str | None = setting(
        None, "web: save a PNG of the page before the first action and after each one in this directory"
    )
    review_plan: bool = setting(
        False, "pause after planning to approve, edit or reject the plan", flag="--review"
    )

    @property
    def recursion_limit(self) -> int:
        """Return a LangGraph step limit just above what ``max_subgoals`` allows (a backstop)."""
        return 4 * self.max_subgoals + 10  # Lumos-I takes three steps per subgoal, plus plan/answer

    def rerun_setting(self) -> str | None:
        """Return the name of a setting that reruns whole tasks, when one is active (wrappers only)."""
        return None

    def __post_init__(self) -> None:
        # A subclass without the decorator would keep the parent's defaults and silently drop its own.
        if "__pydantic_fields__" not in type(self).__dict__:
            raise TypeError(
                f"{type(self).__name__} subclasses Context without "
                "@pydantic.dataclasses.dataclass(frozen=True, kw_only=True, config=STRICT), "
                "so its own defaults would be ignored; decorate it as graphs/voting.py does"
            )
        object.__setattr__(self, "domain", canonical_domain(self.domain))


def make_context(values: Mapping[str, Any], kind: type[Context] = Context) -> Context:
    """Return the context for a JSON-like mapping, or raise SettingsError naming each bad field."""
    return kind(**values)


def core_settings(context: Context) -> dict[str, Any]:
    """Return the plain Context fields of a context (a wrapper's context has more)."""
    return {name: getattr(context, name) for name in Context.__dataclass_fields__}


def core(context: Context) -> Context:
    """Return the plain Context of one run, without a wrapper's own settings."""
    return context if type(context) is Context else Context(**core_settings(context))


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
    if not isinstance(context, Context):
        raise SettingsError(
            f"invalid run setting context: a Context or a mapping of settings, not {type(context).__name__}"
        )
    return context
