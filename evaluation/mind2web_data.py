"""Mind2Web records in Lumos's layout: read them, render their candidates, phrase their gold steps.

The layout is what Lumos's ``eval/mind2web/run_eval.py`` reads: a ``test_domain/`` directory of
``*.json`` files, each a list of task records with ``confirmed_task``, ``action_reprs`` and, per
step, ``cleaned_html``, ``pos_candidates``, ``neg_candidates`` and ``operation``. A candidate is
rendered as MindAct's ranker reads it, an ``ancestors:`` line and a ``target:`` line over the
cleaned HTML, with a simpler pruning than MindAct's (salient attributes and text only). The
evaluation over these records is ``evaluation/mind2web.py``.
"""

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import html as lxml_html

SALIENT = (
    "alt",
    "aria_label",
    "aria-label",
    "label",
    "name",
    "placeholder",
    "role",
    "title",
    "type",
    "value",
)
ANCESTOR_WORDS, TARGET_WORDS = 50, 100  # MindAct keeps the last 50 ancestor words, the first 100 target ones
# lumos-reference §2.3: Lumos's phrasings of a gold action as a subgoal (translate_action)
VERBS = {
    "CLICK": ("Visit", "Click", "Find and go into", "Enter"),
    "TYPE": ("Type", "Input", "Put text"),
    "SELECT": ("Select", "Choose", "Pick up"),
}
_REPR = re.compile(
    r"^\[(?P<tag>[^\]]*)\]\s*(?P<contents>.*?)\s*->\s*(?P<op>[A-Z]+)(?::\s*(?P<value>.*))?$", re.S
)


@dataclass(frozen=True)
class Step:
    """One gold step: the action as Mind2Web writes it, its operation, and its rendered candidates."""

    action_repr: str
    op: str  # CLICK, TYPE or SELECT (Mind2Web's HOVER and ENTER are CLICKs in ``op``)
    value: str
    candidates: tuple[str, ...]  # the positives first, then the negatives, as Lumos lists them
    positive: str  # the first positive's rendering: the gold element


@dataclass(frozen=True)
class Task:
    """One Mind2Web task: its id, instruction and gold steps."""

    id: str
    task: str
    steps: tuple[Step, ...]


def _salient(element: Any) -> str:
    return " ".join(str(element.get(a)).strip() for a in SALIENT if str(element.get(a) or "").strip())


def _label(element: Any) -> str:
    return " ".join(part for part in (str(element.tag), _salient(element)) if part)


def render_candidate(cleaned_html: str, node_id: str, tag: str = "") -> str:
    """Return a candidate as MindAct's ranker reads it: an ``ancestors:`` line and a ``target:`` line."""
    try:
        root = lxml_html.fromstring(cleaned_html)
    except (ValueError, lxml_html.etree.ParserError):
        root = None
    found = root.xpath(f'//*[@backend_node_id="{node_id}"]') if root is not None and node_id.isdigit() else []
    if not found:  # a candidate the cleaned page does not hold: its tag alone
        return f"ancestors: \ntarget: ({tag})"
    element = found[0]
    ancestors = " / ".join(_label(a) for a in reversed(list(element.iterancestors())))
    text = " ".join(" ".join(element.itertext()).split())
    target = f"({' '.join(part for part in (_label(element), text) if part)})"
    return (
        f"ancestors: {' '.join(ancestors.split()[-ANCESTOR_WORDS:])}\n"
        f"target: {' '.join(target.split()[:TARGET_WORDS])}"
    )


def _field(record: dict[str, Any], name: str, where: str) -> Any:
    if name not in record:
        raise ValueError(f"{where} has no {name!r}: not a Mind2Web record in Lumos's layout")
    return record[name]


def _node_id(candidate: dict[str, Any]) -> str:
    if "backend_node_id" in candidate:
        return str(candidate["backend_node_id"])
    attributes = candidate.get("attributes")
    attributes = json.loads(attributes) if isinstance(attributes, str) else attributes or {}
    return str(attributes.get("backend_node_id", ""))


def read_task(record: dict[str, Any], where: str) -> Task:
    """Return one task from a Mind2Web record, or raise ValueError naming what is missing."""
    reprs = _field(record, "action_reprs", where)
    actions = _field(record, "actions", where)
    if len(reprs) != len(actions):
        raise ValueError(f"{where} has {len(reprs)} action_reprs for {len(actions)} actions")
    steps = []
    for k, (action_repr, action) in enumerate(zip(reprs, actions, strict=True)):
        at = f"{where}, step {k + 1}"
        page = str(_field(action, "cleaned_html", at))
        positives = _field(action, "pos_candidates", at)
        if not positives:
            raise ValueError(f"{at} has no positive candidate: its gold element is unknown")
        operation = _field(action, "operation", at)
        rendered = tuple(
            render_candidate(page, _node_id(c), str(c.get("tag", "")))
            for c in [*positives, *_field(action, "neg_candidates", at)]
        )
        steps.append(
            Step(
                str(action_repr), str(operation["op"]), str(operation.get("value", "")), rendered, rendered[0]
            )
        )
    task_id = str(record.get("annotation_id") or where)
    return Task(task_id, str(_field(record, "confirmed_task", where)), tuple(steps))


def read(path: Path) -> list[Task]:
    """Return the tasks of a Mind2Web directory of ``*.json`` files (or one file), in file order."""
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not files or not all(f.is_file() for f in files):
        raise FileNotFoundError(f"no Mind2Web records at {path} (a test_domain/ directory of *.json files)")
    tasks = []
    for file in files:
        records = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(records, list):
            raise ValueError(f"{file} holds {type(records).__name__}, not a list of Mind2Web records")
        tasks += [read_task(r, f"{file.name} record {k + 1}") for k, r in enumerate(records)]
    return tasks


def phrase(action_repr: str, rng: random.Random) -> str:
    """Return a gold action as Lumos phrases it for the planner (``Type Atlanta in the combobox From``)."""
    found = _REPR.match(action_repr.strip())
    if found is None:
        raise ValueError(f"not a Mind2Web action_repr: {action_repr!r}")
    op = "CLICK" if found["op"] in ("CLICK", "HOVER", "ENTER") else found["op"]
    verb = rng.choice(VERBS.get(op, VERBS["CLICK"]))
    tag, contents = found["tag"].strip(), " ".join(found["contents"].split())
    if op == "CLICK":
        return f"{verb} {tag} {contents}".strip()
    return f"{verb} {(found['value'] or '').strip()} in the {tag} {contents}".strip()
