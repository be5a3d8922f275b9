"""Answer-level voting (graphs/voting.py) over scripted models: fan-out, sampling options, the vote."""

import pytest
from fakes import ScriptedModels, scripted
from test_graphs import TASK, TOOLS

import cli
from graphs import baselines, onetime, options, pipeline, voting
from graphs.voting import VotingContext


def voted(planner, grounder, **context):
    models = ScriptedModels(planner, grounder)
    inner = onetime.build(models=models, tools=TOOLS).compile(name="lumos-onetime")
    graph = voting.compiled(inner)
    return graph.invoke({"task": TASK}, context=VotingContext(**context)), models


def test_vote_key_compares_numbers_by_value_and_text_by_squad_normalisation():
    assert voting.vote_key("1,200") == voting.vote_key("1200.0") == voting.vote_key("$1200") == "1200"
    assert voting.vote_key("0.5") == voting.vote_key(".50")
    assert voting.vote_key("The Eiffel Tower.") == voting.vote_key("eiffel tower") == "eiffel tower"
    assert voting.vote_key(None) is None and voting.vote_key("  ") is None


def attempt(sample: int, answer: str | None) -> voting.Attempt:
    return voting.Attempt(sample=sample, answer=answer, error=None, state={"answer": answer})


def test_majority_wins_ties_go_to_the_earliest_run_and_missing_answers_do_not_vote():
    winner, count = voting.majority([attempt(2, "5"), attempt(0, "3"), attempt(1, "5.0")])
    assert (winner["sample"], count) == (1, 2)  # the earliest run holding the majority answer
    winner, count = voting.majority([attempt(1, "7"), attempt(0, "3")])
    assert (winner["sample"], count) == (0, 1)  # a tie: the greedy run
    winner, count = voting.majority([attempt(0, None), attempt(1, None), attempt(2, "4")])
    assert (winner["sample"], count) == (2, 1)
    winner, count = voting.majority([attempt(1, None), attempt(0, None)])
    assert (winner["sample"], count) == (0, 0)


def test_three_runs_vote_on_their_executed_answers():
    plan = "Subgoal 1: Clips in May."
    planner = scripted(plan, plan, plan)
    # whichever branch gets which reply, two runs execute to 24 and one to 5
    grounder = scripted("R1 = Calculator(48 / 2)", "R1 = Calculator(20 + 4)", "R1 = Calculator(2 + 3)")
    state, _ = voted(planner, grounder, votes=3)
    assert state["answer"] == "24"
    assert state["vote_count"] == 2
    assert sorted(a["answer"] for a in state["attempts"]) == ["24", "24", "5"]
    assert state["subgoals"] == ["Clips in May."]  # the winning run's trace, once
    assert state["actions"][0]["observation"] == "24"
    assert state["model_calls"] == 6  # every run's planner and grounder calls


def test_first_run_is_greedy_and_the_others_sample_with_their_own_seeds():
    plan = "Subgoal 1: Clips in May."
    planner = scripted(plan, plan, plan)
    grounder = scripted(*["R1 = Calculator(48 / 2)"] * 3)
    voted(planner, grounder, votes=3, vote_temperature=0.9, sampling_seed=10)
    options = sorted(
        (call.get("temperature", 0.0), call.get("seed")) for call in planner.calls + grounder.calls
    )
    assert options == [(0.0, None)] * 2 + [(0.9, 11)] * 2 + [(0.9, 12)] * 2


def test_a_failing_run_does_not_sink_the_vote():
    plan = "Subgoal 1: Clips in May."
    planner = scripted(plan, plan, plan)
    grounder = scripted("R1 = Calculator(48 / 2)", "this is not an action", "R1 = Calculator(48 / 2)")
    state, _ = voted(planner, grounder, votes=3)
    assert state["answer"] == "24" and state["vote_count"] == 2
    assert sum(a["answer"] is None and a["error"] is not None for a in state["attempts"]) == 1


def test_one_vote_is_the_plain_greedy_run():
    planner = scripted("Subgoal 1: Clips in May.")
    grounder = scripted("R1 = Calculator(48 / 2)")
    state, _ = voted(planner, grounder, votes=1)
    assert state["answer"] == "24" and len(state["attempts"]) == 1
    assert all("temperature" not in call for call in planner.calls + grounder.calls)


def test_voting_wraps_a_baseline_too():
    replies = ["So 24. The answer is 24.", "The answer is 24.", "The answer is 30."]
    models = ScriptedModels(scripted(*replies), scripted())
    inner = baselines.build("cot", models=models, domains=TOOLS).compile(name="cot")
    state = voting.compiled(inner).invoke({"task": TASK}, context=VotingContext(votes=3))
    assert state["answer"] == "24" and state["vote_count"] == 2


def test_cli_wraps_the_formulation_when_votes_exceed_one():
    assert pipeline.pipeline("onetime", VotingContext(votes=3)).name == "lumos-onetime-voting"
    assert pipeline.pipeline("onetime", VotingContext(votes=1)) is pipeline.compiled("onetime")
    args = cli.parser().parse_args(["run", "x", "--votes", "5", "--vote-temperature", "0.5"])
    context = options.run_of(args)[1]
    assert (context.votes, context.vote_temperature) == (5, 0.5)


def test_votes_must_be_positive():
    with pytest.raises(ValueError, match="votes"):
        VotingContext(votes=0)


def test_lumos_run_prints_every_run_and_the_tally(capsys):
    from langgraph.checkpoint.memory import InMemorySaver

    from cli import terminal
    from graphs import persistence

    plan = "Subgoal 1: Clips in May."
    models = ScriptedModels(scripted(plan, plan), scripted(*["R1 = Calculator(48 / 2)"] * 2))
    inner = onetime.build(models=models, tools=TOOLS).compile(name="lumos-onetime")
    graph = persistence.with_checkpointer(voting.compiled(inner), InMemorySaver())
    assert terminal.run(graph, VotingContext(votes=2), task=TASK, thread_id="t", durable=False) == 0
    printed = capsys.readouterr().out
    assert "[attempt]  run 1 (greedy): 24" in printed and "[attempt]  run 2 (sample 1): 24" in printed
    assert "[vote]  vote: 24 (2 runs agree)" in printed
