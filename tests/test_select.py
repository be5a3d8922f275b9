"""Answer selection (nodes/select.py): the model names the answer variable; Lumos's rule otherwise."""

from fakes import ScriptedModels, scripted
from gbnf import Grammar
from test_graphs import TASK, TOOLS

from graphs import onetime
from nodes import select
from nodes.context import Context

PLAN = "Subgoal 1: Clips in May.; Subgoal 2: Total.; Subgoal 3: Restate April."
GROUND = "R1 = Calculator(48 / 2); R2 = Calculator(48 + R1); R3 = Calculator(48)"


def run(answer_replies, **context):
    models = ScriptedModels(scripted(PLAN), scripted(GROUND))
    answerer = scripted(*answer_replies)
    models.by_role["answer"] = answerer
    graph = onetime.build(models=models, tools=TOOLS).compile()
    return graph.invoke({"task": TASK}, context=Context(**context)), answerer


def test_lumos_rule_takes_the_last_variable_without_asking():
    state, answerer = run([])
    assert state["answer"] == "48" and answerer.prompts == []


def test_the_model_names_the_answer_variable_under_a_grammar_of_the_numeric_ones():
    state, answerer = run(["R2"], select_answer=True)
    assert state["answer"] == "72"
    prompt = answerer.prompts[0]
    assert prompt[0].content == select.SELECT_SYSTEM
    assert prompt[-1].content == (
        f"Task: {TASK}\nExecuted actions:\nR1 = Calculator(48 / 2) -> 24\n"
        "R2 = Calculator(48 + R1) -> 72\nR3 = Calculator(48) -> 48"
    )
    grammar = Grammar(answerer.calls[0]["grammar"])
    assert all(grammar.accepts(name) for name in ("R1", "R2", "R3"))
    assert not grammar.accepts("R4") and not grammar.accepts("72")


def test_an_unusable_reply_keeps_the_last_variable():
    state, _ = run(["the answer is 72"], select_answer=True)
    assert state["answer"] == "48"


def test_the_lumos_profile_never_selects():
    models = ScriptedModels(
        scripted("Subgoal 1: A.; Subgoal 2: B."), scripted("R1 = Calculator(1 + 1); R2 = Calculator(3)")
    )
    graph = onetime.build(models=models, tools=TOOLS).compile()
    state = graph.invoke({"task": TASK}, context=Context(select_answer=True, profile="lumos"))
    assert state["answer"] == "3" and len(models.requests) == 2  # planner and grounder only


def test_one_candidate_or_an_output_variable_needs_no_choice():
    actions = [
        {
            "outputs": ["R1"],
            "name": "Calculator",
            "args": "1 + 1",
            "subgoal": 0,
            "observation": "2",
            "ok": True,
        }
    ]
    assert (
        select.select_variable(ScriptedModels(scripted(), scripted()), Context(), "t", actions, {"R1": "2"})
        is None
    )
    memory = {"R1": "2", "R2": "3", "Output": "3"}
    assert (
        select.select_variable(ScriptedModels(scripted(), scripted()), Context(), "t", actions, memory)
        is None
    )
