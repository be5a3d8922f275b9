import json
import re
import threading
import time
from pathlib import Path

import pytest
from fakes import ScriptedModels, scripted, scripted_with_usage
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from evaluation import benchmarks, harness
from evaluation.benchmarks import Example
from graphs import baselines, onetime
from nodes.context import Context

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_loaders_read_every_shape(tmp_path):
    gsm = write(tmp_path / "g.jsonl", [{"id": "g1", "question": "Q?", "answer": "work\n#### 1,200"}])
    svamp = write(
        tmp_path / "s.jsonl", [{"id": "s1", "body": "Body.", "question": "How many?", "answer": 27.0}]
    )
    sqa = write(tmp_path / "q.jsonl", [{"id": "q1", "question": "Is it?", "answer": False}])
    hotpot = write(
        tmp_path / "h.jsonl", [{"id": "h1", "question": "Who?", "answer": "Ann", "type": "bridge"}]
    )
    assert benchmarks.load(gsm) == ("gsm8k", [{"id": "g1", "task": "Q?", "gold": "1200"}])
    assert benchmarks.load(svamp) == ("svamp", [{"id": "s1", "task": "Body. How many?", "gold": "27"}])
    assert benchmarks.load(sqa) == ("strategyqa", [{"id": "q1", "task": "Is it?", "gold": "false"}])
    assert benchmarks.load(hotpot) == ("hotpotqa", [{"id": "h1", "task": "Who?", "gold": "Ann"}])


def test_loader_takes_the_benchmark_when_told_and_names_bad_lines(tmp_path):
    plain = write(tmp_path / "p.jsonl", [{"question": "Q?", "answer": "7"}])
    assert benchmarks.load(plain, "gsm8k") == ("gsm8k", [{"id": "1", "task": "Q?", "gold": "7"}])  # id = line
    assert benchmarks.load(plain)[0] == "hotpotqa"  # a string answer without "####" is a QA answer
    broken = tmp_path / "b.jsonl"
    broken.write_text('{"question": "Q?", "answer": true}\nnot json\n')
    with pytest.raises(ValueError, match=r"b\.jsonl:2"):
        benchmarks.load(broken)
    with pytest.raises(ValueError, match="not a svamp example"):
        benchmarks.load(plain, "svamp")
    twice = write(tmp_path / "t.jsonl", [{"id": 1, "question": "Q", "answer": True}] * 2)
    with pytest.raises(ValueError, match="duplicate id"):
        benchmarks.load(twice)


@pytest.mark.skipif(not DATA.exists(), reason="../shared/data is not here")
@pytest.mark.parametrize(
    ("path", "benchmark", "count"),
    [
        ("gsm8k/dev.jsonl", "gsm8k", 100),
        ("svamp/dev.jsonl", "svamp", 100),
        ("strategyqa/dev.jsonl", "strategyqa", 100),
        ("hotpotqa/distractor_dev.jsonl", "hotpotqa", 20),
        ("hotpotqa/dev_questions.jsonl", "hotpotqa", 200),
    ],
)
def test_the_shared_dev_slices_load_as_their_benchmark(path, benchmark, count):
    found, examples = benchmarks.load(DATA / path)
    assert found == benchmark and len(examples) == count
    assert all(e["task"] and e["gold"] for e in examples)
    if benchmark in ("gsm8k", "svamp"):
        assert all(re.fullmatch(r"-?\d+(\.\d+)?", e["gold"]) for e in examples)
    if benchmark == "strategyqa":
        assert {e["gold"] for e in examples} == {"true", "false"}


@pytest.mark.parametrize(
    ("benchmark", "prediction", "gold", "fields"),
    [
        ("gsm8k", "72.0", "72", {"correct": False, "correct_numeric": True}),
        ("svamp", "27", "27", {"correct": True, "correct_numeric": True}),
        ("strategyqa", "Yes.", "true", {"correct": True}),
        ("strategyqa", None, "false", {"correct": True}),  # Lumos: no "yes" means false
        ("hotpotqa", "The Beatles", "Beatles", {"correct": True, "f1": 1.0}),
        ("hotpotqa", "true", "yes", {"correct": True, "f1": 1.0}),  # Lumos maps true/false to yes/no
        ("hotpotqa", "Barack Obama Jr.", "Barack Obama", {"correct": False, "f1": pytest.approx(0.8)}),
    ],
)
def test_score_per_benchmark(benchmark, prediction, gold, fields):
    assert benchmarks.score(benchmark, prediction, Example(id="1", task="t", gold=gold)) == fields


class Exploding:
    """A graph whose second invocation raises, to check one failure never aborts a run."""

    def __init__(self, graph):
        self.graph, self.calls = graph, 0

    def invoke(self, *args, **kwargs):
        self.calls += 1
        if self.calls == 2:
            raise RuntimeError("model server vanished")
        return self.graph.invoke(*args, **kwargs)


def test_run_records_errors_tokens_and_traces_resumes_and_summarizes(tmp_path):
    examples = [{"id": str(k), "task": f"{k} + {k}?", "gold": str(2 * k)} for k in range(1, 4)]
    models = ScriptedModels(
        scripted_with_usage("Subgoal 1: Add.", "Subgoal 1: Add.", prompt_tokens=100),
        scripted_with_usage("R1 = Calculator(1 + 1)", "R1 = Calculator(3 + 4)", prompt_tokens=50),
    )
    graph = Exploding(onetime.build(models=models).compile())
    out = tmp_path / "runs" / "t.jsonl"
    rows = list(harness.run(graph, examples, Context(), out))  # type: ignore[arg-type]
    assert [r["correct"] for r in rows] == [True, False, False]
    assert rows[1]["error"] == "RuntimeError: model server vanished" and not rows[1]["well_formed"]
    assert rows[2]["prediction"] == "7" and rows[2]["well_formed"] and rows[2]["correct_numeric"] is False
    first = rows[0]
    assert (first["prompt_tokens"], first["generated_tokens"]) == (
        150,
        3 + 5,
    )  # both calls (words), via the callback
    assert rows[1]["prompt_tokens"] == 0  # the graph never ran
    assert (
        first["subgoals"] == ["Add."]
        and first["model_calls"] == 2
        and first["stop_reason"] == "plan_executed"
    )
    assert first["actions"][0]["observation"] == "2" and first["seconds"] >= 0
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["1", "2", "3"]
    assert list(harness.run(graph, examples, Context(), out)) == []  # everything done: resume skips all
    summary = harness.summarize(out, "gsm8k", "onetime")
    assert summary["examples"] == 3 and summary["errors"] == 1
    assert summary["metrics"] == {"accuracy_strict": 1 / 3, "accuracy_numeric": 1 / 3}
    assert summary["well_formed"] == 2 / 3 and summary["primary"] == "accuracy_strict"
    assert summary["prompt_tokens_per_example"] == (150 + 0 + 150) / 3


def test_resume_skips_done_ids_and_survives_a_line_cut_short(tmp_path):
    out = tmp_path / "t.jsonl"
    out.write_text(json.dumps({"id": "1", "correct": True}) + '\n{"id": "2", "corr')  # killed mid-write
    models = ScriptedModels(scripted("The answer is 4.", "The answer is 7."), scripted())
    graph = baselines.build("cot", models=models, domains={"maths"}).compile()
    examples = [{"id": str(k), "task": f"{k} + {k}?", "gold": str(2 * k)} for k in (1, 2, 3)]
    rows = list(harness.run(graph, examples, Context(), out))
    assert [r["id"] for r in rows] == ["2", "3"] and [r["correct"] for r in rows] == [True, False]
    assert [r["id"] for r in harness.read_trace(out)] == ["1", "2", "3"]
    summary = harness.summarize(out, "gsm8k", "cot")
    assert summary["well_formed"] is None and summary["metrics"]["accuracy_strict"] == 2 / 3


class Doubler(BaseChatModel):
    """Answers twice the first number of the question, slowly, from any thread; counts its parallelism."""

    active: int = 0
    peak: int = 0

    @property
    def _llm_type(self) -> str:
        return "doubler"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        lock = _LOCK
        with lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(0.05)
        with lock:
            self.active -= 1
        n = int(re.findall(r"\d+", str(messages[-1].content))[0])
        usage = {"input_tokens": n, "output_tokens": 1, "total_tokens": n + 1}
        message = AIMessage(content=f"The answer is {2 * n}.", usage_metadata=usage)
        return ChatResult(generations=[ChatGeneration(message=message)])


_LOCK = threading.Lock()


class OneModel:
    def __init__(self, model):
        self.model = model

    def chat(self, spec, *, role, prompt_format, max_tokens):
        return self.model


def test_concurrent_run_writes_every_example_once_with_its_own_token_counts(tmp_path):
    model = Doubler()
    graph = baselines.build("cot", models=OneModel(model), domains={"maths"}).compile()
    examples = [{"id": str(k), "task": f"What is {k} doubled?", "gold": str(2 * k)} for k in range(1, 9)]
    out = tmp_path / "c.jsonl"
    rows = list(harness.run(graph, examples, Context(), out, concurrency=4))
    assert model.peak > 1  # examples really ran side by side
    assert sorted(r["id"] for r in rows) == sorted(e["id"] for e in examples)
    assert all(r["correct"] for r in rows)
    assert all(r["prompt_tokens"] == int(r["id"]) for r in rows)  # no example counted another's tokens
    assert len(harness.read_trace(out)) == 8


def test_judge_verdicts_are_recorded_and_averaged_over_judged_examples(tmp_path):
    models = ScriptedModels(scripted("Ann", "Bob"), scripted())
    graph = baselines.build("direct", models=models, domains={"complex_qa"}).compile()
    examples = [
        {"id": "1", "task": "Who?", "gold": "Ann"},
        {"id": "2", "task": "Who else?", "gold": "Robert"},
    ]
    asked = []

    def judge(question, prediction, gold):
        asked.append((question, prediction, gold))
        return prediction == "Bob"  # a lenient judge: Bob is Robert

    out = tmp_path / "h.jsonl"
    context = Context(domain="complex_qa")
    rows = list(harness.run(graph, examples, context, out, benchmark="hotpotqa", judge=judge))
    assert asked == [("Who?", "Ann", "Ann"), ("Who else?", "Bob", "Robert")]
    assert [(r["correct"], r["llm_correct"]) for r in rows] == [(True, False), (False, True)]
    summary = harness.summarize(out, "hotpotqa", "direct")
    assert summary["metrics"] == {"em": 0.5, "f1": 0.5, "llm_accuracy": 0.5} and summary["judged"] == 2


def test_evaluate_writes_summary_and_table_and_refuses_other_settings(tmp_path):
    models = ScriptedModels(scripted("The answer is 2."), scripted())
    graph = baselines.build("cot", models=models, domains={"maths"}).compile()
    out = tmp_path / "runs" / "gsm8k-cot-fake.jsonl"
    info = {
        "benchmark": "gsm8k",
        "formulation": "cot",
        "model": "fake",
        "command": "lumos eval ...",
        "config": {"a": 1},
    }
    summary = harness.evaluate(graph, [{"id": "1", "task": "1 + 1?", "gold": "2"}], Context(), out, info)
    assert summary["metrics"]["accuracy_strict"] == 1.0 and summary["model"] == "fake"
    assert json.loads(harness.summary_path(out).read_text()) == summary
    assert "| fake | CoT | 100.0 / 100.0 |" in harness.markdown_path(out).read_text()
    with pytest.raises(ValueError, match=r"other settings \(a differ\)"):
        harness.evaluate(graph, [], Context(), out, info | {"config": {"a": 2}})


class Recorder:
    """A stand-in compiled graph: answers every task the same way and keeps the contexts it was run with."""

    def __init__(self, answer):
        self.answer, self.contexts, self.configs = answer, [], []

    def invoke(self, task, config, *, context):
        self.contexts.append(context)
        self.configs.append(config)
        return {"answer": self.answer, "error": None, "model_calls": 1, "stop_reason": "plan_executed"}


@pytest.fixture
def recorder(monkeypatch, tmp_path):
    graph = Recorder("2")
    monkeypatch.setattr("graphs.pipeline.Pipelines.graph", lambda self, name: graph)
    monkeypatch.chdir(tmp_path)
    return graph


def test_cli_eval_names_its_run_records_the_command_and_resumes(recorder, tmp_path, capsys):
    import cli

    data = write(
        tmp_path / "dev.jsonl", [{"id": f"g{k}", "question": "Q?", "answer": "#### 2"} for k in range(4)]
    )
    argv = [
        "eval",
        "gsm8k",
        "--data",
        str(data),
        "--formulation",
        "cot",
        "--model",
        "tiny.gguf",
        "--limit",
        "2",
    ]
    assert cli.main(argv) == 0
    out = tmp_path / "runs" / "gsm8k-cot-tiny.jsonl"
    summary = json.loads((tmp_path / "runs" / "gsm8k-cot-tiny.summary.json").read_text())
    assert (
        summary["command"] == f"lumos eval gsm8k --data {data} --formulation cot --model tiny.gguf --limit 2"
    )
    assert summary["examples"] == 2 and summary["metrics"]["accuracy_strict"] == 1.0
    assert (tmp_path / "runs" / "gsm8k-cot-tiny.md").exists()
    context = recorder.contexts[0]
    assert (context.planner, context.grounder, context.domain) == ("tiny.gguf", "tiny.gguf", "maths")
    assert cli.main([*argv[:-1], "3"]) == 0  # a larger limit only runs the new example
    assert len(recorder.contexts) == 3 and len(harness.read_trace(out)) == 3
    assert cli.main([*argv, "--shots", "2"]) == 2  # other settings never resume into the same trace
    assert "shots differ" in capsys.readouterr().err


def test_cli_eval_detects_the_benchmark_and_seeds_a_subset(recorder, tmp_path):
    import cli

    data = write(
        tmp_path / "s.jsonl", [{"id": f"q{k}", "question": "Q?", "answer": k % 2 == 0} for k in range(10)]
    )
    assert (
        cli.main(["eval", "--data", str(data), "--formulation", "direct", "--limit", "3", "--seed", "7"]) == 0
    )
    runs = list((tmp_path / "runs").glob("strategyqa-direct-*-s.jsonl"))
    ids = [r["id"] for r in harness.read_trace(runs[0])]
    assert len(ids) == 3 and ids != ["q0", "q1", "q2"]  # a seeded shuffle, not the first three
    context = recorder.contexts[0]
    assert context.domain == "complex_qa" and getattr(context, "yes_no", True)


@pytest.mark.skipif(not DATA.exists(), reason="../shared/data is not here")
def test_cli_eval_hotpotqa_distractor_builds_its_corpus_from_the_file(recorder, tmp_path):
    import cli

    data = DATA / "hotpotqa" / "distractor_dev.jsonl"
    assert cli.main(["eval", "hotpotqa", "--data", str(data), "--formulation", "cot", "--limit", "1"]) == 0
    corpus = tmp_path / "runs" / "distractor_dev.corpus.jsonl"
    titles = [json.loads(line)["title"] for line in corpus.read_text().splitlines()]
    assert "Local H" in titles and len(titles) == len(set(titles))
    context = recorder.contexts[0]
    assert context.domain == "complex_qa"
    if hasattr(context, "corpus"):
        assert context.corpus == str(Path("runs") / "distractor_dev.corpus.jsonl")


def test_command_line_writes_what_differs_from_the_defaults():
    from evaluation import runs

    defaults = {
        "data": "d",
        "formulation": "iterative",
        "planner": "p",
        "grounder": "p",
        "qa_model": "p",
        "shots": 4,
        "constrained": True,
        "yes_no": False,
        "limit": None,
        "domain": "maths",
        "func": print,
    }
    same = defaults | {"formulation": "cot", "shots": 2, "constrained": False, "limit": 5, "domain": "qa"}
    assert runs.command_line("gsm8k", same, defaults) == (
        "lumos eval gsm8k --data d --formulation cot --model p --shots 2 --no-constrained --limit 5"
    )
    mixed = defaults | {"grounder": "g", "yes_no": True, "data": "my data.jsonl"}
    assert runs.command_line("strategyqa", mixed, defaults) == (
        "lumos eval strategyqa --data 'my data.jsonl' --formulation iterative "
        "--planner p --grounder g --qa-model p --yes-no"
    )


@pytest.mark.parametrize(
    ("benchmark", "data", "profile", "name"),
    [
        ("gsm8k", "x/dev.jsonl", "instruct", "gsm8k-cot-m.jsonl"),
        ("hotpotqa", "x/distractor_dev.jsonl", "instruct", "hotpotqa-cot-m-distractor_dev.jsonl"),
        ("svamp", "x/dev.jsonl", "lumos", "svamp-cot-m-lumos.jsonl"),
    ],
)
def test_default_out_names(benchmark, data, profile, name):
    from evaluation import runs

    assert runs.default_out(benchmark, "cot", "m", Path(data), profile) == Path("runs") / name
    assert runs.run_label("a/b/tiny.gguf", "tiny.gguf") == "tiny" and runs.run_label("p", "g") == "p+g"


def test_a_setting_added_since_the_run_started_resumes_at_its_default(tmp_path):
    from evaluation.harness import check_resumable, summary_path

    out = tmp_path / "run.jsonl"
    out.write_text("")
    summary_path(out).write_text(json.dumps({"config": {"shots": 4}}))
    check_resumable(out, {"shots": 4, "selection": "fixed"})  # new field, default value: same run
    with pytest.raises(ValueError, match=r"selection differ"):
        check_resumable(out, {"shots": 4, "selection": "similar"})


def test_a_summary_lists_every_code_version_that_wrote_its_rows(tmp_path):
    models = ScriptedModels(scripted("The answer is 2."), scripted("The answer is 2."))
    graph = baselines.build("cot", models=models, domains={"maths"}).compile()
    out = tmp_path / "gsm8k-cot-fake.jsonl"
    info = {"benchmark": "gsm8k", "formulation": "cot", "model": "fake", "command": "c", "config": {}}
    first = harness.evaluate(
        graph, [{"id": "1", "task": "1 + 1?", "gold": "2"}], Context(), out, info | {"code": ["aaa"]}
    )
    assert first["code"] == ["aaa"]
    examples = [{"id": str(k), "task": "1 + 1?", "gold": "2"} for k in (1, 2)]
    resumed = harness.evaluate(graph, examples, Context(), out, info | {"code": ["bbb+dirty"]})
    assert resumed["code"] == ["aaa", "bbb+dirty"] and resumed["examples"] == 2
    again = harness.evaluate(graph, examples, Context(), out, info | {"code": ["bbb+dirty"]})
    assert again["code"] == ["aaa", "bbb+dirty"]


def test_code_version_is_this_checkouts_commit_or_none_without_git(monkeypatch):
    import subprocess

    from evaluation import runs

    head = subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, check=True
    )
    assert runs.code_version().split("+")[0] == head.stdout.strip()
    monkeypatch.setenv("PATH", "/nonexistent")  # no git to ask
    assert runs.code_version() is None


def test_cli_eval_records_the_code_version(recorder, tmp_path, monkeypatch):
    import cli

    monkeypatch.setattr("evaluation.runs.code_version", lambda: "0123456789ab")
    data = write(tmp_path / "dev.jsonl", [{"id": "g", "question": "Q?", "answer": "#### 2"}])
    assert cli.main(["eval", "--data", str(data), "--formulation", "cot", "--model", "tiny.gguf"]) == 0
    summary = json.loads((tmp_path / "runs" / "gsm8k-cot-tiny.summary.json").read_text())
    assert summary["code"] == ["0123456789ab"]
