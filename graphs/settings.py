"""From what a caller sets and an effort to the formulation and context a run uses: one pure step.

Every entry point goes through ``resolve``: `lumos run` and `lumos eval` (their parsed flags), the
``lumos`` server graph (its run's context) and ``graphs.agent.agent()`` (keyword settings), so one
effort means one configuration everywhere. *Given* means what the caller set: a mapping's keys, or
the fields of a Context that differ from their declared defaults (a dataclass cannot tell a default
passed explicitly from one left out; pass a mapping, or ``effort=None``, to pin a default). A setting
the effort's measured configuration decides (``graphs/effort.py``) and the caller left unset comes
from that configuration, and so does the formulation unless it is given. Without an effort the
settings run exactly as given, Lumos-I unless told.

``kind_for`` picks the kind of context the settings need (a wrapper's when one of its settings is
set) and ``wrapper_of`` the wrapper a context runs in; ``graphs/pipeline.py`` builds it.
"""

from collections.abc import Mapping
from typing import Any, Literal

from pydantic.fields import FieldInfo

from graphs.crosscheck import CrossCheckContext
from graphs.effort import DEFAULT_EFFORT, ITERATIVE, Configuration, configuration
from graphs.voting import VotingContext
from models.catalogue import DEFAULT_PRESET
from nodes.context import Context, SettingsError, make_context

KINDS: tuple[type[Context], ...] = (CrossCheckContext, VotingContext)  # every field, each once
CROSSCHECK_SETTINGS = ("plan_retries", "keep_reasoning", "crosscheck_fallback")  # any set: cross-checking
Wrapper = Literal["", "voting", "crosscheck"]


def fields_of(kind: type[Context]) -> dict[str, FieldInfo]:
    """Return the declarations of one kind of context's settings."""
    return dict(kind.__pydantic_fields__)  # type: ignore[attr-defined]


def declared() -> dict[str, FieldInfo]:
    """Return every run setting's declaration, the core Context's first."""
    fields = fields_of(Context)
    for kind in KINDS:
        fields |= {name: info for name, info in fields_of(kind).items() if name not in fields}
    return fields


def defaults() -> dict[str, Any]:
    """Return every run setting's declared default (the wrappers' too)."""
    return {name: info.default for name, info in declared().items()}


def given_settings(context: Context | Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the settings a caller fixed: a mapping's keys (None: unset), a Context's non-defaults."""
    if context is None:
        return {}
    if isinstance(context, Mapping):
        return {name: value for name, value in context.items() if value is not None}
    default = defaults()
    return {
        name: value
        for name, value in vars(context).items()
        if name in default and value is not None and value != default[name]
    }


def kind_for(values: Mapping[str, Any]) -> type[Context]:
    """Return the kind of context settings call for: a wrapper's when one of its settings is set."""
    default = defaults()
    crosscheck = any(values.get(name, default[name]) != default[name] for name in CROSSCHECK_SETTINGS)
    voting = (values.get("votes") or 1) > 1
    if voting and crosscheck:
        raise ValueError("--votes and --plan-retries are two ways to rerun a task: choose one")
    return VotingContext if voting else CrossCheckContext if crosscheck else Context


def chosen_for(values: Mapping[str, Any], effort: str | None) -> Configuration:
    """Return the configuration an effort picks for the domain and planner in ``values`` (none: Lumos-I)."""
    if effort is None:
        return ITERATIVE
    domain = values.get("domain") or Context().domain
    return configuration(effort, str(domain), str(values.get("planner") or DEFAULT_PRESET))


def resolve(
    values: Mapping[str, Any] | Context | None,
    *,
    effort: str | None = DEFAULT_EFFORT,
    formulation: str | None = None,
) -> tuple[str, Context]:
    """Return the formulation and context a run's given settings and effort call for.

    ``values`` are the settings the caller gave (``Context`` keys, the wrappers' too, or a context
    whose non-default fields count as given); raises SettingsError naming a bad one.
    """
    given = given_settings(values)
    unknown = sorted(set(given) - set(declared()) - {"formulation"})
    if unknown:
        raise SettingsError(f"unknown run setting {', '.join(unknown)}")
    chosen = chosen_for(given, effort)
    settings = {**chosen.settings, **given}
    if effort is not None:
        settings.setdefault("effort", effort)  # the context records what chose it
    kind = kind_for(settings)
    fields = fields_of(kind)
    return formulation or given.get("formulation") or chosen.formulation, make_context(
        {name: value for name, value in settings.items() if name in fields}, kind
    )


def wrapper_of(context: Context) -> Wrapper:
    """Return the wrapper a run under ``context`` goes through: voting, cross-checking or none."""
    if isinstance(context, VotingContext) and context.votes > 1:
        return "voting"
    if isinstance(context, CrossCheckContext) and context.plan_retries:
        return "crosscheck"
    return ""
