"""How interactive runs end, counted from `lumos eval` traces: one row per trace file, side by side.

    python -m benchmarks.failure_counts docs/runs/unseen/*/miniwob-*.jsonl.gz   # or the runs' .jsonl
    python -m benchmarks.failure_counts --sql docs/runs/unseen3/*/sql-*.jsonl.gz  # and why SQL runs erred

Columns: episodes (or tasks), successes; runs that stopped while the episode was open (the planner
stopped, or a Lumos-O plan ran out); runs that hit ``max_subgoals`` (open or not); prompts that
did not fit the context window; other errors (SQL: no query ran); runs whose stop was fed back
(``nudges``); runs that repeated an action which had left the page as it was ("repeated idle":
a run stuck clicking the same button); and the prompt tokens read per run and per model call,
which is what prefill costs. ``--sql`` adds a table of why SQL runs ended with no query that ran:
what the last query written failed on, or that none was written, and the seconds per task.
"""

import argparse
from pathlib import Path

from common.jsonl import read_jsonl
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


SQL_FAILURES = ("no such table", "no such column", "ambiguous column", "syntax")


def read_rows(path: Path) -> list[dict]:
    """Return the rows of a trace file, gzipped or not (the project's one JSONL reader)."""
    return [row for _, row in read_jsonl(path)]


def sql_failures(path: Path) -> dict[str, float]:
    """Return why a trace's SQL runs erred: the last query's failure, or no query written at all."""
    rows = read_rows(path)
    found = dict.fromkeys(["errors", *SQL_FAILURES, "no query written"], 0)
    for row in rows:
        if not row.get("error"):
            continue
        found["errors"] += 1
        queries = [a for a in row.get("actions") or [] if "SELECT" in a["args"].upper()]
        if not queries:
            found["no query written"] += 1
            continue
        for kind in SQL_FAILURES:
            found[kind] += kind in (queries[-1].get("observation") or "")
    seconds = sum(row.get("seconds") or 0 for row in rows)
    return {**found, "s / task": round(seconds / max(len(rows), 1), 1)}


def counts(path: Path) -> dict[str, float]:
    """Return the counts of one trace file."""
    rows = read_rows(path)
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
    parser.add_argument("--sql", action="store_true", help="also say why SQL runs erred")
    args = parser.parse_args()
    print_table([(str(path), counts(path)) for path in args.traces])
    if args.sql:
        print()
        print_table([(str(path), sql_failures(path)) for path in args.traces])


def print_table(table: list[tuple[str, dict[str, float]]]) -> None:
    """Print rows of counts as one Markdown table, a trace a row."""
    heads = list(table[0][1])
    print("| trace | " + " | ".join(heads) + " |")
    print("|---" * (len(heads) + 1) + "|")
    for name, row in table:
        print(f"| {name} | " + " | ".join(str(row[h]) for h in heads) + " |")


if __name__ == "__main__":
    main()
