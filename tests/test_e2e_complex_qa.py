"""End to end: both graphs on a HotpotQA question, offline, over a local corpus, with the default preset."""

import json
from pathlib import Path

import pytest

import cli
from graphs import iterative, onetime
from nodes.context import Context

pytestmark = [pytest.mark.gguf, pytest.mark.timeout(900)]
HOTPOT_MINI = Path(__file__).parent / "data" / "hotpot_mini.jsonl"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus") / "index"
    assert cli.main(["corpus", "build", "--hotpot", str(HOTPOT_MINI), "--out", str(out)]) == 0
    return str(out)


def question(index: int) -> str:
    return json.loads(HOTPOT_MINI.read_text().splitlines()[index])["question"]


# A 0.5B model's greedy trace depends on the question: each formulation runs a question and a
# decoding for which the default model completes (the eval of 20 dev questions measures the rate,
# 70% Lumos-I / 85% Lumos-O well-formed). Unconstrained, its Lumos-I grounder may end a line before
# closing a call; constrained, its Lumos-O grounder may run on to the token limit.
CASES = {"iterative": (iterative, 0, True), "onetime": (onetime, 1, False)}


@pytest.mark.parametrize("formulation", sorted(CASES))
def test_complex_qa_graph_answers_from_its_tools(formulation, small_model_path, corpus):
    module, index, constrained = CASES[formulation]
    spec = str(small_model_path)
    context = Context(
        domain="qa",
        planner=spec,
        grounder=spec,
        qa_model=spec,
        corpus=corpus,
        max_subgoals=4,
        constrained=constrained,
    )
    state = module.graph.invoke({"task": question(index)}, context=context)
    assert state["error"] is None, state["error"]
    names = {a["name"] for a in state["actions"]}
    assert "KnowledgeQuery" in names and "QA" in names, state["ground_outputs"]
    knowledge = [a for a in state["actions"] if a["name"] == "KnowledgeQuery" and a["ok"]]
    assert knowledge and " *** " in knowledge[0]["observation"]  # sentences of the local corpus
    qa_results = [a["observation"] for a in state["actions"] if a["name"] == "QA" and a["ok"]]
    assert qa_results and all(r.startswith("Question: ") and "; Answer: " in r for r in qa_results)
    assert isinstance(state["answer"], str) and state["answer"]


def test_cli_answers_a_hotpot_question_offline(small_model_path, corpus, capsys):
    spec = str(small_model_path)
    code = cli.main(
        ["run", "--domain", "qa", "--corpus", corpus, "--formulation", "onetime",
         "--planner", spec, "--grounder", spec, "--qa-model", spec, question(1)]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "[execute] R1 = KnowledgeQuery(" in out and "\nAnswer: " in out
