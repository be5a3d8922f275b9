"""The `lumos` command: every subcommand family registers itself here.

`run`, `history`, `graph`, `serve`, `models` (``cli/run.py``); `eval`, `report`, `corpus`, `recall`
(``evaluation/cli.py``); `data`, `train` (``training/cli.py``).
"""

import argparse
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from models.llama_server import ServerBuildError
from models.presets import ModelFetchError
from nodes.context import describe


def parser() -> argparse.ArgumentParser:
    """Return the argument parser of the `lumos` command."""
    from cli import run
    from evaluation import cli as evaluation
    from training import cli as training

    root = argparse.ArgumentParser(
        prog="lumos", description="Lumos agents on LangGraph over local GGUF models."
    )
    root.add_argument("-v", "--verbose", action="store_true", help="log debug information to stderr")
    sub = root.add_subparsers(dest="command", required=True)
    for family in (run, evaluation, training):
        family.register(sub)
    return root


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
    except (ModelFetchError, FileNotFoundError, ValueError, ServerBuildError) as err:
        print(f"lumos: error: {err}", file=sys.stderr)
        return 2
