"""Parse-failure rate and accuracy of `lumos eval` traces, side by side (constrained vs not).

    python -m benchmarks.parse_rate runs/perf-gsm8k-iterative-no-constrained.jsonl \
        runs/perf-gsm8k-iterative-constrained.jsonl

An output fails when the protocol cannot parse it or it names an action outside the domain's set;
the same check as ``benchmarks/agent_vs_llama.py``. Accuracy is the trace's Lumos (strict) score.
"""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.agent_vs_llama import parse_failures
from domains import DOMAINS
from evaluation.harness import read_trace, summary_path


def main(argv: Sequence[str] | None = None) -> int:
    """Print one row per trace file."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.parse_rate", description=__doc__.split("\n")[0])
    ap.add_argument("traces", nargs="+", help="`lumos eval` JSONL traces")
    ap.add_argument("--domain", default="maths")
    args = ap.parse_args(argv)
    actions = DOMAINS[args.domain].actions
    columns = ("trace", "problems", "parse failures", "with one", "errors", "accuracy", "s / problem")
    print(f"| {' | '.join(columns)} |")
    print("|---|---|---|---|---|---|---|")
    for path in args.traces:
        rows = read_trace(Path(path))
        summary = summary_path(Path(path))
        info = json.loads(summary.read_text()) if summary.exists() else {}
        formulation = info.get("formulation") or ("onetime" if "onetime" in path else "iterative")
        counts = [parse_failures(row, formulation, actions) for row in rows]
        bad, total = sum(b for b, _ in counts), sum(t for _, t in counts)
        n = len(rows) or 1
        print(
            f"| {Path(path).name} | {len(rows)} | {bad}/{total} ({bad / (total or 1):.1%}) "
            f"| {sum(b > 0 for b, _ in counts)} | {sum(bool(r.get('error')) for r in rows)} "
            f"| {sum(bool(r.get('correct')) for r in rows) / n:.0%} "
            f"| {sum(r.get('seconds', 0) for r in rows) / n:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
