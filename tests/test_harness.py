import json

from fakes import ScriptedModels, scripted

from evaluation import harness
from graphs import onetime
from nodes.context import Context


def write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_loaders_read_gsm8k_and_svamp_shapes(tmp_path):
    gsm = write(tmp_path / "g.jsonl", [{"id": "g1", "question": "Q?", "answer": "work\n#### 1,200"}])
    svamp = write(
        tmp_path / "s.jsonl", [{"id": "s1", "body": "Body.", "question": "How many?", "answer": 27.0}]
    )
    assert harness.load_maths(gsm) == [{"id": "g1", "task": "Q?", "gold": "1200"}]
    assert harness.load_maths(svamp) == [{"id": "s1", "task": "Body. How many?", "gold": "27"}]


class Exploding:
    """A graph whose second invocation raises, to check one failure never aborts a run."""

    def __init__(self, graph):
        self.graph, self.calls = graph, 0

    def invoke(self, *args, **kwargs):
        self.calls += 1
        if self.calls == 2:
            raise RuntimeError("model server vanished")
        return self.graph.invoke(*args, **kwargs)


def test_run_records_errors_resumes_and_summarizes(tmp_path):
    examples = [{"id": str(k), "task": f"{k} + {k}?", "gold": str(2 * k)} for k in range(1, 4)]
    models = ScriptedModels(
        scripted("Subgoal 1: Add.", "Subgoal 1: Add."),
        scripted("R1 = Calculator(1 + 1)", "R1 = Calculator(3 + 4)"),
    )
    graph = Exploding(onetime.build(models=models).compile())
    out = tmp_path / "runs" / "t.jsonl"
    rows = list(harness.run(graph, examples, Context(), out))  # type: ignore[arg-type]
    assert [r["correct"] for r in rows] == [True, False, False]
    assert rows[1]["error"] == "RuntimeError: model server vanished" and not rows[1]["well_formed"]
    assert rows[2]["prediction"] == "7" and rows[2]["well_formed"]
    assert list(harness.run(graph, examples, Context(), out)) == []  # everything done: resume skips all
    summary = harness.summarize(out)
    assert (
        summary["examples"] == 3 and summary["accuracy_strict"] == 1 / 3 and summary["well_formed"] == 2 / 3
    )
