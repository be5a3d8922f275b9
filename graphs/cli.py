"""The `lumos` command: run the agent on a task, draw its graphs, fetch model presets."""

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from graphs.binding import CompiledLumosGraph
from models import presets
from nodes.context import Context, describe
from nodes.state import task_problem

FORMULATIONS = ("iterative", "onetime", "cot", "direct", "integrated")  # the last three are baselines


def compiled(formulation: str) -> CompiledLumosGraph:
    """Return the compiled graph of a formulation."""
    if formulation == "iterative":
        from graphs.iterative import graph
    elif formulation == "onetime":
        from graphs.onetime import graph
    elif formulation == "cot":
        from graphs.baselines import cot_graph as graph
    elif formulation == "direct":
        from graphs.baselines import direct_graph as graph
    else:
        from graphs.baselines import integrated_graph as graph
    return graph


def rerun(formulation: str, context: Context) -> CompiledLumosGraph:
    """Return the formulation's graph, wrapped in voting (``votes`` > 1) or cross-checking (retries)."""
    if context.votes > 1:
        from graphs import voting

        return voting.compiled(compiled(formulation))
    if context.plan_retries:
        from graphs import crosscheck

        return crosscheck.compiled(compiled(formulation))
    return compiled(formulation)


def context_from(args: argparse.Namespace) -> Context:
    """Return the run context for parsed `lumos run` arguments."""
    return Context(
        domain=args.domain,
        planner=args.planner,
        grounder=args.grounder,
        qa_model=args.qa_model,
        knowledge=args.knowledge,
        corpus=args.corpus,
        yes_no=args.yes_no,
        profile=args.profile,
        rendering=args.rendering,
        shots=args.shots,
        exemplars=args.exemplars,
        selection=args.selection,
        ground_feedback=args.ground_feedback,
        select_answer=args.select_answer,
        plan_reasoning=args.plan_reasoning,
        constrained=args.constrained,
        votes=args.votes,
        vote_temperature=args.vote_temperature,
        plan_retries=args.plan_retries,
        keep_reasoning=args.keep_reasoning,
        crosscheck_fallback=args.crosscheck_fallback,
        max_subgoals=args.max_subgoals,
        max_new_tokens=args.max_new_tokens,
    )


def cmd_run(args: argparse.Namespace) -> int:
    """Run the agent on one task, or resume a thread, streaming each step (and reviewing the plan)."""
    import dataclasses
    import uuid

    from langgraph.checkpoint.memory import InMemorySaver

    from graphs import persistence, terminal

    tokens = args.show_tokens
    if args.task is not None and (problem := task_problem(args.task)):
        raise ValueError(problem)
    if (args.votes > 1 or args.plan_retries) and (args.thread is not None or args.review):
        raise ValueError("--votes and --plan-retries rerun whole tasks: not with --thread or --review")
    if args.thread is None:
        if not args.task:
            raise ValueError("give a task, or --thread ID to resume a thread")
        context = dataclasses.replace(context_from(args), review_plan=args.review)
        graph = persistence.with_checkpointer(rerun(args.formulation, context), InMemorySaver())
        show_header(args.task, args.formulation, context)
        return terminal.run(
            graph, context, task=args.task, thread_id=uuid.uuid4().hex, durable=False, tokens=tokens
        )
    with persistence.open_threads(args.db) as saver:
        info = persistence.load_thread(saver, args.thread)
        if info is None:
            if not args.task:
                raise ValueError(f"there is no thread {args.thread!r} in {args.db}; give a task to start it")
            formulation, task = args.formulation, args.task
            context = dataclasses.replace(context_from(args), review_plan=args.review)
            persistence.save_thread(saver, args.thread, formulation, task, context)
        else:  # a thread keeps the settings it started with
            if args.task and args.task != info["task"]:
                raise ValueError(f"thread {args.thread!r} runs another task: {info['task']!r}")
            formulation, task, context = info["formulation"], info["task"], persistence.thread_context(info)
        graph = persistence.with_checkpointer(compiled(formulation), saver)
        show_header(task, formulation, context, thread=args.thread)
        return terminal.run(graph, context, task=task, thread_id=args.thread, durable=True, tokens=tokens)


def show_header(task: str, formulation: str, context: Context, thread: str | None = None) -> None:
    """Print the task and the run's settings."""
    from graphs.terminal import say

    say(f"Task: {task}")
    say(
        f"{formulation} | planner {context.planner} | grounder {context.grounder} | profile {context.profile}"
        + (" | review" if context.review_plan else "")
        + (f" | thread {thread}" if thread else "")
    )


def cmd_history(args: argparse.Namespace) -> int:
    """List a thread's steps from its checkpoints, or every thread in the database."""
    from pathlib import Path

    from graphs import persistence, terminal
    from graphs.terminal import say

    if not Path(args.db).exists():
        raise FileNotFoundError(f"no thread database at {args.db} (runs started with --thread create it)")
    with persistence.open_threads(args.db) as saver:
        infos = persistence.list_threads(saver)
        if args.thread is not None:
            infos = [info for info in infos if info["thread_id"] == args.thread]
            if not infos:
                raise ValueError(f"there is no thread {args.thread!r} in {args.db}")
        for info in infos:
            graph = persistence.with_checkpointer(compiled(info["formulation"]), saver)
            config = persistence.thread_config(info["thread_id"], persistence.thread_context(info))
            lines = terminal.history_lines(graph.get_state_history(config))
            if args.thread is None:  # the overview: one line per thread
                say(f"{info['thread_id']}  {info['formulation']}  {info['created_at']}  ", end="")
                say(f"{lines[-1]}  {info['task']!r}")
                continue
            say(f"Thread {info['thread_id']} ({info['formulation']}, started {info['created_at']})")
            say(f"Task: {info['task']}")
            say("\n".join(lines))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Run a formulation over a benchmark file (resuming), write its trace, summary and table."""
    import dataclasses
    import random
    import signal
    from functools import partial
    from pathlib import Path

    from evaluation import benchmarks, harness, judge, runs
    from models.registry import LlamaModels

    data = Path(args.data)
    benchmark, examples = benchmarks.load(data, args.benchmark)
    if args.model:
        args.planner = args.grounder = args.model
        if hasattr(args, "qa_model"):
            args.qa_model = args.model
    defaults = vars(parser().parse_args(["eval", "--data", args.data]))
    command = runs.command_line(benchmark, vars(args), defaults)
    if args.seed is not None:  # a seeded random subset; by default the first N, as Lumos's scripts take
        random.Random(args.seed).shuffle(examples)
    examples = examples[: args.limit]
    model = runs.run_label(args.planner, args.grounder)
    out = (
        Path(args.out)
        if args.out
        else runs.default_out(benchmark, args.formulation, model, data, args.profile)
    )
    args.domain = benchmarks.DOMAIN[benchmark]
    if benchmark == "strategyqa" and hasattr(args, "yes_no"):
        args.yes_no = True  # Lumos appends " Must answer yes/no." to the final question
    if (
        benchmark == "hotpotqa"
        and getattr(args, "corpus", "") is None
        and getattr(args, "knowledge", "local") in ("auto", "local")
    ):
        args.corpus = runs.distractor_corpus(data, out.parent)  # None for a questions-only file
        args.corpus = str(args.corpus) if args.corpus else None
    context = context_from(args)
    context = dataclasses.replace(context, domain=benchmarks.DOMAIN[benchmark])
    info = {
        "benchmark": benchmark,
        "formulation": args.formulation,
        "model": model,
        "data": args.data,
        "limit": args.limit,
        "seed": args.seed,
        "judge": args.judge,
        "command": command,
        "code": [version] if (version := runs.code_version()) else [],
        "config": {"data": str(data.resolve()), "seed": args.seed, **dataclasses.asdict(context)},
    }
    grader = None
    if args.judge:
        chat = LlamaModels().chat(
            args.judge, role="judge", prompt_format="chat", max_tokens=judge.JUDGE_MAX_TOKENS
        )
        grader = partial(judge.judge, chat)
    # `kill` (SIGTERM) ends the run through its finally blocks, so the summary covers what is done
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        summary = harness.evaluate(
            rerun(args.formulation, context),
            examples,
            context,
            out,
            info,
            concurrency=args.concurrency,
            judge=grader,
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(json.dumps({k: v for k, v in summary.items() if k != "config"}, indent=2))
    print(f"trace {out}, summary {harness.summary_path(out)}, table {harness.markdown_path(out)}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Compare runs side by side: a markdown table, and a bar chart when asked."""
    import os
    from pathlib import Path

    from evaluation import report

    summaries = []
    for path, summary in zip(args.runs, report.load([Path(p) for p in args.runs]), strict=True):
        if summary["examples"]:
            summaries.append(summary)
        else:  # an eval stopped before its first example: an empty cell would read as a missing run
            print(f"skipping {path}: no examples evaluated yet", file=sys.stderr)
    if not summaries:
        raise ValueError("none of the runs has evaluated examples")
    link = None
    if args.chart:
        report.chart(summaries, Path(args.chart))
        base = Path(args.out).parent if args.out else Path.cwd()
        link = os.path.relpath(Path(args.chart), base)
    table = report.markdown(summaries, chart=link)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(table, encoding="utf-8")
        print(f"wrote {args.out}" + (f" and {args.chart}" if args.chart else ""))
    else:
        print(table)
    return 0


def cmd_corpus(args: argparse.Namespace) -> int:
    """Build a local corpus and its BM25 index from HotpotQA distractor files or {title, text} JSONL."""
    from pathlib import Path

    from tools.corpus import passages_from_hotpot, read_jsonl_corpus
    from tools.retrieval import LocalIndex

    passages = list(passages_from_hotpot(*args.hotpot)) if args.hotpot else []
    for path in args.jsonl or []:
        passages += read_jsonl_corpus(path)
    if not passages:
        raise ValueError("give --hotpot FILE... and/or --jsonl FILE... to build a corpus from")
    LocalIndex.build(passages, Path(args.out))
    print(f"{len(passages)} passages indexed in {args.out}; use it with --corpus {args.out}")
    return 0


def cmd_recall(args: argparse.Namespace) -> int:
    """Print ParagraphRetrieve's gold-paragraph recall@k on HotpotQA distractor data (and in run traces)."""
    from pathlib import Path

    from evaluation import benchmarks, recall

    examples = benchmarks.read_rows(Path(args.data))
    result: dict[str, object] = {
        "data": args.data,
        "k": args.k,
        "standalone_recall": round(recall.standalone_recall(examples, k=args.k), 4),
    }
    gold = {str(e["id"]): recall.gold_titles(e) for e in examples}
    for trace in args.trace or []:
        rows = benchmarks.read_rows(Path(trace))
        result[f"in_agent_recall[{trace}]"] = round(recall.trace_recall(rows, gold), 4)
    print(json.dumps(result, indent=2))
    return 0


def cmd_graph(args: argparse.Namespace) -> int:
    """Draw a graph offline: Mermaid text, ASCII art, or a PNG laid out by Graphviz (no web service)."""
    from pathlib import Path

    drawing = compiled(args.formulation).get_graph()
    if args.format == "png":
        out = Path(args.out or f"lumos-{args.formulation}.png")
        drawing.draw_png(str(out))  # pygraphviz's wheel bundles Graphviz; mermaid.ink is never called
        print(f"wrote {out}")
        return 0
    text = drawing.draw_mermaid() if args.format == "mermaid" else drawing.draw_ascii()
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(text)
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    """List or fetch the model presets."""
    if args.action == "list":
        for name, preset in presets.PRESETS.items():
            state = "cached" if presets.is_cached(name) else "not fetched"
            default = " (default)" if name == presets.DEFAULT_PRESET else ""
            print(f"{name}{default}: {preset.description} [{state}]")
        return 0
    for name in args.names or [presets.DEFAULT_PRESET]:
        path = presets.fetch(name)
        print(f"{name}: {path}")
    return 0


def parser() -> argparse.ArgumentParser:
    """Return the argument parser of the `lumos` command."""
    root = argparse.ArgumentParser(
        prog="lumos", description="Lumos agents on LangGraph over local GGUF models."
    )
    root.add_argument("-v", "--verbose", action="store_true", help="log debug information to stderr")
    sub = root.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the agent on a task and stream its steps")
    run.add_argument("task", nargs="?", help="the task (optional when resuming a --thread)")
    add_agent_options(run)
    run.add_argument(
        "--thread",
        help="keep the run in a durable thread (SQLite, every step); the same ID resumes it after a crash",
    )
    run.add_argument(
        "--db", default=persistence_db(), help="thread database (env LUMOS_DB; default runs/threads.sqlite)"
    )
    run.add_argument(
        "--review", action="store_true", help="pause after planning to approve, edit or reject the plan"
    )
    run.add_argument(
        "--show-tokens", action="store_true", help="echo the models' tokens to stderr as they come"
    )
    run.set_defaults(func=cmd_run)

    history = sub.add_parser("history", help="list a thread's steps (or every thread) from its checkpoints")
    history.add_argument("--thread", help="the thread to show (default: one line per thread)")
    history.add_argument("--db", default=persistence_db(), help="thread database (env LUMOS_DB)")
    history.set_defaults(func=cmd_history)

    ev = sub.add_parser("eval", help="run a formulation over a benchmark JSONL file and score it")
    ev.add_argument(
        "benchmark",
        nargs="?",
        choices=("gsm8k", "svamp", "strategyqa", "hotpotqa"),
        help="benchmark whose shape and metrics the file has (default: told from its fields)",
    )
    ev.add_argument("--data", required=True, help="JSONL in the shape of ../shared/data (see its README)")
    ev.add_argument(
        "--out",
        help="trace file (JSONL); default runs/<benchmark>-<formulation>-<model>.jsonl. "
        "Examples already in it are skipped, so runs resume",
    )
    ev.add_argument("--limit", type=int, default=None, help="evaluate the first N examples only")
    ev.add_argument(
        "--seed", type=int, default=None, help="shuffle the examples with this seed before --limit"
    )
    ev.add_argument(
        "--model", help="one model spec for every role (planner, grounder, QA tool); overrides those options"
    )
    ev.add_argument(
        "--concurrency", type=int, default=1, help="examples run in parallel threads (one lock per model)"
    )
    ev.add_argument("--judge", help="model spec of an LLM judge for judged accuracy (Lumos's judge prompt)")
    add_agent_options(ev)
    ev.set_defaults(func=cmd_eval)

    report = sub.add_parser("report", help="compare runs side by side: a markdown table and a bar chart")
    report.add_argument("runs", nargs="+", help="run summaries (x.summary.json) or traces (x.jsonl)")
    report.add_argument("--out", help="markdown file to write (default: print it)")
    report.add_argument("--chart", help="PNG bar chart to write")
    report.set_defaults(func=cmd_report)

    corpus = sub.add_parser("corpus", help="build a local complex-QA corpus and its BM25 index")
    corpus.add_argument("action", choices=("build",))
    corpus.add_argument(
        "--hotpot", nargs="+", help="HotpotQA distractor JSONL files (their context paragraphs)"
    )
    corpus.add_argument("--jsonl", nargs="+", help="JSONL files of {title, text} records")
    corpus.add_argument("--out", required=True, help="index directory to write")
    corpus.set_defaults(func=cmd_corpus)

    recall = sub.add_parser(
        "recall", help="gold-paragraph recall@k of ParagraphRetrieve on HotpotQA distractor data"
    )
    recall.add_argument("--data", required=True, help="HotpotQA distractor JSONL, with supporting_facts")
    recall.add_argument("--k", type=int, default=5)
    recall.add_argument("--trace", nargs="*", help="eval traces: recall of the agent's own retrievals")
    recall.set_defaults(func=cmd_recall)

    graph = sub.add_parser("graph", help="draw a graph offline: Mermaid, ASCII or PNG")
    graph.add_argument("--formulation", choices=FORMULATIONS, default="iterative")
    graph.add_argument("--format", choices=("mermaid", "ascii", "png"), default="mermaid")
    graph.add_argument("--out", help="file to write (default: print; PNG: lumos-<formulation>.png)")
    graph.set_defaults(func=cmd_graph)

    models = sub.add_parser("models", help="list or fetch GGUF model presets")
    models.add_argument("action", choices=("list", "fetch"))
    models.add_argument("names", nargs="*", help=f"presets to fetch (default {presets.DEFAULT_PRESET})")
    models.set_defaults(func=cmd_models)
    from training.cli import register  # `lumos data ...` and `lumos train`

    register(sub)
    return root


def persistence_db() -> str:
    """Return the default thread database (importing the checkpointer only when a command needs it)."""
    return os.environ.get("LUMOS_DB", "runs/threads.sqlite")


def add_agent_options(run: argparse.ArgumentParser) -> None:
    """Add the formulation, model and budget options shared by `run` and `eval`."""
    run.add_argument("--formulation", choices=FORMULATIONS, default="iterative")
    run.add_argument(
        "--domain", choices=("maths", "math", "complex_qa", "qa"), default="maths", help="qa = complex_qa"
    )
    default_model = os.environ.get("LUMOS_MODEL", presets.DEFAULT_PRESET)
    run.add_argument(
        "--planner",
        default=os.environ.get("LUMOS_PLANNER", default_model),
        help="preset name or path to a .gguf (env LUMOS_PLANNER)",
    )
    run.add_argument(
        "--grounder",
        default=os.environ.get("LUMOS_GROUNDER", default_model),
        help="preset name or path to a .gguf (env LUMOS_GROUNDER)",
    )
    run.add_argument(
        "--qa-model",
        default=os.environ.get("LUMOS_QA_MODEL", default_model),
        help="complex QA: model behind the QA action (env LUMOS_QA_MODEL)",
    )
    run.add_argument(
        "--knowledge",
        choices=("auto", "local", "wikipedia", "web"),
        default="auto",
        help="complex QA: KnowledgeQuery backend (auto: local when --corpus is set, else wikipedia)",
    )
    run.add_argument(
        "--corpus",
        default=os.environ.get("LUMOS_CORPUS"),
        help="complex QA: {title, text} JSONL or `lumos corpus build` index (env LUMOS_CORPUS)",
    )
    run.add_argument(
        "--yes-no", action="store_true", help="complex QA: the answer must be yes or no (StrategyQA)"
    )
    run.add_argument(
        "--profile",
        choices=("instruct", "lumos"),
        default="instruct",
        help="instruct: few-shot for general chat models; lumos: exact prompts for Lumos checkpoints",
    )
    run.add_argument(
        "--rendering",
        choices=("eval", "train"),
        default="eval",
        help="Lumos profile only: the eval-time or the training-time prompt rendering",
    )
    run.add_argument("--shots", type=int, default=Context.shots)
    run.add_argument(
        "--exemplars",
        help="instruct profile: JSONL pool of annotated tasks (lumos data convert) for the shots",
    )
    run.add_argument(
        "--ground-feedback",
        action="store_true",
        help="maths Lumos-I: restate earlier subgoals' results in grounding turns, as complex QA does",
    )
    run.add_argument(
        "--select-answer",
        action="store_true",
        help="maths, instruct profile: the model names the variable that answers the task (else the last)",
    )
    run.add_argument(
        "--plan-reasoning",
        choices=("off", "sketch", "steps"),
        default=Context.plan_reasoning,
        help="instruct profile, Lumos-O: the planner reasons first; sketch: a one-line worked solution "
        "before its plan; steps: a step-by-step solution (the CoT prompt) in a separate call. The "
        "grounder sees the reasoning too",
    )
    run.add_argument(
        "--selection",
        choices=("fixed", "similar"),
        default="fixed",
        help="fixed: the first --shots examples; similar: the --shots most similar to the task (BM25)",
    )
    run.add_argument(
        "--constrained",
        action=argparse.BooleanOptionalAction,
        default=Context.constrained,
        help="instruct profile: grammar-constrained planner and grounder outputs (always valid Lumos lines)",
    )
    run.add_argument(
        "--votes",
        type=int,
        default=Context.votes,
        help="run the formulation K times (the first greedy, the rest sampled) and keep the majority answer",
    )
    run.add_argument(
        "--vote-temperature",
        type=float,
        default=Context.vote_temperature,
        help="sampling temperature of the extra runs when --votes > 1 or --plan-retries > 0",
    )
    run.add_argument(
        "--plan-retries",
        type=int,
        default=Context.plan_retries,
        help="with --plan-reasoning: rerun (sampled) up to K times while the executed answer disagrees "
        "with the reasoning's; the first agreeing run wins, else the greedy one",
    )
    run.add_argument(
        "--keep-reasoning",
        action="store_true",
        help="with --plan-reasoning steps and --plan-retries: the reruns keep the greedy run's "
        "step-by-step solution and sample only the plan and its grounding",
    )
    run.add_argument(
        "--crosscheck-fallback",
        choices=("greedy", "majority", "reasoning"),
        default=Context.crosscheck_fallback,
        help="with --plan-retries, when no run agrees with its reasoning: keep the greedy run's answer; "
        "the executed answer most runs reached; or (reasoning) the answer every run executed if they "
        "all reached one, else the greedy run's reasoning's own answer",
    )
    run.add_argument("--max-subgoals", type=int, default=Context.max_subgoals)
    run.add_argument("--max-new-tokens", type=int, default=Context.max_new_tokens)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `lumos` command line."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr)
    if not args.verbose:
        logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s logs every index build at DEBUG
    try:
        return int(args.func(args))
    except ValidationError as err:  # a setting out of its bounds: say which, on one line
        print(f"lumos: error: {describe(err)}", file=sys.stderr)
        return 2
    except (presets.ModelFetchError, FileNotFoundError, ValueError) as err:
        print(f"lumos: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
