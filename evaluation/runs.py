"""Naming and bookkeeping of evaluation runs: output paths, model labels, the command, the corpus."""

import re
import shlex
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from common.jsonl import read_jsonl
from tools.corpus import encode_corpus, passages_from_hotpot

RUNS_DIR = Path("runs")
# argparse bookkeeping, positionals, and the domain (the benchmark sets it)
NOT_OPTIONS = {"command", "func", "verbose", "benchmark", "data", "domain"}


def model_label(spec: str) -> str:
    """Return a short name for a model spec: the preset name, a .gguf file's stem, a server's host-port."""
    if spec.startswith(("http://", "https://")):  # llama-server: a name fit for a file, server-HOST-PORT
        return "server-" + re.sub(r"[^A-Za-z0-9]+", "-", spec.split("://", 1)[1]).strip("-")
    return Path(spec).stem if spec.endswith(".gguf") else spec


def run_label(planner: str, grounder: str) -> str:
    """Return the model label of a run: one name, or ``planner+grounder`` when they differ."""
    labels = dict.fromkeys((model_label(planner), model_label(grounder)))
    return "+".join(labels)


def default_out(benchmark: str, formulation: str, model: str, data: Path, profile: str) -> Path:
    """Return ``runs/<benchmark>-<formulation>-<model>[-<data stem>][-<profile>].jsonl``.

    The dev slices (``dev.jsonl``) and the default profile add nothing, so the README's runs have
    the short names; another file or profile gets its own trace rather than resuming a different run.
    """
    name = f"{benchmark}-{formulation}-{model}"
    if data.stem not in ("dev", benchmark):  # miniwob has no file
        name += f"-{data.stem}"
    if profile != "instruct":
        name += f"-{profile}"
    return RUNS_DIR / f"{name}.jsonl"


def command_line(benchmark: str, args: Mapping[str, Any], defaults: Mapping[str, Any]) -> str:
    """Return the `lumos eval` command that reproduces a run: the options that differ from the defaults.

    The formulation and the model specs are always written out (environment variables can change
    their defaults); one spec for every role is written as ``--model``.
    """
    parts = [
        "lumos",
        "eval",
        benchmark,
        *(["--data", str(args["data"])] if args.get("data") else []),
        "--formulation",
        str(args["formulation"]),
    ]
    roles = ("planner", "grounder", "qa_model")
    specs = {args[role] for role in roles if role in args}
    if len(specs) == 1:
        parts += ["--model", specs.pop()]
    for key, value in args.items():
        if key in NOT_OPTIONS or key in ("formulation", "model") or (key in roles and "--model" in parts):
            continue
        if value == defaults.get(key) and key not in roles:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            parts.append(flag)
        elif value is False:
            parts.append(f"--no-{key.replace('_', '-')}")  # a boolean option whose default is on
        elif value is not None:
            parts += [flag, str(value)]
    return shlex.join(parts)


def distractor_corpus(data: Path, directory: Path) -> Path | None:
    """Write the union of a HotpotQA distractor file's paragraphs as a corpus (None: questions only)."""
    if not any("context" in row for _, row in read_jsonl(data)):
        return None
    passages = passages_from_hotpot(data)
    path = directory / f"{data.stem}.corpus.jsonl"
    content = encode_corpus(passages)
    if not path.exists() or path.read_bytes() != content:
        directory.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return path


def code_version() -> str | None:
    """Return the git commit of this checkout (``+dirty`` with uncommitted changes), or None outside git."""
    root = Path(__file__).resolve().parent.parent

    def git(*argv: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(root), *argv], capture_output=True, text=True, timeout=10, check=True
        )
        return done.stdout.strip()

    try:
        commit = git("rev-parse", "--short=12", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):  # no git, or an installed copy outside a checkout
        return None
    return commit + ("+dirty" if dirty else "")
