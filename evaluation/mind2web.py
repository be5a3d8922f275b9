"""Mind2Web in Lumos's layout: read its records, render its candidates, score teacher-forced steps.

No Mind2Web result is claimed by this project: the data cannot be had on its machines. This reads
what Lumos's ``eval/mind2web/run_eval.py`` reads (``test_domain/*.json``: ``confirmed_task``,
``action_reprs``, and per step ``cleaned_html``, ``pos_candidates``, ``neg_candidates``,
``operation``) and scores what that script meant to: the **step success rate**, a step being
right when the top-ranked candidate is the gold element, the action is the gold operation, and a
TYPE/SELECT text equals the gold value (case-insensitive). The planner is teacher-forced on the
gold history (``nodes/conversations.mind2web_plan_turns``); the grounder sees its own earlier
actions. ``lumos mind2web --data DIR`` runs it.

Where this differs from Lumos's script, on purpose:
- it does not crash (Lumos's ``corr_em += 1`` without ``global`` raises ``UnboundLocalError``);
- the gold history's verb phrasing comes from a seeded generator (Lumos's was unseeded);
- Lumos ranks ``pos_candidates + neg_candidates`` in that order, so a ranker's ties favour the
  gold element; here the candidates are shuffled (seeded) before ranking;
- Lumos ranks with MindAct's cross-encoder (``osunlp/MindAct_CandidateGeneration_deberta-v3-base``),
  which cannot be had here; candidates are ranked by BM25 over their rendering, and a caller with
  the cross-encoder passes it as ``ranker``;
- a candidate's ``ancestors: ...`` and ``target: ...`` lines follow MindAct's layout over the
  cleaned HTML, with a simpler pruning than MindAct's (salient attributes and text only).
"""

import json
import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import html as lxml_html

from domains.web_actions import SELECT_HINT, parse_query
from models.registry import ModelProvider
from nodes import conversations, protocol
from nodes.calls import Request, ask
from nodes.context import Context
from tools.retrieval import Ranker

# (query, candidate renderings) -> candidate indices, best first
CandidateRanker = Callable[[str, Sequence[str]], list[int]]
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
HISTORY = 3  # MindAct's ranking query names the last three gold actions
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


def bm25_ranker(query: str, candidates: Sequence[str]) -> list[int]:
    """Rank candidates by BM25 over their renderings (ties keep their order).

    BM25 reads the query's first line, the subgoal's query: the previous actions that MindAct's
    cross-encoder also reads would match, word for word, the elements already acted on.
    """
    try:
        return Ranker(list(candidates)).top(query.split("\n", 1)[0], len(candidates))
    except ValueError:  # every candidate is empty or stopwords
        return list(range(len(candidates)))


@dataclass(frozen=True)
class StepResult:
    """How one step went: the planner's and grounder's lines, the element picked, and each check."""

    subgoal: str
    grounding: str
    picked: str
    element: bool
    operation: bool
    text: bool

    @property
    def correct(self) -> bool:
        """Return whether the step succeeded: right element, right operation and right text."""
        return self.element and self.operation and self.text


def score_step(
    subgoal: str,
    grounding: str,
    step: Step,
    history: Sequence[str],
    order: Sequence[int],
    ranker: CandidateRanker,
) -> StepResult:
    """Score a grounder line against a gold step; ``order`` is the shuffled candidate order."""
    try:
        action = next(a for a in protocol.parse_actions(grounding) if a["name"] in VERBS)
        query, text = parse_query(action["name"], action["args"]) or ("", "")
    except (protocol.ParseError, StopIteration, ValueError):
        return StepResult(subgoal, grounding, "", False, False, False)
    name = action["name"]
    if name == "SELECT":
        query += SELECT_HINT.format(text=text)
    shown = [step.candidates[i] for i in order]
    best = shown[ranker(f"task is: {query}\nPrevious actions: {'; '.join(history[-HISTORY:])}", shown)[0]]
    # a gold CLICK has no text to match; a gold TYPE or SELECT needs its value, case aside
    same_text = step.op == "CLICK" or text.strip().lower() == step.value.strip().lower()
    return StepResult(subgoal, grounding, best, best == step.positive, name == step.op, same_text)


def gold_history(task: Task, seed: int = 0) -> list[str]:
    """Return each gold step phrased as a subgoal, the history the planner is teacher-forced on."""
    rng = random.Random(f"{seed}:{task.id}:history")
    return [phrase(step.action_repr, rng) for step in task.steps]


def evaluate_task(
    task: Task,
    models: ModelProvider,
    context: Context,
    *,
    seed: int = 0,
    ranker: CandidateRanker = bm25_ranker,
) -> list[StepResult]:
    """Run the planner and grounder over every gold step of a task, teacher-forced; score each step."""
    done = gold_history(task, seed)
    order_rng = random.Random(f"{seed}:{task.id}:candidates")
    shown: list[str] = []
    groundings: list[str] = []
    results = []
    for k, step in enumerate(task.steps):
        plan_turns = conversations.mind2web_plan_turns(task.task, done[:k])
        plan = ask(models, context, Request("planner", context.planner, plan_turns))
        shown.append(plan.split(protocol.KEEP_PLANNING)[-1].strip())
        ground_turns = conversations.mind2web_ground_turns(task.task, shown, groundings)
        groundings.append(ask(models, context, Request("grounder", context.grounder, ground_turns)))
        order = list(range(len(step.candidates)))
        order_rng.shuffle(order)
        history = [s.action_repr for s in task.steps[:k]]
        results.append(score_step(shown[-1], groundings[-1], step, history, order, ranker))
    return results


def run(
    tasks: Sequence[Task],
    models: ModelProvider,
    context: Context,
    out: Path,
    *,
    seed: int = 0,
    ranker: CandidateRanker = bm25_ranker,
) -> Iterator[dict[str, Any]]:
    """Evaluate tasks not yet in ``out`` (one JSON row per task, so runs resume); yield each row."""
    seen = (
        {json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()}
        if out.exists()
        else set()
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    for task in tasks:
        if task.id in seen:
            continue
        steps = evaluate_task(task, models, context, seed=seed, ranker=ranker)
        row = {
            "id": task.id,
            "task": task.task,
            "steps": [
                {"gold": s.action_repr, **r.__dict__, "correct": r.correct}
                for s, r in zip(task.steps, steps, strict=True)
            ],
        }
        with out.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        yield row


def summarize(out: Path) -> dict[str, Any]:
    """Return the step success rate, element and operation accuracy and task success of a trace."""
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []
    steps = [s for row in rows for s in row["steps"]]

    def rate(key: str) -> float:
        return round(100 * sum(bool(s[key]) for s in steps) / len(steps), 1) if steps else 0.0

    return {
        "tasks": len(rows),
        "steps": len(steps),
        "step_success_rate": rate("correct"),
        "element_accuracy": rate("element"),
        "operation_accuracy": rate("operation"),
        "task_success_rate": round(
            100 * sum(all(s["correct"] for s in r["steps"]) for r in rows) / len(rows), 1
        )
        if rows
        else 0.0,
    }
