"""End to end: `lumos eval` and `lumos report` on two GSM8K problems with a real registry GGUF.

SmolLM2-135M cannot follow the Lumos protocol, so this checks the plumbing, not the accuracy:
real llama.cpp calls, token counts from the model layer, one trace row per example whatever
happens, resume, the summary, and the report's table and chart.
"""

import json

import pytest

import cli
from evaluation import harness

pytestmark = [pytest.mark.gguf, pytest.mark.timeout(600)]
PROBLEMS = [
    {
        "id": "p1",
        "question": "Tom has 3 boxes of 12 pens and gives away 7. How many pens are left?",
        "answer": "#### 29",
    },
    {
        "id": "p2",
        "question": "A shop sells 1,200 apples a day. How many apples does it sell in 2 days?",
        "answer": "#### 2,400",
    },
]


def test_eval_and_report_on_a_real_gguf(smollm2_path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "dev.jsonl"
    data.write_text("".join(json.dumps(p) + "\n" for p in PROBLEMS))
    budget = ["--limit", "2", "--shots", "1", "--max-new-tokens", "48", "--max-subgoals", "3"]
    label = smollm2_path.stem
    for formulation in ("onetime", "direct"):
        argv = [
            "eval",
            "gsm8k",
            "--data",
            str(data),
            "--formulation",
            formulation,
            "--model",
            str(smollm2_path),
        ]
        assert cli.main([*argv, *budget]) == 0
        out = tmp_path / "runs" / f"gsm8k-{formulation}-{label}.jsonl"
        rows = harness.read_trace(out)
        assert [r["id"] for r in rows] == ["p1", "p2"] and [r["gold"] for r in rows] == ["29", "2400"]
        for row in rows:
            assert isinstance(row["correct"], bool) and isinstance(row["correct_numeric"], bool)
            assert row["prompt_tokens"] > 0 and row["generated_tokens"] > 0  # counted from usage_metadata
            assert row["seconds"] > 0 and row["model_calls"] >= 1
            assert row["prediction"] is not None or row["error"]  # a failure is recorded, never raised
        summary = json.loads(harness.summary_path(out).read_text())
        assert summary["examples"] == 2 and summary["command"].startswith(f"lumos eval gsm8k --data {data}")
        assert cli.main([*argv, *budget]) == 0  # resumed: nothing left to run
        assert len(harness.read_trace(out)) == 2
    runs = sorted(str(p) for p in (tmp_path / "runs").glob("*.summary.json"))
    assert cli.main(["report", *runs, "--out", "docs/results.md", "--chart", "docs/results.png"]) == 0
    table = (tmp_path / "docs" / "results.md").read_text()
    budget_label = "(shots 1, max subgoals 3, max new tokens 48)"  # settings that differ from the defaults
    assert (
        f"| {label} | Lumos-O {budget_label} |" in table and f"| {label} | Direct {budget_label} |" in table
    )
    assert (tmp_path / "docs" / "results.png").read_bytes()[:4] == b"\x89PNG"
