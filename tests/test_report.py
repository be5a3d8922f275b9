import json

import pytest

import cli
from evaluation import report


def summary(benchmark, formulation, model, metrics, **extra):
    primary = {"gsm8k": "accuracy_strict", "svamp": "accuracy_strict", "strategyqa": "accuracy"}
    return {
        "benchmark": benchmark,
        "formulation": formulation,
        "model": model,
        "examples": 100,
        "primary": primary.get(benchmark, "em"),
        "metrics": metrics,
        "well_formed": None if formulation in ("cot", "direct") else 0.9,
        "errors": 3,
        "seconds_per_example": 12.345,
        "prompt_tokens_per_example": 1500.4,
        "generated_tokens_per_example": 80.6,
        "command": f"lumos eval {benchmark} --data d.jsonl --formulation {formulation} --model {model}",
    } | extra


RUNS = [
    summary("gsm8k", "cot", "small", {"accuracy_strict": 0.25, "accuracy_numeric": 0.3}),
    summary("gsm8k", "iterative", "small", {"accuracy_strict": 0.1, "accuracy_numeric": 0.125}),
    summary("hotpotqa", "iterative", "small", {"em": 0.2, "f1": 0.3333}, examples=20),
    summary("strategyqa", "iterative", "big", {"accuracy": 0.55}),
]


def test_comparison_has_one_row_per_model_and_formulation_and_one_column_per_benchmark():
    table = report.comparison(RUNS).splitlines()
    assert table[0] == (
        "| model | formulation | GSM8K (strict / numeric), n=100 | StrategyQA (acc), n=100 | HotpotQA (EM / F1), n=20 |"
    )
    assert table[2:] == [
        "| small | Lumos-I | 10.0 / 12.5 |  | 20.0 / 33.3 |",  # Lumos-I before CoT, as the paper orders them
        "| small | CoT | 25.0 / 30.0 |  |  |",
        "| big | Lumos-I |  | 55.0 |  |",
    ]


def test_details_list_every_run_with_cost_and_command():
    rows = report.details(RUNS).splitlines()
    assert len(rows) == 2 + len(RUNS)
    assert rows[2] == (
        "| GSM8K | Lumos-I | small | 100 | strict 10.0, numeric 12.5 | 90.0 | 3 | 12.3 | 1500 / 81 "
        "| `lumos eval gsm8k --data d.jsonl --formulation iterative --model small` |"
    )
    assert "| GSM8K | CoT | small | 100 | strict 25.0, numeric 30.0 | n/a |" in rows[3]


def test_markdown_links_the_chart_and_shows_llm_accuracy_when_judged():
    judged = summary("hotpotqa", "onetime", "small", {"em": 0.5, "f1": 0.5, "llm_accuracy": 0.75})
    text = report.markdown([judged], chart="results.png")
    assert "HotpotQA (EM / F1 / LLM acc), n=100" in text and "| 50.0 / 50.0 / 75.0 |" in text
    assert "![results](results.png)" in text


def test_chart_is_a_png(tmp_path):
    path = tmp_path / "docs" / "results.png"
    report.chart(RUNS, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_report_reads_summaries_or_traces_and_writes_table_and_chart(tmp_path, capsys):
    paths = []
    for k, run in enumerate(RUNS):
        path = tmp_path / "runs" / f"r{k}.summary.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(run))
        paths.append(str(path) if k else str(tmp_path / "runs" / "r0.jsonl"))  # a trace names its summary
    out, chart = tmp_path / "docs" / "results.md", tmp_path / "docs" / "results.png"
    assert cli.main(["report", *paths, "--out", str(out), "--chart", str(chart)]) == 0
    assert "![results](results.png)" in out.read_text() and chart.exists()
    assert cli.main(["report", paths[1]]) == 0
    assert "| small | Lumos-I | 10.0 / 12.5 |" in capsys.readouterr().out
    assert cli.main(["report", str(tmp_path / "missing.jsonl")]) == 2


def test_cli_report_skips_a_run_with_no_examples_and_says_so(tmp_path, capsys):
    empty, done = tmp_path / "empty.summary.json", tmp_path / "done.summary.json"
    empty.write_text(json.dumps(summary("gsm8k", "direct", "small", {}, examples=0)))
    done.write_text(json.dumps(RUNS[0]))
    assert cli.main(["report", str(empty), str(done)]) == 0
    printed = capsys.readouterr()
    assert "Direct" not in printed.out and "| small | CoT |" in printed.out
    assert f"skipping {empty}: no examples evaluated yet" in printed.err
    assert cli.main(["report", str(empty)]) == 2
    assert "none of the runs has evaluated examples" in capsys.readouterr().err


@pytest.mark.parametrize(("value", "text"), [(None, "–"), (0.0, "0.0"), (0.12345, "12.3"), (1.0, "100.0")])
def test_pct(value, text):
    assert report.pct(value) == text


def test_runs_with_other_settings_get_their_own_rows_named_by_what_differs():
    config = {"data": "/d/dev.jsonl", "seed": None, "shots": 4, "domain": "maths", "planner": "m"}
    runs = [
        summary("gsm8k", "onetime", "small", {"accuracy_strict": 0.14}, config=config),
        summary("gsm8k", "onetime", "small", {"accuracy_strict": 0.2}, config=config | {"votes": 5}),
        summary(
            "gsm8k",
            "onetime",
            "small",
            {"accuracy_strict": 0.05},
            config=config | {"exemplars": "/x/pool.jsonl", "selection": "similar", "constrained": False},
        ),
    ]
    rows = report.comparison(runs).splitlines()[2:]
    assert rows == [
        "| small | Lumos-O | 14.0 |",
        "| small | Lumos-O (exemplars pool.jsonl, selection similar, no constrained) | 5.0 |",
        "| small | Lumos-O (votes 5) | 20.0 |",
    ]
    assert report.label(runs[1]) == "Lumos-O (votes 5)"
    web = config | {"domain": "web"}  # unset shots show the domain's own count: web's is 6
    assert report.label(summary("miniwob", "onetime", "small", {}, config=web)) == "Lumos-O (shots 4)"
    assert report.label(summary("miniwob", "onetime", "small", {}, config=web | {"shots": None})) == "Lumos-O"


def test_a_rebuilt_summary_is_marked_and_its_provenance_printed_once():
    note = "rebuilt from an older table; the trace was not kept"
    rebuilt = [
        summary("gsm8k", "cot", "small", {"accuracy_strict": 0.25, "accuracy_numeric": 0.3}, provenance=note),
        summary("svamp", "cot", "small", {"accuracy_strict": 0.5, "accuracy_numeric": 0.5}, provenance=note),
        summary("gsm8k", "iterative", "small", {"accuracy_strict": 0.1, "accuracy_numeric": 0.125}),
    ]
    text = report.markdown(rebuilt)
    assert "| GSM8K | CoT | small | 100 † |" in text
    assert "| GSM8K | Lumos-I | small | 100 |" in text
    assert text.count(note) == 1 and text.rstrip().endswith(f"† {note}")
