"""`lumos run`, `history`, `graph` and `models`: run the agent, show threads, draw graphs, fetch models."""

import argparse
import os

from graphs.options import add_agent_options, run_of
from graphs.pipeline import FORMULATIONS, compiled, pipeline
from models import presets
from models.catalogue import ADAPTER_PRESETS
from nodes.context import Context
from nodes.inputs import task_problem


def cmd_run(args: argparse.Namespace) -> int:
    """Run the agent on one task, or resume a thread, streaming each step (and reviewing the plan)."""
    import uuid

    from langgraph.checkpoint.memory import InMemorySaver

    from cli import terminal
    from graphs import persistence

    tokens = args.show_tokens
    if args.task is not None and (problem := task_problem(args.task)):
        raise ValueError(problem)
    formulation, context = run_of(args)
    if args.task is not None and len(args.task) > context.max_task_chars:  # refused before it is echoed
        raise ValueError(
            f"the task has {len(args.task)} characters; the limit is {context.max_task_chars} "
            "(--max-task-chars)"
        )
    environment = seeded(args.env, args.seed, context)
    check_environment(environment, context)
    if args.task is None and environment is not None and args.thread is None:
        args.task = ""  # a web page says its own task
    if context.rerun_setting() and (args.thread is not None or context.review_plan):
        raise ValueError("--votes and --plan-retries rerun whole tasks: not with --thread or --review")
    if args.thread is None:
        if not args.task and environment is None:
            raise ValueError("give a task, or --thread ID to resume a thread")
        graph = persistence.with_checkpointer(pipeline(formulation, context), InMemorySaver())
        show_header(args.task, formulation, context)
        return terminal.run(
            graph,
            context,
            task=args.task,
            thread_id=uuid.uuid4().hex,
            durable=False,
            tokens=tokens,
            environment=environment,
        )
    with persistence.open_threads(args.db) as saver:
        info = persistence.load_thread(saver, args.thread)
        if info is None:
            if not args.task and environment is None:
                raise ValueError(f"there is no thread {args.thread!r} in {args.db}; give a task to start it")
            task = args.task
            check_models(context)  # a thread that could never run is not created
            persistence.save_thread(saver, args.thread, formulation, task, context)
        else:  # a thread keeps the settings it started with
            if args.task and args.task != info["task"]:
                raise ValueError(f"thread {args.thread!r} runs another task: {info['task']!r}")
            formulation, task, context = info["formulation"], info["task"], persistence.thread_context(info)
        graph = persistence.with_checkpointer(pipeline(formulation, context), saver)
        show_header(task, formulation, context, thread=args.thread)
        return terminal.run(
            graph,
            context,
            task=task,
            thread_id=args.thread,
            durable=True,
            tokens=tokens,
            environment=environment,
        )


def check_models(context: Context) -> None:
    """Raise FileNotFoundError naming a model file the run's settings name that does not exist."""
    from models.adapters import missing_files

    roles = {"planner": context.planner, "grounder": context.grounder}
    if context.domain == "complex_qa":
        roles["qa_model"] = context.qa_model
    for role, spec in roles.items():
        if missing := missing_files(spec):
            raise FileNotFoundError(f"--{role.replace('_', '-')} {spec}: no file {missing[0]}")


def check_environment(environment: str | None, context: Context) -> None:
    """Raise ValueError when ``--env`` names an environment the run's domain cannot take."""
    from domains import DOMAINS

    domain = DOMAINS[context.domain]
    if environment is not None and not domain.environment_help:
        takers = ", ".join(name for name, d in DOMAINS.items() if d.environment_help)
        raise ValueError(f"the {domain.name} domain runs against no environment (--env is for: {takers})")


def seeded(environment: str | None, seed: int | None, context: Context) -> str | None:
    """Return the environment with ``--seed`` applied, or raise ValueError when it cannot take one."""
    from domains import DOMAINS

    if seed is None:
        return environment
    domain = DOMAINS[context.domain]
    if domain.seeded is None:
        raise ValueError(f"--seed picks an episode of a web environment; the {domain.name} domain has none")
    if environment is None:
        raise ValueError("--seed needs the environment it seeds: --env miniwob/<task>-v1")
    return domain.seeded(environment, seed)


def show_header(task: str, formulation: str, context: Context, thread: str | None = None) -> None:
    """Print the task and the run's settings."""
    from cli.terminal import say
    from graphs.effort import EFFORT_SETTINGS

    levers = " ".join(
        "--" + name.replace("_", "-") + ("" if value is True else f" {value}")
        for name in sorted(EFFORT_SETTINGS)
        if (value := getattr(context, name, None)) not in (None, False, 0, "off", "greedy")
    )
    say(f"Task: {task or '(the environment states it)'}")
    say(
        f"{formulation}{' ' + levers if levers else ''} | planner {context.planner}"
        f" | grounder {context.grounder} | profile {context.profile}"
        + (" | review" if context.review_plan else "")
        + (f" | thread {thread}" if thread else "")
    )


def cmd_history(args: argparse.Namespace) -> int:
    """List a thread's steps from its checkpoints, or every thread in the database."""
    from pathlib import Path

    from cli import history
    from cli.terminal import say
    from graphs import persistence

    if not persistence.is_postgres(args.db) and not Path(args.db).exists():
        raise FileNotFoundError(f"no thread database at {args.db} (runs started with --thread create it)")
    with persistence.open_threads(args.db) as saver:
        infos = persistence.list_threads(saver)
        if args.thread is not None:
            infos = [info for info in infos if info["thread_id"] == args.thread]
            if not infos:
                raise ValueError(f"there is no thread {args.thread!r} in {args.db}")
        for info in infos:
            graph = persistence.with_checkpointer(
                pipeline(info["formulation"], persistence.thread_context(info)), saver
            )
            config = persistence.thread_config(info["thread_id"], persistence.thread_context(info))
            lines = history.history_lines(graph.get_state_history(config))
            if args.thread is None:  # the overview: one line per thread
                say(f"{info['thread_id']}  {info['formulation']}  {info['created_at']}  ", end="")
                say(f"{lines[-1]}  {info['task']!r}")
                continue
            say(f"Thread {info['thread_id']} ({info['formulation']}, started {info['created_at']})")
            say(f"Task: {info['task']}")
            say("\n".join(lines))
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
        for name, adapter in ADAPTER_PRESETS.items():
            print(f"{name}: {adapter.description} [LoRA adapter over {adapter.base}]")
        return 0
    for name in args.names or [presets.DEFAULT_PRESET]:
        path = presets.fetch(name)
        print(f"{name}: {path}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Build llama-server once, then serve a preset on loopback with N slots until interrupted."""
    import time

    from models import llama_server

    if args.build_only:
        print(f"llama-server: {llama_server.binary()}")
        return 0
    with llama_server.serve(args.model, port=args.port, parallel=args.parallel, n_ctx=args.ctx) as url:
        print(f"llama-server: {args.model} on {url}, {args.parallel} slots (Ctrl-C stops it)")
        print(f"use it as a model spec: lumos run --planner {url} --grounder {url} ...", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


def thread_db() -> str:
    """Return the default thread database: $LUMOS_DB, else runs/threads.sqlite."""
    return os.environ.get("LUMOS_DB", "runs/threads.sqlite")


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add the run, history, graph and models subcommands."""
    run = sub.add_parser("run", help="run the agent on a task and stream its steps")
    run.add_argument("task", nargs="?", help="the task (optional when resuming a --thread)")
    add_agent_options(run, review=True)
    run.add_argument(
        "--env",
        metavar="ENVIRONMENT",
        help="what the task runs against: for --domain sql, its database (an InterCode name or .sqlite "
        "path); for --domain web, the MiniWoB++ task (miniwob/click-button-v1)",
    )
    run.add_argument(
        "--seed", type=int, help="web: the episode's seed (the same seed shows the same page; default 0)"
    )
    run.add_argument(
        "--thread",
        help="keep the run in a durable thread (SQLite, every step); the same ID resumes it after a crash",
    )
    run.add_argument(
        "--db",
        default=thread_db(),
        help="thread database: an SQLite file or a postgresql:// URL, whose threads several machines "
        "share (env LUMOS_DB; default runs/threads.sqlite)",
    )
    run.add_argument(
        "--show-tokens", action="store_true", help="echo the models' tokens to stderr as they come"
    )
    run.set_defaults(func=cmd_run)

    history = sub.add_parser("history", help="list a thread's steps (or every thread) from its checkpoints")
    history.add_argument("--thread", help="the thread to show (default: one line per thread)")
    history.add_argument(
        "--db", default=thread_db(), help="thread database: SQLite file or postgresql:// URL (env LUMOS_DB)"
    )
    history.set_defaults(func=cmd_history)

    graph = sub.add_parser("graph", help="draw a graph offline: Mermaid, ASCII or PNG")
    graph.add_argument("--formulation", choices=FORMULATIONS, default="iterative")
    graph.add_argument("--format", choices=("mermaid", "ascii", "png"), default="mermaid")
    graph.add_argument("--out", help="file to write (default: print; PNG: lumos-<formulation>.png)")
    graph.set_defaults(func=cmd_graph)

    serve = sub.add_parser(
        "serve",
        help="serve a preset with llama.cpp's own server (built from the pinned sources on first use)",
    )
    serve.add_argument("--model", default=presets.DEFAULT_PRESET, help="preset name or .gguf path")
    serve.add_argument("--port", type=int, default=8080, help="loopback port (default 8080)")
    serve.add_argument("--parallel", type=int, default=2, help="slots: requests decoded at once (default 2)")
    serve.add_argument(
        "--ctx", type=int, help="context window per slot (default: the model's trained context within memory)"
    )
    serve.add_argument(
        "--build-only", action="store_true", help="build (or find) the binary, print its path, exit"
    )
    serve.set_defaults(func=cmd_serve)

    models = sub.add_parser("models", help="list or fetch GGUF model presets")
    models.add_argument("action", choices=("list", "fetch"))
    models.add_argument("names", nargs="*", help=f"presets to fetch (default {presets.DEFAULT_PRESET})")
    models.set_defaults(func=cmd_models)
