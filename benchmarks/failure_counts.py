"""How interactive runs end, counted from `lumos eval` traces: one row per trace file, side by side.

    python -m benchmarks.failure_counts docs/runs/unseen/*/miniwob-*.jsonl.gz   # or the runs' .jsonl

Columns: episodes (or tasks), successes; runs that stopped while the episode was open (the planner
stopped, or a Lumos-O plan ran out); runs that hit ``max_subgoals`` (open or not); prompts that
did not fit the context window; other errors (SQL: no query ran); runs whose stop was fed back
(``nudges``); runs that repeated an action which had left the page as it was ("repeated idle":
a run stuck clicking the same button); and the prompt tokens read per run and per model call,
which is what prefill costs.
"""

import argparse
import gzip
import json
from pathlib import Path

from domains.web_actions import unchanged

STOPPED_OPEN = "stopped before the episode ended"
OVERFLOW = "does not fit"


def repeated_idle(row: dict) -> bool:
    """Return whether a run did an action again right after it had left the page unchanged."""
    page, last = row.get("task", ""), None
    for action in row.get("actions") or []:
        done, after = (action["name"], action["args"]), action.get("observation") or ""
        idle = unchanged(page, after)  # a page (not a SQL result) that came back as it was
        if done == last and idle:
            return True
        last = done if idle else None
        page = after
    return False


def counts(path: Path) -> dict[str, float]:
    """Return the counts of one trace file."""
    text = (
        gzip.decompress(path.read_bytes()).decode()
        if path.suffix == ".gz"
        else path.read_text(encoding="utf-8")
    )
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    errors = [row.get("error") or "" for row in rows]
    capped = [row.get("stop_reason") == "max_subgoals" for row in rows]
    calls = sum(row.get("model_calls") or 0 for row in rows)
    tokens = sum(row.get("prompt_tokens") or 0 for row in rows)
    return {
        "runs": len(rows),
        "success": sum(bool(row.get("correct")) for row in rows),
        "stopped open": sum(STOPPED_OPEN in e and not cap for e, cap in zip(errors, capped, strict=True)),
        "max subgoals": sum(capped),
        "overflow": sum(OVERFLOW in e for e in errors),
        "other errors": sum(bool(e) and STOPPED_OPEN not in e and OVERFLOW not in e for e in errors),
        "nudged": sum(bool(row.get("nudges")) for row in rows),
        "repeated idle": sum(repeated_idle(row) for row in rows),
        "tokens / run": round(tokens / max(len(rows), 1)),
        "tokens / call": round(tokens / max(calls, 1)),
    }


def main() -> None:
    """Print one row of counts per trace file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("traces", nargs="+", type=Path)
    args = parser.parse_args()
    table = [(str(path), counts(path)) for path in args.traces]
    heads = list(table[0][1])
    print("| trace | " + " | ".join(heads) + " |")
    print("|---" * (len(heads) + 1) + "|")
    for name, row in table:
        print(f"| {name} | " + " | ".join(str(row[h]) for h in heads) + " |")


if __name__ == "__main__":
    main()
