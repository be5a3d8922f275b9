"""Command-line options made from the run settings' own declarations, and the context they parse into.

Each option of ``lumos run`` and ``lumos eval`` comes from one field of ``Context`` or of a wrapper's
context (``VotingContext``, ``CrossCheckContext``): its flag from the field's name, its choices or
type from the field's type, its default and help from the field. Bounds are checked once, by the
context itself, when the parsed values become one.
"""

import argparse
import os
import types
import typing
from typing import Any, Literal

from pydantic.fields import FieldInfo

from graphs.crosscheck import CrossCheckContext
from graphs.effort import DEFAULT_EFFORT, EFFORT_SETTINGS, EFFORTS
from graphs.voting import VotingContext
from nodes.context import DOMAIN_ALIASES, Context

KINDS: tuple[type[Context], ...] = (CrossCheckContext, VotingContext)  # every field, each once
_CROSSCHECK = ("plan_retries", "keep_reasoning", "crosscheck_fallback")  # any set: a cross-checking run


def fields_of(kind: type[Context]) -> dict[str, FieldInfo]:
    """Return the declarations of one kind of context's settings."""
    return dict(kind.__pydantic_fields__)  # type: ignore[attr-defined]


def declared() -> dict[str, FieldInfo]:
    """Return every run setting's declaration, the core Context's first."""
    fields = fields_of(Context)
    for kind in KINDS:
        fields |= {name: info for name, info in fields_of(kind).items() if name not in fields}
    return fields


def _extra(info: FieldInfo) -> dict[str, Any]:
    return info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}


def _default(info: FieldInfo) -> Any:
    for name in _extra(info).get("env", ()):
        if value := os.environ.get(name):
            return value
    return info.default


def defaults() -> dict[str, Any]:
    """Return every run setting's default (the wrappers' too)."""
    return {name: info.default for name, info in declared().items()}


def add_agent_options(
    parser: argparse.ArgumentParser, *, review: bool = False, effort: str | None = DEFAULT_EFFORT
) -> None:
    """Add ``--effort``, ``--formulation`` and one option per run setting (``--max-subgoals``...).

    ``effort`` is ``--effort``'s default: with one, the formulation and the settings an effort
    decides (``graphs/effort.py``) default to its measured configuration; flags given still win.
    """
    from domains import DOMAINS
    from graphs.pipeline import FORMULATIONS

    parser.add_argument(
        "--effort",
        choices=EFFORTS,
        default=effort,
        help="a measured configuration for the domain and model: fast, balanced or best "
        f"(default {effort or 'none: the flags as given'}); flags given explicitly win",
    )
    by_effort = " (default: from --effort)" if effort else ""
    parser.add_argument(
        "--formulation",
        choices=FORMULATIONS,
        default=None,
        help=f"Lumos-I (iterative), Lumos-O (onetime) or a baseline{by_effort or ' (default iterative)'}",
    )
    add_options(parser, list(DOMAINS), skip=() if review else ("review_plan",), by_effort=bool(effort))


def add_options(
    parser: argparse.ArgumentParser, domains: list[str], skip: tuple[str, ...] = (), by_effort: bool = False
) -> None:
    """Add one option per run setting (``--max-subgoals`` for ``max_subgoals``) to ``parser``.

    With ``by_effort`` the settings an effort decides default to None (unset), so a flag the user
    gave can be told from one the effort should fill.
    """
    for name, info in declared().items():
        extra = _extra(info)
        if extra.get("cli") is False or name in skip:
            continue
        flag = extra.get("flag") or "--" + name.replace("_", "-")
        options: dict[str, Any] = {"default": _default(info), "help": info.description, "dest": name}
        if by_effort and name in EFFORT_SETTINGS:
            options |= {"default": None, "help": f"{info.description} (default: from --effort)"}
        annotation = info.annotation
        if annotation is bool:
            options["action"] = argparse.BooleanOptionalAction if info.default else "store_true"
        elif typing.get_origin(annotation) is Literal:
            options["choices"] = typing.get_args(annotation)
        elif name == "domain":
            options["choices"] = [*domains, *(a for a, d in DOMAIN_ALIASES.items() if d in domains)]
        elif annotation in (int, float):
            options["type"] = annotation
        elif not (annotation is str or _is_optional_str(annotation)):
            raise TypeError(f"no command-line form for the setting {name}: {annotation}")
        parser.add_argument(flag, **options)


def _is_optional_str(annotation: Any) -> bool:
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    return union and set(typing.get_args(annotation)) == {str, type(None)}


def kind_for(values: dict[str, Any]) -> type[Context]:
    """Return the kind of context settings call for: a wrapper's when one of its settings is set."""
    crosscheck = any(values.get(n, declared()[n].default) != declared()[n].default for n in _CROSSCHECK)
    if (values.get("votes") or 1) > 1 and crosscheck:
        raise ValueError("--votes and --plan-retries are two ways to rerun a task: choose one")
    return VotingContext if (values.get("votes") or 1) > 1 else CrossCheckContext if crosscheck else Context


def run_of(args: argparse.Namespace, **overrides: Any) -> tuple[str, Context]:
    """Return the formulation and context parsed options describe, the effort filling what they leave."""
    from graphs.effort import resolve

    values = {name: getattr(args, name) for name in declared() if hasattr(args, name)} | overrides
    given = getattr(args, "formulation", None)
    formulation, context = resolve(values, effort=getattr(args, "effort", None), formulation=given)
    args.formulation = formulation
    return formulation, context


def context_from(args: argparse.Namespace, **overrides: Any) -> Context:
    """Return the context parsed options describe (``run_of`` without the formulation)."""
    return run_of(args, **overrides)[1]
