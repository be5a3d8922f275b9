"""What cross-checking did in `lumos eval` traces (`--plan-retries`): each answer source side by side.

    python -m benchmarks.crosscheck_stats runs/abl-1.5b-gsm8k-steps-keep-majority.jsonl [--limit 30]

Per maths trace: the Lumos (strict) accuracy as run; the greedy run's executed answer alone; the
answer the kept run's reasoning states (with ``--plan-reasoning steps`` that is the chain-of-thought
baseline's own prompt, so it is what CoT answers when the reasoning was not resampled); every
fallback (greedy, majority, reasoning) recomputed from the trace (runs are sequential and the
fallback only picks among them, so one trace gives all three) and how many answers the reasoning
fallback takes from the reasoning; tasks the reruns fixed and broke against the greedy run; runs
and seconds per problem. Traces may be gzipped (``docs/runs/``).
"""

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evaluation.harness import read_trace
from evaluation.metrics import maths_strict
from graphs.crosscheck import fall_back
from graphs.voting import Attempt
from nodes.extraction import extract_final_answer


def with_fallback(row: dict[str, Any], fallback: str) -> str | None:
    """Return the answer the row's cross-check keeps under a fallback (greedy, majority, reasoning)."""
    if row.get("agreed"):  # the first agreeing run, whatever the fallback
        return row["vote_answers"][row["chosen"]]
    stated = stated_answer(row)
    kept, from_reasoning = fall_back(attempts(row), stated, fallback)
    return stated if from_reasoning else kept["answer"]


def is_from_reasoning(row: dict[str, Any]) -> bool:
    """Return whether the reasoning fallback answers this row with the reasoning's own answer."""
    return not row.get("agreed") and fall_back(attempts(row), stated_answer(row), "reasoning")[1]


def attempts(row: dict[str, Any]) -> list[Attempt]:
    """Return the row's runs as attempts (answers only), greedy first, for the fallback to pick from."""
    return [Attempt(sample=i, answer=a, error=None, state={}) for i, a in enumerate(row["vote_answers"])]


def stated_answer(row: dict[str, Any]) -> str | None:
    """Return the answer the row's kept reasoning states (``The answer is N.``), or None."""
    return extract_final_answer(row.get("reasoning") or "", numeric=True)


def figures(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Return one trace's figures, formatted for a markdown row."""
    n = len(rows) or 1

    def share(hits: int) -> str:
        return f"{hits / n:.0%} ({hits})"

    greedy = [maths_strict(r["vote_answers"][0], r["gold"]) for r in rows]
    kept = [bool(r["correct"]) for r in rows]
    reasoning = [maths_strict(stated_answer(r), r["gold"]) for r in rows]
    return {
        "problems": str(len(rows)),
        "as run": share(sum(kept)),
        "greedy run only": share(sum(greedy)),
        "reasoning's answer": share(sum(reasoning)),
        "fallback greedy": share(sum(maths_strict(with_fallback(r, "greedy"), r["gold"]) for r in rows)),
        "fallback majority": share(sum(maths_strict(with_fallback(r, "majority"), r["gold"]) for r in rows)),
        "fallback reasoning": share(
            sum(maths_strict(with_fallback(r, "reasoning"), r["gold"]) for r in rows)
        ),
        "answered by reasoning": str(sum(is_from_reasoning(r) for r in rows)),
        "fixed / broken": f"{sum(k and not g for k, g in zip(kept, greedy, strict=True))} / "
        f"{sum(g and not k for k, g in zip(kept, greedy, strict=True))}",
        "runs / problem": f"{sum(len(r['vote_answers']) for r in rows) / n:.2f}",
        "s / problem": f"{sum(r['seconds'] for r in rows) / n:.1f}",
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Print one markdown row per trace."""
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.crosscheck_stats", description=__doc__.split("\n")[0]
    )
    ap.add_argument("traces", nargs="+", help="`lumos eval` JSONL traces of cross-checked maths runs")
    ap.add_argument("--limit", type=int, help="only the first N rows of each trace")
    args = ap.parse_args(argv)
    header = None
    for path in args.traces:
        rows = read_trace(Path(path))[: args.limit]
        if any("vote_answers" not in r for r in rows):
            raise SystemExit(f"{path}: not a cross-checked trace (rows without vote_answers)")
        row = {"trace": Path(path).name} | figures(rows)
        if header is None:
            header = list(row)
            print(f"| {' | '.join(header)} |")
            print("|" + "---|" * len(header))
        print(f"| {' | '.join(row.values())} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
