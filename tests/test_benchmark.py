"""The benchmark's bookkeeping (no model): prefill ratios, summaries and the targets report."""

from benchmarks.agent_vs_llama import Call, Run, cold_prefill_ratio, parse_failures, report, summary


def call(role, prompt, evaluated, seconds=1.0):
    return Call(role=role, messages=[], stop=[], grammar=None, prompt_tokens=prompt, evaluated=evaluated,
                reused=prompt - evaluated, generated=10, model_seconds=seconds)


def iterative_run():
    # the first planner and grounder calls reused the worked examples left by the previous problem
    calls = [call("planner", 1000, 100), call("grounder", 1200, 150), call("planner", 1040, 40),
             call("grounder", 1240, 40), call("planner", 1080, 40)]
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
        "header": {"command": "python -m benchmarks.agent_vs_llama", "model": "m", "threads": 1,
                   "llama_cpp_python": "0", "machine_start": "cpu, load average 1.00",
                   "machine_end": "cpu, load average 2.00"},
        "iterative": {"summaries": {"agent": agent, "raw llama.cpp": raw, "no prefix reuse": agent,
                                    "constrained": agent}},
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
