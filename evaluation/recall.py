"""Gold-paragraph recall@k of ParagraphRetrieve on HotpotQA distractor data.

Two views: **standalone**, ParagraphRetrieve ranks each question's ten distractor-setting paragraphs
against the question (the retriever alone); **in the agent**, the titles behind every ``Evidence k:``
line of a run's ParagraphRetrieve actions (retrieval as the agent actually used it).
"""

import re
from collections.abc import Iterable
from typing import Any

from tools.retrieval import EVIDENCE_COUNT, paragraph_retrieve

_EVIDENCE = re.compile(r"^Evidence \d+: (.*?) \*\*\* ", re.M)


def gold_titles(example: dict[str, Any]) -> set[str]:
    """Return the titles of a HotpotQA example's supporting paragraphs."""
    return {title for title, _ in example.get("supporting_facts", [])}


def standalone_recall(examples: Iterable[dict[str, Any]], k: int = EVIDENCE_COUNT) -> float:
    """Return mean recall@k of gold paragraphs when ParagraphRetrieve ranks an example's context."""
    recalls = []
    for example in examples:
        gold = gold_titles(example)
        if not gold:
            continue
        candidates = [f"{title} *** {''.join(sentences)}" for title, sentences in example["context"]]
        ranked = paragraph_retrieve(candidates, example["question"], k=k)
        recalls.append(len(gold & set(_EVIDENCE.findall(ranked))) / len(gold))
    return sum(recalls) / len(recalls) if recalls else 0.0


def trace_recall(trace_rows: Iterable[dict[str, Any]], gold_by_id: dict[str, set[str]]) -> float:
    """Return mean recall of gold paragraphs among the evidence a run's ParagraphRetrieve calls returned."""
    recalls = []
    for row in trace_rows:
        gold = gold_by_id.get(str(row["id"]))
        if not gold:
            continue
        actions = row.get("actions") or (row.get("trace") or {}).get("actions") or []
        found = {
            title
            for action in actions
            if action["name"] == "ParagraphRetrieve" and action["ok"]
            for title in _EVIDENCE.findall(action["observation"])
        }
        recalls.append(len(gold & found) / len(gold))
    return sum(recalls) / len(recalls) if recalls else 0.0
