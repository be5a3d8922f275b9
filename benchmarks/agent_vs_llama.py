"""Lumos agent versus raw llama.cpp: framework overhead, prefix KV reuse and constrained decoding.

Runs Lumos-I and Lumos-O on the first N GSM8K dev problems in four variants per formulation:

* ``agent``: the graphs as shipped (one llama context per role, prefix reuse on, unconstrained);
* ``raw llama.cpp``: the agent's exact requests (messages, stop, sampling, grammar) replayed in the
  same order on fresh ``llama_cpp.Llama`` contexts with the same settings, with no framework at all;
* ``no prefix reuse``: the agent with each context's KV cache forgotten before every call;
* ``constrained``: the agent with grammar-constrained planner and grounder (``--constrained``).

It prints per example: wall time, prompt tokens sent, prompt tokens evaluated (prefill), generated
tokens, time inside model calls and outside them, parse failures and accuracy, then the targets of
issue 6 as PASS/FAIL, and writes everything to ``--out`` (JSON). A benchmark, not a test: timings
depend on the machine and on whatever else runs on it (the load average is printed).

    python -m benchmarks.agent_vs_llama --n 10 --model qwen2.5-coder-0.5b

Longer than 300 lines because the four variants share one recorder, one replayer and one
table, which are clearer side by side than split apart.
"""

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage
from langchain_core.outputs import LLMResult

from domains import DOMAINS
from evaluation import benchmarks
from evaluation.benchmarks import Example
from graphs import iterative, onetime
from models import registry
from models.chat import to_turns
from nodes import protocol
from nodes.context import Context
from nodes.state import LumosInput

OVERHEAD_TARGET = 0.05  # wall time outside model calls / raw llama.cpp time for the same prompts
PREFILL_TARGET = 1.3  # prefill evaluated in a Lumos-I run / its final planner + grounder prompts
ROLES = {"plan": "planner", "ground": "grounder", "answer": "qa", "execute": "qa"}


@dataclasses.dataclass
class Call:
    """One model request as the agent sent it, and what came back."""

    role: str
    messages: list[dict[str, str]]
    stop: list[str]
    grammar: str | None
    text: str = ""
    prompt_tokens: int = 0
    evaluated: int = 0
    reused: int = 0
    generated: int = 0
    model_seconds: float = 0.0


@dataclasses.dataclass
class Run:
    """One example under one variant."""

    example: str
    seconds: float
    calls: list[Call]
    cpu_seconds: float = 0.0  # process CPU time: robust to other work sharing the cores
    correct: bool = False
    outputs: int = 0  # planner and grounder outputs
    parse_failures: int = 0  # outputs that do not parse (or name an unknown action)
    error: str | None = None


class Recorder(BaseCallbackHandler):
    """Keep every chat-model request made under a run, with its reply's token and time figures."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._open: dict[UUID, Call] = {}

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Record the request: role (from the graph node), rendered turns, stop and grammar."""
        params = kwargs.get("invocation_params") or {}
        node = (metadata or {}).get("langgraph_node", "")
        call = Call(
            role=ROLES.get(node, node),
            messages=[{"role": role, "content": text} for role, text in to_turns(messages[0])],
            stop=list(params.get("stop") or []),
            grammar=params.get("grammar"),
        )
        self._open[run_id] = call
        self.calls.append(call)

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """Record the reply's text, usage and prefill figures."""
        call = self._open.pop(run_id)
        message = getattr(response.generations[0][0], "message", None)
        usage = getattr(message, "usage_metadata", None) or {}
        meta = getattr(message, "response_metadata", None) or {}
        call.text = str(getattr(message, "content", ""))
        call.prompt_tokens = usage.get("input_tokens", 0)
        call.generated = usage.get("output_tokens", 0)
        call.evaluated = meta.get("prompt_tokens_evaluated", 0)
        call.reused = meta.get("prompt_tokens_reused", 0)
        call.model_seconds = meta.get("model_seconds", 0.0)


def parse_failures(state: dict[str, Any], formulation: str, actions: frozenset[str]) -> tuple[int, int]:
    """Return (outputs that do not parse, all planner and grounder outputs) of a run's state."""
    bad = total = 0
    for text in state.get("plan_outputs", []):
        total += 1
        if formulation == "iterative" and protocol.is_stop(text):
            continue
        try:
            protocol.parse_subgoals(text)
        except protocol.ParseError:
            bad += 1
    for text in state.get("ground_outputs", []):
        total += 1
        try:
            names = {a["name"] for a in protocol.parse_actions(text)} - {""}
            bad += bool(names - actions)
        except protocol.ParseError:
            bad += 1
    return bad, total


def forget_kv_caches() -> None:
    """Start every loaded context cold, as a fresh ``Llama`` would."""
    for model in registry.loaded_models():
        model.llama.reset()


def run_agent(graph: Any, examples: Sequence[Example], context: Context, formulation: str) -> list[Run]:
    """Run the graph on each example, recording its requests and timing the whole run."""
    forget_kv_caches()
    actions = DOMAINS["maths"].actions
    runs = []
    for example in examples:
        recorder = Recorder()
        config = {"recursion_limit": context.recursion_limit, "callbacks": [recorder]}
        start, cpu = time.perf_counter(), time.process_time()
        try:
            state = dict(graph.invoke(LumosInput(task=example["task"]), config, context=context))
            error = state.get("error")
        except Exception as err:  # a benchmark row, never an abort
            state, error = {}, f"{type(err).__name__}: {err}"
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        bad, total = parse_failures(state, formulation, actions)
        correct = benchmarks.score("gsm8k", state.get("answer"), example)["correct"]
        runs.append(Run(example["id"], seconds, recorder.calls, cpu, bool(correct), total, bad, error))
        print(f"  {example['id']}: {seconds:6.1f} s, {len(recorder.calls)} calls", file=sys.stderr)
    return runs


def replay(runs: Sequence[Run], llamas: dict[str, Any], max_tokens: int) -> tuple[list[Run], int, int]:
    """Replay the recorded requests on raw llama.cpp; return its timed runs and the text agreement."""
    from llama_cpp import LlamaGrammar

    grammars = {
        c.grammar: LlamaGrammar.from_string(c.grammar, verbose=False)
        for r in runs
        for c in r.calls
        if c.grammar
    }
    for llama in llamas.values():
        llama.reset()
    timed, same, total = [], 0, 0
    for run in runs:
        start, cpu = time.perf_counter(), time.process_time()
        texts = []
        for call in run.calls:
            out = llamas[call.role].create_chat_completion(
                messages=call.messages,
                max_tokens=max_tokens,
                temperature=0.0,
                top_k=1,
                seed=0,
                stop=call.stop,
                grammar=grammars.get(call.grammar) if call.grammar else None,
            )
            texts.append(out["choices"][0]["message"]["content"] or "")
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        timed.append(dataclasses.replace(run, seconds=seconds, cpu_seconds=cpu))
        same += sum(text == call.text for text, call in zip(texts, run.calls, strict=True))
        total += len(run.calls)
    return timed, same, total


def cold_prefill_ratio(run: Run) -> float | None:
    """Return the prefill a cold start of this run evaluates over its final planner + grounder prompts.

    The first call of each role also evaluates what it reused from the previous example (the shared
    system message and worked examples), so that is added back: the figure does not depend on the
    example that ran before.
    """
    finals: dict[str, int] = {}
    cold = 0
    for call in run.calls:
        cold += call.evaluated + (call.reused if call.role not in finals else 0)
        finals[call.role] = call.prompt_tokens
    final = finals.get("planner", 0) + finals.get("grounder", 0)
    return cold / final if final else None


def summary(runs: Sequence[Run], raw: bool = False) -> dict[str, Any]:
    """Return per-example means and totals of a variant (``raw``: a replay, all of it model time)."""
    n = len(runs) or 1
    calls = [c for r in runs for c in r.calls]
    wall = sum(r.seconds for r in runs)
    model = wall if raw else sum(c.model_seconds for c in calls)
    ratios = [x for r in runs if (x := cold_prefill_ratio(r)) is not None]
    return {
        "raw": raw,  # a replay: no prefill, parse or accuracy figures of its own
        "examples": len(runs),
        "seconds_per_example": wall / n,
        "cpu_seconds_per_example": sum(r.cpu_seconds for r in runs) / n,
        "prompt_tokens_per_example": sum(c.prompt_tokens for c in calls) / n,
        "prefill_tokens_per_example": None if raw else sum(c.evaluated for c in calls) / n,
        "generated_tokens_per_example": sum(c.generated for c in calls) / n,
        "model_seconds_per_example": model / n,
        "outside_seconds_per_example": (wall - model) / n,
        "calls_per_example": len(calls) / n,
        "parse_failures": sum(r.parse_failures for r in runs),
        "outputs": sum(r.outputs for r in runs),
        "examples_with_parse_failures": sum(r.parse_failures > 0 for r in runs),
        "accuracy": sum(r.correct for r in runs) / n,
        "errors": sum(r.error is not None for r in runs),
        "cold_prefill_ratio_max": max(ratios, default=None),
        "cold_prefill_ratio_mean": sum(ratios) / len(ratios) if ratios else None,
    }


COLUMNS = ("wall s", "prompt tok", "prefill tok", "gen tok", "model s", "outside s", "parse fail", "accuracy")


def show(name: str, s: dict[str, Any]) -> None:
    """Print one variant's row of per-problem figures."""

    def num(value: Any, digits: int = 0) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    cells = [
        num(s["seconds_per_example"], 2),
        num(s["prompt_tokens_per_example"]),
        num(s["prefill_tokens_per_example"]),
        num(s["generated_tokens_per_example"]),
        num(s["model_seconds_per_example"], 2),
        num(s["outside_seconds_per_example"], 3),
        f"{s['parse_failures']}/{s['outputs']}",
        f"{s['accuracy']:.0%}",
    ]
    if s["raw"]:
        cells[-3:] = ["-", "-", "-"]
    print(f"| {name:<16} | {' | '.join(c.rjust(len(h)) for c, h in zip(cells, COLUMNS, strict=True))} |")


def machine() -> str:
    """Return a one-line description of the CPU, cores and load."""
    model = platform.processor() or "cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{model}, {os.cpu_count()} cores, load average {load:.2f}"


def bench(formulation: str, examples: list[Example], args: argparse.Namespace) -> dict[str, Any]:
    """Run the four variants of one formulation and return their summaries and the raw rows."""
    module = iterative if formulation == "iterative" else onetime
    context = Context(
        planner=args.model, grounder=args.model, constrained=False, max_new_tokens=args.max_new_tokens
    )
    reuse = module.build(models=registry.LlamaModels(n_threads=args.threads)).compile()
    no_reuse = module.build(models=registry.LlamaModels(n_threads=args.threads, prefix_reuse=False)).compile()
    for role in ("planner", "grounder"):  # load before timing
        registry.LlamaModels(n_threads=args.threads).chat(
            args.model, role=role, prompt_format="chat", max_tokens=1
        )
    print(f"{formulation}: agent", file=sys.stderr)
    agent = run_agent(reuse, examples, context, formulation)

    from llama_cpp import Llama

    settings = registry.llama_settings(args.model, n_threads=args.threads)
    llamas = {role: Llama(**settings) for role in {c.role for r in agent for c in r.calls}}
    print(f"{formulation}: raw llama.cpp replay", file=sys.stderr)
    raw, same, total = replay(agent, llamas, context.max_new_tokens)
    del llamas
    runs = {"agent": agent}
    if args.no_reuse_n:
        print(f"{formulation}: agent without prefix reuse", file=sys.stderr)
        runs["no prefix reuse"] = run_agent(no_reuse, examples[: args.no_reuse_n], context, formulation)
    if not args.skip_constrained:
        print(f"{formulation}: agent, constrained", file=sys.stderr)
        constrained = dataclasses.replace(context, constrained=True)
        runs["constrained"] = run_agent(reuse, examples, constrained, formulation)
    summaries = {name: summary(r) for name, r in runs.items()}
    summaries["raw llama.cpp"] = summary(raw, raw=True)
    summaries["raw llama.cpp"]["same_text_calls"] = f"{same}/{total}"
    return {"summaries": summaries, "runs": {k: [dataclasses.asdict(r) for r in v] for k, v in runs.items()}}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its tables and targets."""
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.agent_vs_llama", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--n", type=int, default=10, help="GSM8K dev problems (the first N)")
    ap.add_argument("--model", default="qwen2.5-coder-0.5b", help="preset or .gguf for planner and grounder")
    ap.add_argument(
        "--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/gsm8k/dev.jsonl")
    )
    ap.add_argument(
        "--formulations", nargs="+", choices=("iterative", "onetime"), default=["iterative", "onetime"]
    )
    ap.add_argument(
        "--threads", type=int, default=None, help="llama.cpp threads (default: LUMOS_THREADS or all cores)"
    )
    ap.add_argument(
        "--no-reuse-n", type=int, default=None, help="problems for the no-reuse variant (default N; 0 skips)"
    )
    ap.add_argument("--max-new-tokens", type=int, default=Context.max_new_tokens, help="per model call")
    ap.add_argument("--skip-constrained", action="store_true", help="skip the constrained variant")
    ap.add_argument("--out", default="runs/bench-agent-vs-llama.json", help="JSON results")
    args = ap.parse_args(argv)
    args.no_reuse_n = args.n if args.no_reuse_n is None else args.no_reuse_n
    _, examples = benchmarks.load(Path(args.data), "gsm8k")
    examples = examples[: args.n]
    import llama_cpp

    threads = registry.llama_settings(args.model, n_threads=args.threads)["n_threads"]
    header = {
        "command": " ".join(
            ["python -m benchmarks.agent_vs_llama", *(argv if argv is not None else sys.argv[1:])]
        ),
        "machine_start": machine(),
        "model": args.model,
        "threads": threads,
        "llama_cpp_python": llama_cpp.__version__,
        "examples": len(examples),
    }
    results: dict[str, Any] = {"header": header}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    for formulation in args.formulations:
        results[formulation] = bench(formulation, examples, args)
        header["machine_end"] = machine()
        Path(args.out).write_text(json.dumps(results, indent=1), encoding="utf-8")  # kept as it goes
    report(results, args.formulations)
    print(f"\nresults: {args.out}")
    return 0


def report(results: dict[str, Any], formulations: Sequence[str]) -> None:
    """Print the per-formulation tables and the targets with PASS/FAIL."""
    h = results["header"]
    print(f"\n{h['command']}")
    print(f"model {h['model']}, {h['threads']} threads, llama-cpp-python {h['llama_cpp_python']}")
    print(f"machine: {h['machine_start']} (start), load {h['machine_end'].rsplit(' ', 1)[-1]} (end)")
    verdicts = []
    for formulation in formulations:
        s = results[formulation]["summaries"]
        print(f"\n{formulation} ({s['agent']['examples']} problems; figures per problem)")
        print(f"| variant          | {' | '.join(COLUMNS)} |")
        print(f"|------------------|{'|'.join('-' * (len(c) + 2) for c in COLUMNS)}|")
        for name in ("agent", "raw llama.cpp", "no prefix reuse", "constrained"):
            if name in s:
                show(name, s[name])
        agent, raw = s["agent"], s["raw llama.cpp"]
        overhead = agent["outside_seconds_per_example"] / raw["seconds_per_example"]
        end_to_end = agent["seconds_per_example"] / raw["seconds_per_example"] - 1
        cpu = agent["cpu_seconds_per_example"] / raw["cpu_seconds_per_example"] - 1
        print(f"replayed replies identical to the agent's: {raw['same_text_calls']}")
        verdicts.append(
            (
                f"{formulation}: framework overhead {overhead:.2%} of raw llama.cpp time "
                f"(agent vs raw: wall {end_to_end:+.1%}, process CPU {cpu:+.1%})",
                overhead <= OVERHEAD_TARGET,
            )
        )
        if formulation == "iterative":
            ratio = agent["cold_prefill_ratio_max"]
            line = (
                f"iterative: prefill evaluated / final planner+grounder prompt tokens, max {ratio:.2f} "
                f"(mean {agent['cold_prefill_ratio_mean']:.2f})"
            )
            if "no prefix reuse" in s:
                nr = s["no prefix reuse"]
                line += f"; without reuse mean {nr['cold_prefill_ratio_mean']:.2f}"
            verdicts.append((line, ratio is not None and ratio <= PREFILL_TARGET))
        if "constrained" in s:
            c = s["constrained"]
            verdicts.append(
                (
                    f"{formulation}: constrained parse failures {c['parse_failures']}/{c['outputs']} "
                    f"(unconstrained {agent['parse_failures']}/{agent['outputs']}), accuracy "
                    f"{c['accuracy']:.0%} vs {agent['accuracy']:.0%}",
                    c["parse_failures"] == 0 and c["accuracy"] >= agent["accuracy"],
                )
            )
    print("\ntargets")
    for line, ok in verdicts:
        print(f"  {'PASS' if ok else 'FAIL'}  {line}")


if __name__ == "__main__":
    sys.exit(main())
