"""The benchmark's bookkeeping (no model): prefill ratios, summaries and the targets report."""

import gzip
import json
from pathlib import Path

import pytest

from benchmarks import crosscheck_stats
from benchmarks.agent_vs_llama import Call, Run, cold_prefill_ratio, parse_failures, report, summary


def call(role, prompt, evaluated, seconds=1.0):
    return Call(
        role=role,
        messages=[],
        stop=[],
        grammar=None,
        prompt_tokens=prompt,
        evaluated=evaluated,
        reused=prompt - evaluated,
        generated=10,
        model_seconds=seconds,
    )


def iterative_run():
    # the first planner and grounder calls reused the worked examples left by the previous problem
    calls = [
        call("planner", 1000, 100),
        call("grounder", 1200, 150),
        call("planner", 1040, 40),
        call("grounder", 1240, 40),
        call("planner", 1080, 40),
    ]
    return Run("x", seconds=5.5, calls=calls, cpu_seconds=5.0, correct=True, outputs=5)


def test_cold_prefill_counts_what_the_first_call_of_each_role_reused():
    run = iterative_run()
    cold = 1000 + 1200 + 40 + 40 + 40  # what fresh contexts would have evaluated
    assert cold_prefill_ratio(run) == cold / (1080 + 1240)


def test_summary_splits_model_time_from_the_rest():
    s = summary([iterative_run()])
    assert s["model_seconds_per_example"] == 5.0 and abs(s["outside_seconds_per_example"] - 0.5) < 1e-9
    assert s["prefill_tokens_per_example"] == 370 and s["prompt_tokens_per_example"] == 5560
    raw = summary([iterative_run()], raw=True)
    assert raw["outside_seconds_per_example"] == 0 and raw["prefill_tokens_per_example"] is None


def test_parse_failures_checks_every_output_against_the_protocol():
    state = {
        "plan_outputs": ["Subgoal 1: Add.", "Yes, I will stop planning.", "I think"],
        "ground_outputs": ["R1 = Calculator(1 + 2)", "R2 = Multiply(2, 3)", "R3 = Calculator(2"],
    }
    assert parse_failures(state, "iterative", frozenset({"Calculator"})) == (3, 6)


def test_report_prints_targets(capsys):
    agent = summary([iterative_run()])
    raw = summary([iterative_run()], raw=True) | {"same_text_calls": "5/5"}
    results = {
        "header": {
            "command": "python -m benchmarks.agent_vs_llama",
            "model": "m",
            "threads": 1,
            "llama_cpp_python": "0",
            "machine_start": "cpu, load average 1.00",
            "machine_end": "cpu, load average 2.00",
        },
        "iterative": {
            "summaries": {
                "agent": agent,
                "raw llama.cpp": raw,
                "no prefix reuse": agent,
                "constrained": agent,
            }
        },
    }
    report(results, ["iterative"])
    out = capsys.readouterr().out
    assert "FAIL  iterative: framework overhead 9.09%" in out  # 0.5 s outside the model per 5.5 s raw
    assert "PASS  iterative: prefill evaluated" in out
    assert "PASS  iterative: constrained parse failures 0/5" in out


def test_grammar_cost_replays_constrained_requests_alternating_formulations():
    from benchmarks.grammar_cost import recorded_calls

    def runs(tag):
        calls = [{"grammar": f"{tag}{k}"} for k in range(3)] + [{"grammar": None}]
        return {"runs": {"constrained": [{"calls": calls}], "agent": [{"calls": [{"grammar": "x"}]}]}}

    results = {"header": {}, "iterative": runs("i"), "onetime": runs("o")}
    assert [c["grammar"] for c in recorded_calls(results, 5)] == ["i0", "o0", "i1", "o1", "i2"]
    assert [c["grammar"] for c in recorded_calls({"onetime": runs("o")}, 9)] == ["o0", "o1", "o2"]


def _checked_row(gold, answers, *, agreed, chosen, reasoning):
    kept = answers[chosen] if agreed else answers[0]
    return {
        "gold": gold,
        "vote_answers": answers,
        "agreed": agreed,
        "chosen": chosen,
        "correct": kept == gold,
        "reasoning": reasoning,
        "seconds": 2.0,
    }


def test_crosscheck_stats_recomputes_every_fallback_from_one_trace(tmp_path, capsys):
    rows = [
        _checked_row("72", ["72"], agreed=True, chosen=0, reasoning="The answer is 72."),
        # no run agrees with 695: greedy keeps 420, the majority 595 (the right answer)
        _checked_row(
            "595", ["420", "595", "595", "595"], agreed=False, chosen=0, reasoning="The answer is 695."
        ),
        # a rerun agrees: both fallbacks keep it; the reasoning's own answer is wrong
        _checked_row("10", ["7", "10"], agreed=True, chosen=1, reasoning="The answer is 9."),
        _checked_row("3", ["1", "5", "5"], agreed=False, chosen=0, reasoning="The answer is 3."),
    ]
    assert [crosscheck_stats.with_fallback(r, "greedy") for r in rows] == ["72", "420", "10", "1"]
    assert [crosscheck_stats.with_fallback(r, "majority") for r in rows] == ["72", "595", "10", "5"]
    # the runs scatter in both disagreeing rows, so the reasoning's own answer stands there
    assert [crosscheck_stats.with_fallback(r, "reasoning") for r in rows] == ["72", "695", "10", "3"]
    figures = crosscheck_stats.figures(rows)
    assert (figures["fallback reasoning"], figures["answered by reasoning"]) == ("75% (3)", "2")
    assert figures["as run"] == "50% (2)" and figures["greedy run only"] == "25% (1)"
    assert figures["reasoning's answer"] == "50% (2)"  # 72 and 3
    assert (figures["fallback greedy"], figures["fallback majority"]) == ("50% (2)", "75% (3)")
    assert figures["fixed / broken"] == "1 / 0" and figures["runs / problem"] == "2.50"
    trace = tmp_path / "t.jsonl.gz"  # kept traces are gzipped (docs/runs/)
    trace.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    assert crosscheck_stats.main([str(trace), "--limit", "2"]) == 0
    assert (
        "| t.jsonl.gz | 2 | 50% (1) | 50% (1) | 50% (1) | 50% (1) | 100% (2) | 50% (1) | 1 | 0 / 0 | 2.50 | 2.0 |"
        in capsys.readouterr().out
    )


def test_the_reasoning_fallback_keeps_an_answer_every_run_executed():
    # the runs agree among themselves, not with the solution: the solution slipped, execution stands
    unanimous = _checked_row(
        "12", ["12", "12", "12"], agreed=False, chosen=0, reasoning="The answer is 14.4."
    )
    assert crosscheck_stats.with_fallback(unanimous, "reasoning") == "12"
    assert not crosscheck_stats.is_from_reasoning(unanimous)
    silent = _checked_row("12", ["11", "13"], agreed=False, chosen=0, reasoning="No stated answer here.")
    assert crosscheck_stats.with_fallback(silent, "reasoning") == "11"  # nothing stated: the greedy run


def test_crosscheck_stats_refuses_a_trace_without_reruns(tmp_path):
    trace = tmp_path / "plain.jsonl"
    trace.write_text(json.dumps({"gold": "1", "correct": True, "seconds": 1.0}) + "\n")
    with pytest.raises(SystemExit, match="not a cross-checked trace"):
        crosscheck_stats.main([str(trace)])


def write_trace(path: Path, rows: list[dict]) -> Path:
    """Write rows as a `lumos eval` trace (one JSON object a line) and return its path."""
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_failure_counts_tell_stops_on_open_episodes_overflows_and_nudges_apart(tmp_path):
    from benchmarks.failure_counts import counts

    rows = [
        {"correct": True, "error": None, "model_calls": 4, "prompt_tokens": 4000, "nudges": [{"after": 1}]},
        {"correct": False, "error": "the run stopped before the episode ended (reward 0)", "model_calls": 2},
        {
            "correct": False,
            "error": "grounder prompt does not fit: ...",
            "model_calls": 2,
            "prompt_tokens": 2000,
        },
        {"correct": False, "error": "no SELECT query ran without error", "stop_reason": "max_subgoals"},
    ]
    assert counts(write_trace(tmp_path / "trace.jsonl", rows)) == {
        "runs": 4,
        "success": 1,
        "stopped open": 1,
        "max subgoals": 1,
        "overflow": 1,
        "other errors": 1,
        "nudged": 1,
        "repeated idle": 0,
        "tokens / run": 1500,
        "tokens / call": 750,
    }


def test_sql_failures_say_what_the_last_query_failed_on_or_that_none_was_written(tmp_path):
    from benchmarks.failure_counts import sql_failures

    def run(*actions: tuple[str, str], error: str | None = "no SELECT query ran") -> dict:
        steps = [{"args": args, "observation": seen} for args, seen in actions]
        return {"correct": False, "error": error, "actions": steps, "seconds": 3.0}

    rows = [
        run(("DESCRIBE singer", "Table singer: Age INTEGER"), ("Age > 4", "Age > 4")),
        run(("SELECT Years FROM singer", "Error: statement failed: no such column: Years")),
        run(
            ("SELECT Name FROM R3", "Error: statement failed: ambiguous column name: Name"),
            ("DESCRIBE singer", "Table singer: Age INTEGER"),
        ),
        run(("SELECT count(*) FROM singer", "Columns: count(*); rows (1): [(4,)]"), error=None),
    ]
    assert sql_failures(write_trace(tmp_path / "sql.jsonl", rows)) == {
        "errors": 3,
        "no such table": 0,
        "no such column": 1,
        "ambiguous column": 1,
        "syntax": 0,
        "no query written": 1,
        "s / task": 3.0,
    }


def test_the_own_split_shares_no_task_with_development_or_the_worked_examples():
    from domains.web import DEV_TASKS
    from evaluation import splits

    tasks = splits.miniwob_unseen()
    assert len(tasks) == 8 and not set(tasks) & set(DEV_TASKS) and set(tasks) <= set(splits.MINIWOB_POOL)
    rows = [{"row": i} for i in range(200)]
    picked = [row["row"] for row in splits.intercode_unseen(rows)]
    assert len(picked) == 32 == len(set(picked)) and min(picked) >= 100  # the first hundred is development
    assert not set(picked) & set(splits.SQL_EXAMPLE_ROWS)
    assert splits.miniwob_unseen() == tasks  # drawn by a fixed seed
    second = splits.miniwob_unseen(draw=2)  # held out after the first was tuned on
    assert len(second) == 8 and not set(second) & (set(tasks) | set(DEV_TASKS))
    again = [row["row"] for row in splits.intercode_unseen(rows, draw=2)]
    assert (
        len(again) == 32
        and not set(again) & (set(picked) | set(splits.SQL_EXAMPLE_ROWS))
        and min(again) >= 100
    )
    assert 187 not in set(picked) | set(again)  # the third SQL worked example's row is in neither draw
    third = splits.miniwob_unseen(draw=3)  # held out after the second was tuned on
    assert len(third) == 8 and not set(third) & (set(tasks) | set(second) | set(DEV_TASKS))
    last = [row["row"] for row in splits.intercode_unseen(rows, draw=3)]  # all the pool had left
    assert len(last) == 29 and not set(last) & (
        set(picked) | set(again) | set(splits.SQL_EXAMPLE_ROWS) | {187}
    )
    assert splits.draws(list(range(10)), 4, 3) == sorted(
        set(range(10)) - set(splits.draws(list(range(10)), 4, 1)) - set(splits.draws(list(range(10)), 4, 2))
    )


def test_a_run_that_repeats_an_action_which_left_the_page_unchanged_is_counted_stuck():
    from benchmarks.failure_counts import repeated_idle

    page = "The page:\n[4] input_number id=tt\n[5] button Submit"
    typed = page.replace("id=tt", 'id=tt value="5"')

    def run(*steps):
        return {
            "task": "Guess.\n" + page,
            "actions": [{"name": n, "args": a, "observation": o} for n, a, o in steps],
        }

    assert repeated_idle(run(("TYPE", "4, 5", typed), ("CLICK", "5", typed), ("CLICK", "5", typed)))
    assert not repeated_idle(run(("TYPE", "4, 5", typed), ("CLICK", "5", typed), ("TYPE", "4, 6", page)))
    assert not repeated_idle(run(("CLICK", "5", typed), ("CLICK", "5", page)))  # each click changed the page
