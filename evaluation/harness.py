"""Run a compiled graph over benchmark examples and score it: traces, a summary JSON, a markdown table.

Each example's trace row is appended to a JSONL file as soon as it finishes, so a stopped run
resumes where it stopped (ids already in the file are skipped); a failing example is recorded with
its error and never aborts the run. Next to ``x.jsonl`` go ``x.summary.json`` and ``x.md``.
"""

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tqdm import tqdm

from common.jsonl import read_jsonl
from evaluation import benchmarks, report
from evaluation.benchmarks import Benchmark, Example
from evaluation.usage import TokenUsage
from graphs import settings
from graphs.binding import CompiledLumosGraph
from nodes.context import Context
from nodes.state import LumosInput

Judge = Callable[[str, str | None, str], bool]  # (question, prediction, gold) -> correct
# reasoning: --plan-reasoning's worked solution; actions: each with its observation and ok;
# vote_count, agreed, chosen, answer_source: graphs/voting.py and graphs/crosscheck.py's choices
PLAN_FIELDS = ("subgoals", "reasoning", "actions", "subgoal_results", "plan_outputs", "ground_outputs")
CHOICE_FIELDS = ("vote_count", "agreed", "chosen", "answer_source")
TRACE_FIELDS = (*PLAN_FIELDS, "stop_reason", "model_calls", "nudges", *CHOICE_FIELDS)
BASELINES = ("cot", "direct")  # no actions, so no well-formed rate
logger = logging.getLogger(__name__)


def summary_path(out: Path) -> Path:
    """Return the summary JSON beside a trace file."""
    return out.with_suffix(".summary.json")


def markdown_path(out: Path) -> Path:
    """Return the markdown table beside a trace file."""
    return out.with_suffix(".md")


def read_trace(out: Path) -> list[dict[str, Any]]:
    """Return the rows of a trace file (``.gz`` too); a line cut short by a killed run is skipped."""
    return [row for _, row in read_jsonl(out, skip_broken=True)] if out.exists() else []


def is_well_formed(state: dict[str, Any]) -> bool:
    """Return whether every planner and grounder output parsed and at least one action ran."""
    return state.get("stop_reason") != "error" and bool(state.get("actions"))


def vote_answers(state: dict[str, Any]) -> list[str | None] | None:
    """Return each voting run's answer, greedy run first (None when the run did not vote)."""
    if "attempts" not in state:
        return None
    return [a["answer"] for a in sorted(state["attempts"], key=lambda a: a["sample"])]


def input_of(example: Example) -> LumosInput:
    """Return the graph input of an example: its task, and what it runs against when it names one."""
    task = LumosInput(task=example["task"])
    if "environment" in example:  # the run's first node frames the task over it
        task |= {"environment": example["environment"]}
    return task


def run_one(
    graph: CompiledLumosGraph,
    example: Example,
    context: Context,
    benchmark: Benchmark,
    judge: Judge | None = None,
) -> dict[str, Any]:
    """Run one example and return its trace row; an exception becomes the row's error."""
    usage = TokenUsage()
    spec = benchmarks.SPECS[benchmark]
    start = time.perf_counter()
    try:
        state: dict[str, Any] = dict(
            graph.invoke(
                input_of(example),
                {"recursion_limit": context.recursion_limit, "callbacks": [usage]},
                context=context,
            )
        )
        error = state.get("error")
    except Exception as err:
        state, error = {}, f"{type(err).__name__}: {err}"
    finally:
        spec.release(example)
    seconds = time.perf_counter() - start
    prediction = spec.predicted(state)
    row: dict[str, Any] = {
        **example,
        "task": state.get("task") or example["task"],  # as the agent saw it: framed over its environment
        "prediction": prediction,
        **({"answer": state.get("answer")} if state.get("answer") != prediction else {}),
        **benchmarks.score(benchmark, prediction, example),
    }
    if judge is not None:
        try:
            row["llm_correct"] = judge(example["task"], prediction, example["gold"])
        except Exception as err:
            row["llm_correct"], row["judge_error"] = None, f"{type(err).__name__}: {err}"
    return row | {
        "well_formed": is_well_formed(state),
        "error": error,
        "seconds": round(seconds, 2),
        "prompt_tokens": usage.prompt_tokens,
        "generated_tokens": usage.generated_tokens,
        "steps": len(state.get("actions") or []),  # executed actions
        **{key: state.get(key) for key in TRACE_FIELDS},
        "vote_answers": vote_answers(state),
    }


def _completed(
    work: Callable[[Example], dict[str, Any]], todo: list[Example], concurrency: int
) -> Iterator[dict[str, Any]]:
    """Yield ``work(example)`` in the examples' order (so any concurrency writes the same trace)."""
    if concurrency <= 1:
        yield from map(work, todo)
        return
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="eval")
    try:
        futures: Iterable[Future[dict[str, Any]]] = [pool.submit(work, example) for example in todo]
        for future in futures:
            yield future.result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # on Ctrl-C, queued examples never start


def run(
    graph: CompiledLumosGraph,
    examples: list[Example],
    context: Context,
    out: Path,
    *,
    benchmark: Benchmark = "gsm8k",
    concurrency: int = 1,
    judge: Judge | None = None,
) -> Iterator[dict[str, Any]]:
    """Run the graph on each example not already in ``out``, appending one trace row per example.

    A progress bar shows the running accuracy (the benchmark's Lumos metric) over the whole file.
    """
    previous = read_trace(out)
    done = {row["id"] for row in previous}
    todo = [example for example in examples if example["id"] not in done]
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists() and out.stat().st_size and not out.read_bytes().endswith(b"\n"):
        with out.open("a") as sink:
            sink.write("\n")  # a killed run left half a line: start the next row on its own line
    correct, scored = sum(bool(r.get("correct")) for r in previous), len(previous)

    def work(example: Example) -> dict[str, Any]:
        return run_one(graph, example, context, benchmark, judge)

    with out.open("a", encoding="utf-8") as sink, tqdm(total=len(todo), desc=benchmark, unit="ex") as bar:
        for row in _completed(work, todo, concurrency):
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
            sink.flush()
            correct, scored = correct + bool(row["correct"]), scored + 1
            bar.set_postfix(acc=f"{correct / scored:.1%}", errors=bool(row["error"]), refresh=False)
            bar.update()
            yield row


def summarize(out: Path, benchmark: Benchmark = "gsm8k", formulation: str = "iterative") -> dict[str, Any]:
    """Return the benchmark's metrics, well-formed and error rates, time and tokens per example.

    As in Lumos, the denominator is every example in the file; LLM-judged accuracy is over the
    examples that were judged.
    """
    rows = read_trace(out)
    n = len(rows)

    def mean(field: str) -> float:
        return sum(float(r.get(field) or 0) for r in rows) / n if n else 0.0

    scores: dict[str, float] = {}
    for name in benchmarks.METRICS[benchmark]:
        field = benchmarks.METRIC_FIELD[name]
        if name == "llm_accuracy":
            judged = [bool(r[field]) for r in rows if r.get(field) is not None]
            if judged:
                scores[name] = sum(judged) / len(judged)
        else:
            scores[name] = mean(field)
    return {
        "examples": n,
        "primary": benchmarks.METRICS[benchmark][0],
        "metrics": scores,
        "judged": sum(r.get("llm_correct") is not None for r in rows),
        "well_formed": None if formulation in BASELINES else mean("well_formed"),
        "errors": sum(bool(r.get("error")) for r in rows),
        "seconds_per_example": mean("seconds"),
        "prompt_tokens_per_example": mean("prompt_tokens"),
        "generated_tokens_per_example": mean("generated_tokens"),
        "model_calls_per_example": mean("model_calls"),
        "steps_per_example": mean("steps"),
        **by_group(rows, benchmark),
    }


def by_group(rows: list[dict[str, Any]], benchmark: Benchmark) -> dict[str, Any]:
    """Return the benchmark's metrics per example group (InterCode's hardness), when rows have groups."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("group") is not None:
            groups.setdefault(str(row["group"]), []).append(row)
    if not groups:
        return {}
    fields = {m: benchmarks.METRIC_FIELD[m] for m in benchmarks.METRICS[benchmark] if m != "llm_accuracy"}
    return {
        "by_group": {
            group: {"examples": len(members)}
            | {
                name: sum(float(r.get(f) or 0) for r in members) / len(members)
                for name, f in (fields | {"steps": "steps", "seconds": "seconds"}).items()
            }
            for group, members in sorted(groups.items())
        }
    }


def check_resumable(out: Path, config: dict[str, Any]) -> None:
    """Refuse to add rows to a trace file that another configuration started."""
    path = summary_path(out)
    if not out.exists() or not path.exists():
        return
    before = json.loads(path.read_text(encoding="utf-8")).get("config")
    # a setting added to Context since the run started counts as unchanged at its default value
    defaults = settings.defaults()  # the wrappers' settings too, which older traces recorded
    changed = sorted(
        k
        for k in set(before or {}) | set(config)
        if before is not None and before.get(k, defaults.get(k)) != config.get(k, defaults.get(k))
    )
    if changed:
        raise ValueError(
            f"{out} was started with other settings ({', '.join(changed)} differ); "
            "pass another --out or delete it to start over"
        )


def code_versions(out: Path, current: list[str]) -> list[str]:
    """Return the code versions that wrote rows to a trace: the earlier runs' ones, then this run's."""
    path = summary_path(out)
    before = []
    if out.exists() and path.exists():
        before = json.loads(path.read_text(encoding="utf-8")).get("code", [])
    return list(dict.fromkeys([*before, *current]))


def write_summary(out: Path, summary: dict[str, Any], table: str) -> None:
    """Write the summary JSON and the markdown table beside the trace file."""
    summary_path(out).write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    markdown_path(out).write_text(table, encoding="utf-8")


def evaluate(
    graph: CompiledLumosGraph,
    examples: list[Example],
    context: Context,
    out: Path,
    info: dict[str, Any],
    *,
    concurrency: int = 1,
    judge: Judge | None = None,
) -> dict[str, Any]:
    """Run (resuming) and keep the summary and markdown beside the trace; return the summary.

    ``info`` describes the run (benchmark, formulation, model, data, command, config); its
    ``config`` is written before the first example so that a resumed run with other settings is refused.
    """
    benchmark, formulation = info["benchmark"], info["formulation"]
    check_resumable(out, info["config"])
    info = info | {"code": code_versions(out, info.get("code", []))}
    out.parent.mkdir(parents=True, exist_ok=True)

    def save() -> dict[str, Any]:
        summary = info | summarize(out, benchmark, formulation)
        write_summary(out, summary, report.markdown([summary]))
        return summary

    save()
    try:
        for _ in run(
            graph, examples, context, out, benchmark=benchmark, concurrency=concurrency, judge=judge
        ):
            pass
    finally:
        summary = save()  # also when interrupted: the table covers what is done
    return summary
