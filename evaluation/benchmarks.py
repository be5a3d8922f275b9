"""Benchmarks: read any JSONL of the shapes in ../shared/data and score a prediction as Lumos does.

| benchmark  | fields                                   | task                  | gold              |
|------------|------------------------------------------|-----------------------|-------------------|
| gsm8k      | question, answer (ending ``#### N``)     | question              | N, commas removed |
| svamp      | body, question, answer (number)          | body + " " + question | str(int(answer))  |
| strategyqa | question, answer (bool)                  | question              | "true" / "false"  |
| hotpotqa   | question, answer (+ context: distractor) | question              | answer            |
| intercode-sql | db, query, gold (SQL), hardness       | query + db's tables   | gold SQL          |
| miniwob    | none: ``episodes(tasks, n, seed)``       | the page's instruction and page | raw reward 1 |

Each benchmark is declared once, in ``SPECS``: its domain, its summary metrics (the Lumos headline
first, lumos-reference §5.3), how a row becomes an example, how a prediction is scored, and the run
settings it implies (StrategyQA must answer yes/no; HotpotQA's distractor paragraphs are its corpus).
InterCode-SQL examples name their database (``environment``) and hardness (``group``, which the
summary breaks success down by); a prediction is a query, scored by running it and the gold query
on the read-only database with InterCode's reward (``tools/sql.py``). MiniWoB++ examples are
episodes (a task and a seed) rather than rows of a file; each is framed when its run starts (the
browser opens then, and closes when the run ends) and scored by the reward the episode ended with.

Longer than 300 lines because the benchmarks share one table of specs, and reading each beside
the others is what keeps their rules consistent.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NotRequired, cast

from typing_extensions import TypedDict

from common.jsonl import read_jsonl
from evaluation import metrics

Benchmark = Literal["gsm8k", "svamp", "strategyqa", "hotpotqa", "intercode-sql", "miniwob"]
# Which per-example field each summary metric averages.
METRIC_FIELD = {
    "accuracy_strict": "correct",
    "accuracy_numeric": "correct_numeric",
    "accuracy": "correct",
    "em": "correct",
    "f1": "f1",
    "llm_accuracy": "llm_correct",
    "reward": "reward",
    "success": "correct",
    "decayed_reward": "decayed_reward",
}
_REWARD = re.compile(r"raw reward (-?[0-9.]+), reward (-?[0-9.]+)")


class Example(TypedDict):
    """One task with its gold answer, as Lumos's evaluation scripts build them."""

    id: str
    task: str
    gold: str
    environment: NotRequired[str]  # what the task runs against (InterCode-SQL: its database)
    group: NotRequired[str]  # the slice the summary breaks results down by (InterCode: hardness)


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Return the JSON objects of a JSONL file, each with its ``_line``, naming any bad line."""
    return [row | {"_line": line_no} for line_no, row in read_jsonl(path)]


def detect(row: dict[str, Any]) -> Benchmark:
    """Return the benchmark whose shape a row has (see the module table)."""
    answer = row.get("answer")
    if "gold" in row and "db" in row:
        return "intercode-sql"
    if "body" in row:
        return "svamp"
    if isinstance(answer, bool):
        return "strategyqa"
    if isinstance(answer, str) and "####" in answer:
        return "gsm8k"
    if "context" in row or "type" in row or isinstance(answer, str):
        return "hotpotqa"
    raise ValueError(f"cannot tell the benchmark of a row with fields {sorted(row)}")


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
    SPECS[benchmark].prepare(path)
    examples = [to_example(benchmark, row) for row in rows]
    seen: set[str] = set()
    for example in examples:
        if example["id"] in seen:
            raise ValueError(f"{path}: duplicate id {example['id']!r} (resuming keys on ids)")
        seen.add(example["id"])
    return benchmark, examples


def _ident(row: dict[str, Any]) -> str:
    return str(row.get("id", row.get("ID", row.get("_line"))))


def _svamp(row: dict[str, Any]) -> Example:
    value = float(row["answer"])
    gold = str(int(value)) if value.is_integer() else str(value)
    return Example(id=_ident(row), task=f"{row['body'].strip()} {row['question'].strip()}", gold=gold)


def _maths_score(prediction: str | None, example: Example) -> dict[str, Any]:
    gold = example["gold"]
    return {
        "correct": metrics.maths_strict(prediction, gold),
        "correct_numeric": metrics.maths_numeric(prediction, gold),
    }


def _qa_score(prediction: str | None, example: Example) -> dict[str, Any]:
    prediction, gold = metrics.true_false_as_yes_no(prediction), example["gold"]
    return {"correct": metrics.exact_match(prediction, gold), "f1": metrics.f1(prediction, gold)}


def _hotpot_settings(data: Path, out_dir: Path, options: dict[str, Any]) -> dict[str, Any]:
    """The distractor paragraphs become the local corpus, unless another corpus or backend is chosen."""
    from evaluation.runs import distractor_corpus

    if options.get("corpus") is not None or options.get("knowledge", "auto") not in ("auto", "local"):
        return {}
    corpus = distractor_corpus(data, out_dir)  # None for a questions-only file
    return {"corpus": str(corpus) if corpus else None}


def _sql_prepare(data: Path) -> None:
    """Convert InterCode's MySQL dump (beside the data file) into the cache, once."""
    from domains.sql import database_dir
    from tools import sql_dump

    converted = sql_dump.databases(data.parent / sql_dump.DUMP_NAME, database_dir().parent.parent)
    assert converted == database_dir(), (converted, database_dir())


def _sql_example(row: dict[str, Any]) -> Example:
    return Example(
        id=_ident(row),
        task=str(row["query"]),
        gold=str(row["gold"]),
        environment=str(row["db"]),
        group=str(row["hardness"]),
    )


def _sql_predicted(state: dict[str, Any]) -> str | None:
    from domains.sql import scored_query

    return scored_query(state)


def _sql_score(prediction: str | None, example: Example) -> dict[str, Any]:
    from domains.sql import database_path
    from tools import sql
    from tools.errors import ToolError

    database = sql.Database(database_path(example.get("environment")))
    try:
        gold = database.results(example["gold"])
        try:
            mine = database.results(prediction) if prediction else None
        except ToolError:
            mine = None  # InterCode: an error observation is no result set
    finally:
        database.close()
    value = sql.reward(mine, gold)
    return {"reward": value, "correct": value == 1}


def episodes(tasks: list[str], count: int, seed: int = 0) -> list[Example]:
    """Return ``count`` MiniWoB++ episodes of each task, on seeds ``seed``, ``seed + 1``, ...

    Seeds stay under the exemplars' (``domains.web.TRAIN_SEEDS``), so no evaluated page is a shown one.
    """
    from domains.web import TRAIN_SEEDS, parse_environment

    if count < 1 or seed < 0 or seed + count > TRAIN_SEEDS.start:
        raise ValueError(
            f"episode seeds must lie in 0..{TRAIN_SEEDS.start - 1} (the exemplars use "
            f"{TRAIN_SEEDS.start}..{TRAIN_SEEDS.stop - 1}); got {count} from seed {seed}"
        )
    examples = []
    for name in tasks:
        task, _ = parse_environment(name if re.search(r"-v\d+$", name) else f"{name}-v1")
        for k in range(seed, seed + count):
            environment = f"{task}?seed={k}"
            examples.append(
                Example(
                    id=environment,
                    task="",
                    gold="1",
                    environment=environment,
                    group=re.sub(r"-v\d+$", "", task.removeprefix("miniwob/")),
                )
            )
    return examples


def _web_release(example: Example) -> None:
    from domains.web import close

    close(example.get("environment"))  # a run that failed before its answer leaves no browser


def _web_score(prediction: str | None, example: Example) -> dict[str, Any]:
    found = _REWARD.fullmatch(prediction or "")
    raw, decayed = (float(found[1]), float(found[2])) if found else (0.0, 0.0)
    return {"reward": raw, "decayed_reward": decayed, "correct": raw == 1}


@dataclass(frozen=True)
class Spec:
    """One benchmark: its domain, metrics, row reader and scorer, and the run settings it implies."""

    name: Benchmark
    domain: str
    metrics: tuple[str, ...]
    example: Callable[[dict[str, Any]], Example]
    score: Callable[[str | None, Example], dict[str, Any]]
    # (data file, trace directory, parsed options) -> settings the benchmark sets for its runs
    implied: Callable[[Path, Path, dict[str, Any]], dict[str, Any]] = field(
        default=lambda data, out, options: {}
    )
    prepare: Callable[[Path], None] = lambda data: None  # set-up before rows are read (a database)
    release: Callable[[Example], None] = lambda example: None  # when its run ends, however it ends
    # what a run's final state is scored by: its answer, or (SQL) the query that gave it
    predicted: Callable[[dict[str, Any]], str | None] = lambda state: state.get("answer")

    def settings(self, data: Path, out_dir: Path, options: dict[str, Any]) -> dict[str, Any]:
        """Return the run settings this benchmark sets: its domain, and what its rules imply."""
        return {"domain": self.domain, **self.implied(data, out_dir, options)}


SPECS: dict[str, Spec] = {
    spec.name: spec
    for spec in (
        Spec(
            "gsm8k",
            "maths",
            ("accuracy_strict", "accuracy_numeric"),
            lambda row: Example(
                id=_ident(row), task=row["question"], gold=metrics.gold_number(str(row["answer"]))
            ),
            _maths_score,
        ),
        Spec("svamp", "maths", ("accuracy_strict", "accuracy_numeric"), _svamp, _maths_score),
        Spec(
            "strategyqa",
            "complex_qa",
            ("accuracy",),
            lambda row: Example(id=_ident(row), task=row["question"], gold=str(truth(row["answer"])).lower()),
            lambda prediction, example: {
                "correct": metrics.yes_no_correct(prediction, example["gold"] == "true")
            },
            lambda data, out, options: {
                "yes_no": True
            },  # Lumos appends " Must answer yes/no." to the final question
        ),
        Spec(
            "hotpotqa",
            "complex_qa",
            ("em", "f1", "llm_accuracy"),
            lambda row: Example(id=_ident(row), task=row["question"], gold=str(row["answer"])),
            _qa_score,
            _hotpot_settings,
        ),
        Spec(
            "intercode-sql",
            "sql",
            ("success", "reward"),
            _sql_example,
            _sql_score,
            prepare=_sql_prepare,
            predicted=_sql_predicted,
        ),
        Spec(
            "miniwob",
            "web",
            ("success", "reward", "decayed_reward"),
            lambda row: cast(Example, row),  # rows are episodes already (``episodes``)
            _web_score,
            release=_web_release,
        ),
    )
}
BENCHMARKS: tuple[Benchmark, ...] = tuple(cast(Benchmark, name) for name in SPECS)
DOMAIN = {name: spec.domain for name, spec in SPECS.items()}
METRICS = {name: spec.metrics for name, spec in SPECS.items()}


def to_example(benchmark: Benchmark, row: dict[str, Any]) -> Example:
    """Return the example a row of ``benchmark`` stands for."""
    try:
        return SPECS[benchmark].example(row)
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"line {row.get('_line')}: not a {benchmark} example ({err!r})") from err


def score(benchmark: Benchmark, prediction: str | None, example: Example) -> dict[str, Any]:
    """Return the per-example correctness fields of a prediction (see ``METRIC_FIELD``)."""
    return SPECS[benchmark].score(prediction, example)


def as_benchmark(name: str) -> Benchmark:
    """Return ``name`` as a benchmark, or raise ValueError."""
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
    return cast(Benchmark, name)
