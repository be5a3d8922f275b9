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

from graphs.effort import DEFAULT_EFFORT, EFFORT_SETTINGS, EFFORTS
from graphs.settings import declared, resolve
from nodes.context import DOMAIN_ALIASES, Context


def _extra(info: FieldInfo) -> dict[str, Any]:
    return info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}


def _default(info: FieldInfo) -> Any:
    for name in _extra(info).get("env", ()):
        if value := os.environ.get(name):
            return value
    return info.default


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
    parser.add_argument(
        "--formulation",
        choices=FORMULATIONS,
        default=None,
        help="Lumos-I (iterative), Lumos-O (onetime) or a baseline (default: from --effort; without "
        "one, iterative)",
    )
    add_options(parser, list(DOMAINS), skip=() if review else ("review_plan",))


def add_options(parser: argparse.ArgumentParser, domains: list[str], skip: tuple[str, ...] = ()) -> None:
    """Add one option per run setting (``--max-subgoals`` for ``max_subgoals``) to ``parser``.

    The settings an effort decides default to None (unset), so a flag the user gave can be told
    from one the effort should fill, with or without ``--effort``'s default.
    """
    for name, info in declared().items():
        extra = _extra(info)
        if extra.get("cli") is False or name in skip:
            continue
        flag = extra.get("flag") or "--" + name.replace("_", "-")
        options: dict[str, Any] = {"default": _default(info), "help": info.description, "dest": name}
        if name in EFFORT_SETTINGS:
            shown = "on" if info.default is True else "off" if info.default is False else info.default
            options |= {
                "default": None,
                "help": f"{info.description} (default: from --effort; without one, {shown})",
            }
        annotation = info.annotation
        if annotation is bool:
            options["action"] = argparse.BooleanOptionalAction if info.default else "store_true"
        elif typing.get_origin(annotation) is Literal:
            options["choices"] = typing.get_args(annotation)
        elif name == "domain":
            options["choices"] = [*domains, *(a for a, d in DOMAIN_ALIASES.items() if d in domains)]
        elif (kind := _optional(annotation) or annotation) in (int, float):
            options["type"] = kind
        elif kind is not str:
            raise TypeError(f"no command-line form for the setting {name}: {annotation}")
        parser.add_argument(flag, **options)


def _optional(annotation: Any) -> Any:
    """Return ``X`` of an ``X | None`` annotation (its first metadata-free form), else None."""
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return None
    kinds = [kind for kind in typing.get_args(annotation) if kind is not type(None)]
    if len(kinds) != 1:
        return None
    return typing.get_args(kinds[0])[0] if typing.get_origin(kinds[0]) is typing.Annotated else kinds[0]


def run_of(args: argparse.Namespace, **overrides: Any) -> tuple[str, Context]:
    """Return the formulation and context parsed options describe, the effort filling what they leave.

    An option left at None is unset; every other one counts as given (``graphs/settings.py``).
    """
    values = {name: getattr(args, name) for name in declared() if hasattr(args, name)} | overrides
    return resolve(
        values, effort=getattr(args, "effort", None), formulation=getattr(args, "formulation", None)
    )
