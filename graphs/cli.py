"""The `lumos` command: run the agent on a task, draw its graphs, fetch model presets."""

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from langchain_core.runnables import RunnableConfig

from graphs.binding import CompiledLumosGraph
from models import presets
from nodes import protocol
from nodes.context import Context
from nodes.state import LumosInput

FORMULATIONS = ("iterative", "onetime", "cot", "direct")  # the last two are single-call baselines


def compiled(formulation: str) -> CompiledLumosGraph:
    """Return the compiled graph of a formulation."""
    if formulation == "iterative":
        from graphs.iterative import graph
    elif formulation == "onetime":
        from graphs.onetime import graph
    elif formulation == "cot":
        from graphs.baselines import cot_graph as graph
    else:
        from graphs.baselines import direct_graph as graph
    return graph


def context_from(args: argparse.Namespace) -> Context:
    """Return the run context for parsed `lumos run` arguments."""
    return Context(
        domain=args.domain,
        planner=args.planner,
        grounder=args.grounder,
        profile=args.profile,
        rendering=args.rendering,
        shots=args.shots,
        max_subgoals=args.max_subgoals,
        max_new_tokens=args.max_new_tokens,
    )


def show_update(node: str, update: dict[str, Any], planned: int) -> None:
    """Print what one node just did, as it happens (``planned``: subgoals shown before this update)."""
    if node == "plan":
        for text in update.get("plan_outputs", []):
            if protocol.is_stop(text):
                print(f"[plan]    {text}")
        for index, subgoal in enumerate(update.get("subgoals", []), start=planned + 1):
            print(f"[plan]    {protocol.render_subgoal(index, subgoal)}")
    elif node == "ground":
        for text in update.get("ground_outputs", []):
            print(f"[ground]  {text}")
    elif node == "execute":
        for action in update.get("actions", []):
            mark = "" if action["ok"] else "  (failed)"
            print(f"[execute] {protocol.render_action(action)} -> {action['observation']}{mark}")
    elif node == "answer":
        if update.get("answer") is not None:
            print(f"Answer: {update['answer']}")
        else:
            print(f"No answer: {update.get('error')}")
    if update.get("error") and node != "answer":
        print(f"[{node}]  error: {update['error']}")
    sys.stdout.flush()


def cmd_run(args: argparse.Namespace) -> int:
    """Run the agent on one task, streaming each step."""
    context = context_from(args)
    graph = compiled(args.formulation)
    print(f"Task: {args.task}")
    print(
        f"{args.formulation} | planner {context.planner} | "
        f"grounder {context.grounder} | profile {context.profile}"
    )
    config: RunnableConfig = {"recursion_limit": context.recursion_limit}
    planned = 0
    final: dict[str, Any] = {}
    for chunk in graph.stream(LumosInput(task=args.task), config, context=context, stream_mode="updates"):
        for node, update in chunk.items():
            update = update or {}
            show_update(node, update, planned)
            planned += len(update.get("subgoals", []))
            final.update(update)
    return 0 if final.get("answer") is not None else 1


def cmd_eval(args: argparse.Namespace) -> int:
    """Run a formulation over a maths JSONL file and print its scores."""
    from pathlib import Path

    from evaluation import harness as evaluate

    examples = evaluate.load_maths(Path(args.data))[: args.limit]
    out = Path(args.out or f"runs/{Path(args.data).parent.name}-{args.formulation}.jsonl")
    for _ in evaluate.run(compiled(args.formulation), examples, context_from(args), out):
        pass
    summary = evaluate.summarize(out)
    print(
        json.dumps({"data": args.data, "formulation": args.formulation, "out": str(out), **summary}, indent=2)
    )
    return 0


def cmd_graph(args: argparse.Namespace) -> int:
    """Print a graph's Mermaid diagram."""
    print(compiled(args.formulation).get_graph().draw_mermaid())
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
    run.add_argument("task")
    add_agent_options(run)
    run.set_defaults(func=cmd_run)

    ev = sub.add_parser("eval", help="run the agent over a GSM8K/SVAMP-shaped JSONL file and score it")
    ev.add_argument(
        "--data", required=True, help="JSONL with question/answer (GSM8K) or body/question/answer (SVAMP)"
    )
    ev.add_argument("--out", help="trace file (JSONL); examples already in it are skipped, so runs resume")
    ev.add_argument("--limit", type=int, default=None)
    add_agent_options(ev)
    ev.set_defaults(func=cmd_eval)

    graph = sub.add_parser("graph", help="print a graph's Mermaid diagram")
    graph.add_argument("--formulation", choices=FORMULATIONS, default="iterative")
    graph.set_defaults(func=cmd_graph)

    models = sub.add_parser("models", help="list or fetch GGUF model presets")
    models.add_argument("action", choices=("list", "fetch"))
    models.add_argument("names", nargs="*", help=f"presets to fetch (default {presets.DEFAULT_PRESET})")
    models.set_defaults(func=cmd_models)
    return root


def add_agent_options(run: argparse.ArgumentParser) -> None:
    """Add the formulation, model and budget options shared by `run` and `eval`."""
    run.add_argument("--formulation", choices=FORMULATIONS, default="iterative")
    run.add_argument("--domain", default="maths")
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
    run.add_argument("--max-subgoals", type=int, default=Context.max_subgoals)
    run.add_argument("--max-new-tokens", type=int, default=Context.max_new_tokens)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `lumos` command line."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr)
    try:
        return int(args.func(args))
    except (presets.ModelFetchError, FileNotFoundError, ValueError) as err:
        print(f"lumos: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
