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
- candidates render in MindAct's layout with a simpler pruning (``evaluation/mind2web_data.py``).
"""

import json
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domains.web_actions import parse_query, ranking_query
from evaluation.mind2web_data import VERBS, Step, Task, phrase
from models.registry import ModelProvider
from nodes import conversations, protocol
from nodes.calls import Request, ask
from nodes.context import Context
from tools.retrieval import rank

# (query, candidate renderings) -> candidate indices, best first
CandidateRanker = Callable[[str, Sequence[str]], list[int]]
HISTORY = 3  # MindAct's ranking query names the last three gold actions


def bm25_ranker(query: str, candidates: Sequence[str]) -> list[int]:
    """Rank candidates by BM25 over their renderings (ties keep their order).

    BM25 reads the query's first line, the subgoal's query: the previous actions that MindAct's
    cross-encoder also reads would match, word for word, the elements already acted on.
    """
    return rank(list(candidates), query.split("\n", 1)[0])


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
    query = ranking_query(name, query, text)
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
