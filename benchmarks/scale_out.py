"""In-process llama.cpp against llama.cpp's own server at 1, 2 and 4 concurrent examples, side by side.

Runs the first N GSM8K dev problems with Lumos-O and CoT in-process (the default backend), then
against one ``llama-server`` with 4 slots on the same machine (``models/llama_server.py``) at
concurrency 1, 2 and 4 (``lumos eval --concurrency``), and cross-checking (``steps``, 3 reruns
under the greedy solution) with its reruns one by one and all at once (``concurrent_retries``).
It prints, per configuration: examples per hour, generated tokens per second, seconds per example
inside and outside model calls, accuracy, and the ratios to the in-process run and to CoT. A
benchmark, not a test: figures depend on the machine and on what else runs on it (the load
average is printed).

    python -m benchmarks.scale_out --n 8 --model qwen2.5-coder-0.5b
"""

import argparse
import json
import os
import platform
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult

from evaluation import benchmarks, harness
from graphs.crosscheck import CrossCheckContext
from graphs.pipeline import pipeline
from models import llama_server
from nodes.context import Context

CROSSCHECK = {"plan_reasoning": "steps", "plan_retries": 3, "keep_reasoning": True}


class ModelClock(BaseCallbackHandler):
    """Sums the wall time of every model call (any thread), for the time spent outside them."""

    def __init__(self) -> None:
        self.started: dict[UUID, float] = {}
        self.total = 0.0
        self.lock = threading.Lock()

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: Any, *, run_id: UUID, **kw: Any
    ) -> None:
        """Note when a model call starts."""
        with self.lock:
            self.started[run_id] = time.perf_counter()

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kw: Any) -> None:
        """Add a finished call's time."""
        with self.lock:
            if (start := self.started.pop(run_id, None)) is not None:
                self.total += time.perf_counter() - start

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kw: Any) -> None:
        """Add a failed call's time."""
        self.on_llm_end(LLMResult(generations=[]), run_id=run_id)


def measure(
    label: str, formulation: str, context: Context, examples: list[Any], concurrency: int
) -> dict[str, Any]:
    """Run one configuration over the examples and return its figures."""
    clock = ModelClock()
    graph = pipeline(formulation, context).with_config(callbacks=[clock])
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "trace.jsonl"
        start = time.perf_counter()
        rows = list(harness.run(graph, examples, context, out, concurrency=concurrency))
        wall = time.perf_counter() - start
    n = len(rows)
    generated = sum(int(r.get("generated_tokens") or 0) for r in rows)
    seconds = sum(float(r["seconds"]) for r in rows)
    return {
        "configuration": label,
        "examples": n,
        "examples_per_hour": 3600 * n / wall,
        "generated_tokens_per_s": generated / wall,
        "wall_s_per_example": wall / n,
        "model_s_per_example": clock.total / n,
        "outside_model_s_per_example": max(0.0, seconds - clock.total) / n,
        "model_calls_per_example": sum(int(r.get("model_calls") or 0) for r in rows) / n,
        "accuracy": sum(bool(r["correct"]) for r in rows) / n,
    }


def main() -> None:
    """Run every configuration and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=8, help="first N GSM8K dev problems")
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--data", default="../shared/data/gsm8k/dev.jsonl")
    parser.add_argument("--slots", type=int, default=4, help="llama-server --parallel")
    parser.add_argument("--out", help="write the figures as JSON here")
    args = parser.parse_args()
    _, examples = benchmarks.load(Path(args.data), "gsm8k")
    examples = examples[: args.n]
    local = Context(planner=args.model, grounder=args.model, qa_model=args.model)
    rows = [measure("in-process, Lumos-O", "onetime", local, examples, 1)]
    rows.append(measure("in-process, CoT", "cot", local, examples, 1))
    with llama_server.serve(args.model, parallel=args.slots) as url:
        served = Context(planner=url, grounder=url, qa_model=url)
        for concurrency in (1, 2, 4):
            for formulation, name in (("onetime", "Lumos-O"), ("cot", "CoT")):
                label = f"llama-server, {name}, concurrency {concurrency}"
                rows.append(measure(label, formulation, served, examples, concurrency))
        for concurrent in (False, True):
            checked = CrossCheckContext(
                planner=url,
                grounder=url,
                qa_model=url,
                concurrent_retries=concurrent,
                **CROSSCHECK,  # type: ignore[arg-type]
            )
            how = "reruns at once" if concurrent else "reruns one by one"
            rows.append(measure(f"llama-server, cross-check ({how})", "onetime", checked, examples, 1))
    base = rows[0]["wall_s_per_example"]
    served_cot = rows[3]["wall_s_per_example"]  # llama-server CoT at concurrency 1
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    print(
        f"machine: {machine}, load {os.getloadavg()[0]:.2f}; {args.model}; first {args.n} GSM8K dev problems"
    )
    columns = ("configuration", "ex/h", "gen tok/s", "s/ex", "model s/ex", "outside s/ex", "calls/ex", "acc")
    print("| " + " | ".join((*columns, "vs in-process Lumos-O", "vs server CoT c=1")) + " |")
    print("|---" * (len(columns) + 2) + "|")
    for r in rows:
        cells = [
            r["configuration"],
            f"{r['examples_per_hour']:.0f}",
            f"{r['generated_tokens_per_s']:.1f}",
            f"{r['wall_s_per_example']:.1f}",
            f"{r['model_s_per_example']:.1f}",
            f"{r['outside_model_s_per_example']:.2f}",
            f"{r['model_calls_per_example']:.1f}",
            f"{100 * r['accuracy']:.0f}%",
            f"{r['wall_s_per_example'] / base:.2f}x",
            f"{r['wall_s_per_example'] / served_cot:.2f}x",
        ]
        print("| " + " | ".join(cells) + " |")
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
