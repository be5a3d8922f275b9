import pytest
from fakes import ScriptedModels, scripted
from langchain_core.messages import SystemMessage

from graphs import baselines
from nodes.context import Context
from nodes.protocol import extract_final_answer


@pytest.mark.parametrize(
    ("text", "numeric", "answer"),
    [
        ("She has 3 + 4 = 7 apples. The answer is 7.", True, "7"),
        ("... so the answer is $1,200.", True, "1200"),
        ("Answer is 18. Later we said 20.", True, "18"),  # an explicit answer beats the last number
        ("Therefore \\boxed{42}", True, "42"),
        ("work\n#### 5", True, "5"),
        ("First 2 then 3 then 11", True, "11"),
        ("no digits here", True, None),
        ("Based on these evidences, the answer is Los Angeles.", False, "Los Angeles"),
        ("I am not sure.", False, None),
    ],
)
def test_extract_final_answer(text, numeric, answer):
    assert extract_final_answer(text, numeric=numeric) == answer


def test_cot_baseline_answers_in_one_call_on_the_same_state_schema():
    planner = scripted("Morning 24, afternoon 48, total 72, minus 50 is 22. The answer is 22.")
    graph = baselines.build("cot", models=ScriptedModels(planner, scripted())).compile()
    state = graph.invoke({"task": "How many muffins are left?"}, context=Context())
    assert state["answer"] == "22" and state["model_calls"] == 1 and state["error"] is None
    assert isinstance(planner.prompts[0][0], SystemMessage) and planner.calls[0]["stop"] is None


def test_direct_baseline_in_the_lumos_profile_sends_the_bare_question():
    planner = scripted("22")
    graph = baselines.build("direct", models=ScriptedModels(planner, scripted())).compile()
    state = graph.invoke({"task": " How many? "}, context=Context(profile="lumos"))
    assert [m.content for m in planner.prompts[0]] == ["How many?"]
    assert state["answer"] == "22" and planner.calls[0]["stop"] == ["\n"]


def test_unreadable_reply_is_an_error_not_a_crash():
    graph = baselines.build("cot", models=ScriptedModels(scripted("I cannot say."), scripted())).compile()
    state = graph.invoke({"task": "How many?"}, context=Context())
    assert state["answer"] is None and "no answer" in state["error"]
