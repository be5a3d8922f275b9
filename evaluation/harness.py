"""Run a compiled Lumos graph over a maths JSONL file and score it (GSM8K and SVAMP shapes).

Each example's trace is appended to a JSONL file as soon as it finishes, so an interrupted run
resumes where it stopped; a failing example is recorded with its error and never aborts the run.
"""

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm
from typing_extensions import TypedDict

from evaluation import metrics
from graphs.binding import CompiledLumosGraph
from nodes.context import Context
from nodes.state import LumosInput


class Example(TypedDict):
    """One task with its gold answer."""

    id: str
    task: str
    gold: str


def load_maths(path: Path) -> list[Example]:
    """Load GSM8K (`question`, `answer` ending `#### N`) or SVAMP (`body`, `question`, `answer`) rows."""
    examples = []
    for line_no, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if "body" in row:  # SVAMP: body + " " + question and str(int(Answer)), as Lumos builds them
            task = f"{row['body'].strip()} {row['question'].strip()}"
            value = float(row["answer"])
            gold = str(int(value)) if value.is_integer() else str(value)
        else:
            task, gold = row["question"], metrics.gold_number(str(row["answer"]))
        examples.append(Example(id=str(row.get("id", line_no)), task=task, gold=gold))
    return examples


def is_well_formed(state: dict[str, Any]) -> bool:
    """Return whether every planner and grounder output parsed and at least one action ran."""
    return state.get("stop_reason") != "error" and bool(state.get("actions"))


def run(
    graph: CompiledLumosGraph, examples: list[Example], context: Context, out: Path
) -> Iterator[dict[str, Any]]:
    """Run the graph on each example not already in ``out``, appending one trace row per example."""
    done = {json.loads(line)["id"] for line in out.read_text().splitlines()} if out.exists() else set()
    todo = [e for e in examples if e["id"] not in done]
    out.parent.mkdir(parents=True, exist_ok=True)
    correct = 0
    with out.open("a") as sink, tqdm(todo, desc="eval", unit="ex") as bar:
        for n, example in enumerate(bar, start=1):
            start = time.perf_counter()
            try:
                state = graph.invoke(
                    LumosInput(task=example["task"]),
                    {"recursion_limit": context.recursion_limit},
                    context=context,
                )
                error = state.get("error")
            except Exception as err:
                state, error = {}, f"{type(err).__name__}: {err}"
            row = {
                **example,
                "prediction": state.get("answer"),
                "correct": metrics.maths_strict(state.get("answer"), example["gold"]),
                "correct_numeric": metrics.maths_numeric(state.get("answer"), example["gold"]),
                "well_formed": is_well_formed(state),
                "error": error,
                "seconds": round(time.perf_counter() - start, 2),
                "trace": {
                    k: state.get(k)
                    for k in (
                        "subgoals",
                        "plan_outputs",
                        "ground_outputs",
                        "actions",
                        "stop_reason",
                        "model_calls",
                    )
                },
            }
            sink.write(json.dumps(row) + "\n")
            sink.flush()
            correct += row["correct_numeric"]
            bar.set_postfix(acc=f"{correct / n:.1%}")
            yield row


def summarize(out: Path) -> dict[str, Any]:
    """Return accuracy, well-formed rate and seconds per example over a trace file."""
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    n = len(rows) or 1
    return {
        "examples": len(rows),
        "accuracy_strict": sum(r["correct"] for r in rows) / n,
        "accuracy_numeric": sum(r["correct_numeric"] for r in rows) / n,
        "well_formed": sum(r["well_formed"] for r in rows) / n,
        "seconds_per_example": sum(r["seconds"] for r in rows) / n,
    }
