"""Human review of the plan: approve, edit or reject after planning, in-process and on the terminal."""

import io

import pytest
from clifakes import serve_graphs
from fakes import ScriptedModels, scripted
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from test_graphs import TASK, TOOLS

import cli
from graphs import iterative, onetime
from nodes.context import Context

REVIEW = Context(review_plan=True)


def reviewed(graph_module, planner, grounder):
    models = ScriptedModels(planner, grounder)
    graph = graph_module.build(models=models, tools=TOOLS).compile(checkpointer=InMemorySaver())
    return graph, {"configurable": {"thread_id": "t"}}


def test_onetime_pauses_after_the_plan_and_approval_runs_it():
    graph, config = reviewed(
        onetime,
        scripted("Subgoal 1: Clips in May. Subgoal 2: Total."),
        scripted("R1 = Calculator(48 / 2); R2 = Calculator(48 + R1)"),
    )
    paused = graph.invoke({"task": TASK}, config, context=REVIEW)
    (request,) = paused["__interrupt__"]
    assert request.value["subgoals"] == ["Clips in May.", "Total."] and request.value["first"] == 1
    assert request.value["formulation"] == "onetime" and request.value["task"] == TASK
    assert graph.get_state(config).next == ("review",)
    state = graph.invoke(Command(resume="approve"), config, context=REVIEW)
    assert state["answer"] == "72"
    assert state["reviews"] == [{"first": 1, "decision": "approve", "subgoals": ["Clips in May.", "Total."]}]


def test_onetime_edit_replaces_the_plan_the_grounder_sees():
    grounder = scripted("R1 = Calculator(48 / 2); R2 = Calculator(48 + R1)")
    graph, config = reviewed(onetime, scripted("Subgoal 1: Count clips."), grounder)
    graph.invoke({"task": TASK}, config, context=REVIEW)
    edit = {"action": "edit", "subgoals": ["Subgoal 1: Clips in May.", "Total."]}
    state = graph.invoke(Command(resume=edit), config, context=REVIEW)
    assert state["subgoals"] == ["Clips in May.", "Total."]  # the "Subgoal k:" prefix is optional
    assert state["plan_outputs"] == ["Subgoal 1: Count clips."]  # the planner's own words stay in the trace
    assert "Subgoal 2: Total." in grounder.prompts[0][-1].content
    assert state["reviews"][0]["decision"] == "edit" and state["answer"] == "72"


def test_reject_ends_the_run_without_grounding():
    graph, config = reviewed(
        onetime, scripted("Subgoal 1: Guess."), scripted()
    )  # the grounder has no replies
    graph.invoke({"task": TASK}, config, context=REVIEW)
    state = graph.invoke(Command(resume={"action": "reject", "reason": "guessing"}), config, context=REVIEW)
    assert state["error"] == "the reviewer rejected the plan: guessing"
    assert state["answer"] is None and state["stop_reason"] == "error" and state["actions"] == []


def test_iterative_reviews_each_subgoal_and_an_edit_reaches_the_planner():
    planner = scripted(
        "Subgoal 1: Clips in May.",
        "No, I will keep planning. Subgoal 2: Guess.",
        "Yes, I will stop planning.",
    )
    graph, config = reviewed(
        iterative, planner, scripted("R1 = Calculator(48 / 2)", "R2 = Calculator(48 + R1)")
    )
    first = graph.invoke({"task": TASK}, config, context=REVIEW)["__interrupt__"][0].value
    assert (first["first"], first["subgoals"]) == (1, ["Clips in May."])
    second = graph.invoke(Command(resume=True), config, context=REVIEW)["__interrupt__"][0].value
    assert (second["first"], second["subgoals"], second["plan"]) == (
        2,
        ["Guess."],
        ["Clips in May.", "Guess."],
    )
    state = graph.invoke(Command(resume={"action": "edit", "subgoal": "Total."}), config, context=REVIEW)
    assert state["subgoals"] == ["Clips in May.", "Total."] and state["answer"] == "72"
    assert planner.prompts[2][-2].content == "Subgoal 2: Total."  # the planner continues from the edit
    assert [r["decision"] for r in state["reviews"]] == ["approve", "edit"]


def test_no_review_unless_the_context_asks():
    graph, config = reviewed(onetime, scripted("Subgoal 1: Add."), scripted("R1 = Calculator(2 + 3)"))
    state = graph.invoke({"task": "2+3?"}, config, context=Context())
    assert "__interrupt__" not in state and state["reviews"] == [] and state["answer"] == "5"


@pytest.mark.parametrize(
    "decision, message",
    [
        ("maybe", "approve, edit or reject"),
        ({"action": "edit", "subgoals": []}, "at least one subgoal"),
        ({"action": "edit", "subgoals": ["A.", "B."]}, "one subgoal at a time"),
        ({"action": "edit", "subgoals": [3]}, "list of subgoal strings"),
    ],
)
def test_an_invalid_decision_is_asked_again_with_the_reason(decision, message):
    planner = scripted("Subgoal 1: Add.", "Yes, I will stop planning.")
    graph, config = reviewed(iterative, planner, scripted("R1 = Calculator(2 + 3)"))
    graph.invoke({"task": "2+3?"}, config, context=REVIEW)
    again = graph.invoke(Command(resume=decision), config, context=REVIEW)["__interrupt__"][0].value
    assert message in again["problem"] and again["subgoals"] == ["Add."]
    assert graph.get_state(config).next == ("review",)
    assert graph.invoke(Command(resume="a"), config, context=REVIEW)["answer"] == "5"


def onetime_fake(
    plan="Subgoal 1: Count clips.", grounding="R1 = Calculator(48 / 2); R2 = Calculator(48 + R1)"
):
    return onetime.build(models=ScriptedModels(scripted(plan), scripted(grounding)), tools=TOOLS).compile()


def test_cli_review_edit_on_the_terminal(monkeypatch, capsys):
    serve_graphs(monkeypatch, onetime_fake())
    monkeypatch.setattr("sys.stdin", io.StringIO("e\nClips in May.\nSubgoal 2: Total.\n\n"))
    assert cli.main(["run", "--formulation", "onetime", "--review", TASK]) == 0
    out = capsys.readouterr().out
    assert "[review]  Subgoal 1: Count clips." in out and "| review" in out
    assert "[execute] R2 = Calculator(48 + R1) -> 72" in out and out.endswith(
        "Answer: 72  (executed: R2 = Calculator(48 + R1))\n"
    )


def test_cli_review_reject_and_a_bad_choice_asks_again(monkeypatch, capsys):
    serve_graphs(monkeypatch, onetime_fake())
    monkeypatch.setattr("sys.stdin", io.StringIO("what?\nr\ntoo vague\n"))
    assert cli.main(["run", "--formulation", "onetime", "--review", TASK]) == 1
    out = capsys.readouterr().out
    assert out.count("Approve, edit or reject?") == 2
    assert "[review]  error: the reviewer rejected the plan: too vague" in out
    assert out.endswith("No answer: the reviewer rejected the plan: too vague\n")


def test_cli_review_without_a_reviewer_pauses_a_thread_that_resumes_later(tmp_path, monkeypatch, capsys):
    db = str(tmp_path / "threads.sqlite")
    serve_graphs(monkeypatch, onetime_fake(), onetime_fake(plan="unused"))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no one at the terminal
    assert cli.main(["run", "--formulation", "onetime", "--review", "--thread", "t", "--db", db, TASK]) == 3
    assert "paused for review; `lumos run --thread t` asks again" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("a\n"))
    assert cli.main(["run", "--thread", "t", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "Resuming thread t at step 3 (review)." in out and "Answer: 72" in out
