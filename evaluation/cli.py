"""`lumos eval`, `mind2web`, `report`, `corpus` and `recall`: benchmarks, tables, corpora, retrieval."""

import argparse
import json
import sys

from domains.web import DEV_TASKS
from evaluation import benchmarks
from graphs.options import add_agent_options, run_of
from graphs.pipeline import pipeline
from nodes.context import Context


def cmd_eval(args: argparse.Namespace) -> int:
    """Run a formulation over a benchmark file (resuming), write its trace, summary and table."""
    import dataclasses
    import random
    import signal
    from functools import partial
    from pathlib import Path

    from evaluation import benchmarks, harness, judge, runs
    from models.registry import LlamaModels

    if args.benchmark == "miniwob":  # episodes, not a file: --tasks, --episodes, --seed (the first seed)
        data = Path("miniwob")
        benchmark = "miniwob"
        examples = benchmarks.episodes(args.tasks.split(","), args.episodes, args.seed or 0)
    elif args.data is None:
        raise ValueError("give the benchmark file with --data (only miniwob runs without one)")
    else:
        data = Path(args.data)
        benchmark, examples = benchmarks.load(data, args.benchmark)
    if args.model:
        args.planner = args.grounder = args.model
        if hasattr(args, "qa_model"):
            args.qa_model = args.model
    args.domain = benchmarks.SPECS[benchmark].domain  # the effort's choice depends on it
    formulation = run_of(args)[0]  # the same resolution as below, before the output path needs it
    defaults = vars(defaults_parser().parse_args([]))
    command = runs.command_line(benchmark, vars(args) | {"formulation": formulation}, defaults)
    if args.seed is not None and benchmark != "miniwob":  # a seeded random subset; else the first N
        random.Random(args.seed).shuffle(examples)
    examples = examples[: args.limit]
    model = runs.run_label(args.planner, args.grounder)
    out = Path(args.out) if args.out else runs.default_out(benchmark, formulation, model, data, args.profile)
    formulation, context = run_of(args, **benchmarks.SPECS[benchmark].settings(data, out.parent, vars(args)))
    info = {
        "benchmark": benchmark,
        "formulation": formulation,
        "model": model,
        "data": args.data,
        "limit": args.limit,
        # like --limit, more episodes extend a run (seeds seed..seed+N-1) rather than change it
        **({"episodes": args.episodes} if benchmark == "miniwob" else {}),
        "seed": args.seed,
        "judge": args.judge,
        "command": command,
        "code": [version] if (version := runs.code_version()) else [],
        "config": {
            "data": str(data.resolve()) if args.data else args.tasks,
            "seed": args.seed,
            **dataclasses.asdict(context),
        },
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
            pipeline(formulation, context),
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


def cmd_mind2web(args: argparse.Namespace) -> int:
    """Score Lumos's teacher-forced Mind2Web steps on a data directory (step success rate)."""
    from pathlib import Path

    from tqdm import tqdm

    from evaluation import mind2web, mind2web_data
    from models.registry import LlamaModels

    tasks = mind2web_data.read(Path(args.data))[: args.limit]
    planner, grounder = args.model or args.planner, args.model or args.grounder
    context = Context(domain="web", profile="lumos", planner=planner, grounder=grounder)
    out = Path(args.out)
    rows = mind2web.run(tasks, LlamaModels(), context, out, seed=args.seed)
    for _ in tqdm(rows, total=len(tasks), desc="mind2web tasks", unit="task"):
        pass
    summary = {"data": args.data, "planner": planner, "grounder": grounder, "seed": args.seed}
    summary |= mind2web.summarize(out)
    out.with_suffix(".summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=2))
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


def add_eval_options(ev: argparse.ArgumentParser) -> None:
    """Add `lumos eval`'s own options and the agent's."""
    ev.add_argument("--data", help="JSONL in the shape of ../shared/data (see its README); not for miniwob")
    ev.add_argument(
        "--tasks",
        default=",".join(DEV_TASKS),
        help="miniwob: comma-separated MiniWoB++ tasks (default: the 12 development tasks)",
    )
    ev.add_argument("--episodes", type=int, default=5, help="miniwob: episodes (seeds) per task")
    ev.add_argument(
        "--out",
        help="trace file (JSONL); default runs/<benchmark>-<formulation>-<model>.jsonl. "
        "Examples already in it are skipped, so runs resume",
    )
    ev.add_argument("--limit", type=int, default=None, help="evaluate the first N examples only")
    ev.add_argument(
        "--seed",
        type=int,
        default=None,
        help="shuffle the examples with this seed before --limit; miniwob: the first episode seed (0)",
    )
    ev.add_argument(
        "--model", help="one model spec for every role (planner, grounder, QA tool); overrides those options"
    )
    ev.add_argument(
        "--concurrency", type=int, default=1, help="examples run in parallel threads (one lock per model)"
    )
    ev.add_argument("--judge", help="model spec of an LLM judge for judged accuracy (Lumos's judge prompt)")
    add_agent_options(ev, effort=None)  # a benchmark run states its configuration


def defaults_parser() -> argparse.ArgumentParser:
    """Return a parser of `lumos eval`'s options alone, to tell which options a run changed."""
    ev = argparse.ArgumentParser(add_help=False)
    add_eval_options(ev)
    return ev


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add the eval, report, corpus and recall subcommands."""
    ev = sub.add_parser("eval", help="run a formulation over a benchmark JSONL file and score it")
    ev.add_argument(
        "benchmark",
        nargs="?",
        choices=benchmarks.BENCHMARKS,
        help="benchmark whose shape and metrics the file has (default: told from its fields)",
    )
    add_eval_options(ev)
    ev.set_defaults(func=cmd_eval)

    m2w = sub.add_parser(
        "mind2web",
        help="Lumos's teacher-forced Mind2Web evaluation (step success rate) of a data directory",
        description="Runs the lumos profile's planner and grounder over Mind2Web records in Lumos's layout "
        "(test_domain/*.json), teacher-forced on the gold history, and scores each step by Lumos's rule. "
        "Candidates are ranked by BM25 (MindAct's cross-encoder is not used).",
    )
    m2w.add_argument("--data", required=True, help="a Mind2Web test_domain/ directory (or one .json file)")
    m2w.add_argument("--model", help="one model spec for planner and grounder (Lumos web checkpoints' GGUFs)")
    m2w.add_argument("--planner", default=Context().planner, help="planner model spec")
    m2w.add_argument("--grounder", default=Context().grounder, help="grounder model spec")
    m2w.add_argument("--limit", type=int, default=None, help="the first N tasks only")
    m2w.add_argument("--seed", type=int, default=0, help="seeds the history's phrasing, candidate order")
    m2w.add_argument("--out", default="runs/mind2web.jsonl", help="trace (one row per task; runs resume)")
    m2w.set_defaults(func=cmd_mind2web)

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
