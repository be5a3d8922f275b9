"""Benchmarks: read any JSONL of the shapes in ../shared/data and score a prediction as Lumos does.

| benchmark  | fields                                   | task                  | gold              |
|------------|------------------------------------------|-----------------------|-------------------|
| gsm8k      | question, answer (ending ``#### N``)     | question              | N, commas removed |
| svamp      | body, question, answer (number)          | body + " " + question | str(int(answer))  |
| strategyqa | question, answer (bool)                  | question              | "true" / "false"  |
| hotpotqa   | question, answer (+ context: distractor) | question              | answer            |
"""

import json
from pathlib import Path
from typing import Any, Literal, cast

from typing_extensions import TypedDict

from evaluation import metrics

Benchmark = Literal["gsm8k", "svamp", "strategyqa", "hotpotqa"]
BENCHMARKS: tuple[Benchmark, ...] = ("gsm8k", "svamp", "strategyqa", "hotpotqa")
DOMAIN: dict[Benchmark, str] = {
    "gsm8k": "maths",
    "svamp": "maths",
    "strategyqa": "complex_qa",
    "hotpotqa": "complex_qa",
}
# Summary metrics per benchmark, the Lumos headline first (lumos-reference §5.3).
METRICS: dict[Benchmark, tuple[str, ...]] = {
    "gsm8k": ("accuracy_strict", "accuracy_numeric"),
    "svamp": ("accuracy_strict", "accuracy_numeric"),
    "strategyqa": ("accuracy",),
    "hotpotqa": ("em", "f1", "llm_accuracy"),
}
# Which per-example field each summary metric averages.
METRIC_FIELD = {
    "accuracy_strict": "correct",
    "accuracy_numeric": "correct_numeric",
    "accuracy": "correct",
    "em": "correct",
    "f1": "f1",
    "llm_accuracy": "llm_correct",
}


class Example(TypedDict):
    """One task with its gold answer, as Lumos's evaluation scripts build them."""

    id: str
    task: str
    gold: str


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Return the JSON objects of a JSONL file, naming the line of any that is not one."""
    rows = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}:{line_no}: not valid JSON ({err.msg})") from err
        if not isinstance(row, dict):
            raise ValueError(f"{path}:{line_no}: expected a JSON object")
        rows.append(row | {"_line": line_no})
    return rows


def detect(row: dict[str, Any]) -> Benchmark:
    """Return the benchmark whose shape a row has (see the module table)."""
    answer = row.get("answer")
    if "body" in row:
        return "svamp"
    if isinstance(answer, bool):
        return "strategyqa"
    if isinstance(answer, str) and "####" in answer:
        return "gsm8k"
    if "context" in row or "type" in row or isinstance(answer, str):
        return "hotpotqa"
    raise ValueError(f"cannot tell the benchmark of a row with fields {sorted(row)}")


def to_example(benchmark: Benchmark, row: dict[str, Any]) -> Example:
    """Return the example a row of ``benchmark`` stands for."""
    ident = str(row.get("id", row.get("ID", row.get("_line"))))
    try:
        if benchmark == "svamp":
            value = float(row["answer"])
            gold = str(int(value)) if value.is_integer() else str(value)
            return Example(id=ident, task=f"{row['body'].strip()} {row['question'].strip()}", gold=gold)
        if benchmark == "gsm8k":
            return Example(id=ident, task=row["question"], gold=metrics.gold_number(str(row["answer"])))
        if benchmark == "strategyqa":
            return Example(id=ident, task=row["question"], gold=str(truth(row["answer"])).lower())
        return Example(id=ident, task=row["question"], gold=str(row["answer"]))
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"line {row.get('_line')}: not a {benchmark} example ({err!r})") from err


def truth(answer: Any) -> bool:
    """Return a StrategyQA gold as a boolean (true/false or yes/no strings are accepted too)."""
    if isinstance(answer, bool):
        return answer
    if isinstance(answer, str) and answer.strip().lower() in ("true", "yes", "false", "no"):
        return answer.strip().lower() in ("true", "yes")
    raise ValueError(f"not a yes/no answer: {answer!r}")


def load(path: Path, benchmark: Benchmark | None = None) -> tuple[Benchmark, list[Example]]:
    """Return the benchmark (detected from the first row unless given) and the examples of a file."""
    rows = read_rows(path)
    if not rows:
        raise ValueError(f"{path} holds no examples")
    benchmark = benchmark or detect(rows[0])
    examples = [to_example(benchmark, row) for row in rows]
    seen: set[str] = set()
    for example in examples:
        if example["id"] in seen:
            raise ValueError(f"{path}: duplicate id {example['id']!r} (resuming keys on ids)")
        seen.add(example["id"])
    return benchmark, examples


def as_benchmark(name: str) -> Benchmark:
    """Return ``name`` as a benchmark, or raise ValueError."""
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
    return cast(Benchmark, name)


def score(benchmark: Benchmark, prediction: str | None, gold: str) -> dict[str, Any]:
    """Return the per-example correctness fields of a prediction (see ``METRIC_FIELD``)."""
    if benchmark in ("gsm8k", "svamp"):
        return {
            "correct": metrics.maths_strict(prediction, gold),
            "correct_numeric": metrics.maths_numeric(prediction, gold),
        }
    if benchmark == "strategyqa":
        return {"correct": metrics.yes_no_correct(prediction, gold == "true")}
    prediction = metrics.true_false_as_yes_no(prediction)
    return {"correct": metrics.exact_match(prediction, gold), "f1": metrics.f1(prediction, gold)}
