"""Accuracy against seconds per task, per benchmark and preset, from the kept run summaries.

Reads every ``*.summary.json`` under ``docs/runs`` (or the folders given) and prints, per benchmark,
one row per preset and configuration (the formulation and the flags its command added), with its
primary metric, the examples it covers, seconds per task, and whether it is on the preset's
accuracy/seconds frontier (no other configuration of that preset is both at least as accurate and
faster). Runs over fewer examples than the benchmark's largest are marked, since their figures are
not comparable with the full ones. A report over measured figures; it runs nothing.

    python -m benchmarks.tradeoffs [docs/runs ...]
"""

import json
import shlex
import sys
from pathlib import Path
from typing import Any

# what a command names besides its configuration: data, output, models, and how many examples
SKIPPED = {"--data", "--out", "--model", "--planner", "--grounder", "--qa-model", "--formulation"}
SKIPPED |= {"--limit", "--episodes", "--seed", "--tasks"}


def configuration(summary: dict[str, Any]) -> str:
    """Return a run's configuration: its formulation and the flags its command set (see SKIPPED)."""
    words = shlex.split(summary.get("command", ""))[3:]
    flags, skip = [], False
    for word in words:
        if skip:
            skip = False
            continue
        if word in SKIPPED:
            skip = True
            continue
        flags.append(word)
    return " ".join([summary["formulation"], *flags])


def rows(folders: list[Path]) -> list[dict[str, Any]]:
    """Return one row per summary: benchmark, model, configuration, score, examples, seconds, file."""
    found = []
    for folder in folders:
        for path in sorted(folder.rglob("*.summary.json")):
            summary = json.loads(path.read_text(encoding="utf-8"))
            if not summary.get("examples"):
                continue
            found.append(
                {
                    "benchmark": summary["benchmark"],
                    "model": summary["model"],
                    "configuration": configuration(summary),
                    "score": 100 * summary["metrics"].get(summary["primary"], 0.0),
                    "metric": summary["primary"],
                    "examples": summary["examples"],
                    "seconds": summary["seconds_per_example"],
                    "file": str(path),
                }
            )
    return found


def frontier(group: list[dict[str, Any]]) -> set[int]:
    """Return the indices of rows no other row beats on both accuracy and seconds."""
    return {
        i
        for i, r in enumerate(group)
        if not any(
            (o["score"] >= r["score"] and o["seconds"] < r["seconds"])
            or (o["score"] > r["score"] and o["seconds"] <= r["seconds"])
            for o in group
        )
    }


def main() -> None:
    """Print the tables."""
    folders = [Path(a) for a in sys.argv[1:]] or [Path("docs/runs")]
    everything = rows(folders)
    for benchmark in sorted({r["benchmark"] for r in everything}):
        in_benchmark = [r for r in everything if r["benchmark"] == benchmark]
        full = max(r["examples"] for r in in_benchmark)
        print(
            f"\n### {benchmark} ({in_benchmark[0]['metric']}; frontier among runs over all {full} examples)\n"
        )
        print("| model | configuration | score | examples | s / task | frontier |")
        print("|---|---|---|---|---|---|")
        for model in sorted({r["model"] for r in in_benchmark}):
            group = sorted((r for r in in_benchmark if r["model"] == model), key=lambda r: r["seconds"])
            complete = [r for r in group if r["examples"] == full]
            best = {id(complete[i]) for i in frontier(complete)}
            for r in group:
                mark = "yes" if id(r) in best else ("" if r["examples"] == full else "partial run")
                print(
                    f"| {model} | `{r['configuration']}` | {r['score']:.1f} | {r['examples']} | "
                    f"{r['seconds']:.1f} | {mark} |"
                )


if __name__ == "__main__":
    main()
