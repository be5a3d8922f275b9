import pytest
from fakes import ScriptedModels, scripted
from langchain_core.messages import SystemMessage

from domains import DOMAINS
from graphs import baselines
from nodes import integrated
from nodes.context import Context
from nodes.extraction import extract_final_answer


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
        ("So each gets \\(\\boxed{\\frac{20}{3}}\\) pies.", True, "6.666666667"),  # not the denominator
        ("The answer is \\dfrac{1,000}{8}.", True, "125"),
        ("She ran 2\\frac{1}{2} miles. \\boxed{2\\frac{1}{2}}", True, "2.5"),  # a mixed number
        ("\\boxed{\\frac{3}{0}}", True, "0"),  # no value: read as text, its last number
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


def calculator(args: str) -> str:
    value = eval(args, {"__builtins__": {}})  # test double; the real tool is tools.maths.calculator
    return str(int(value)) if float(value).is_integer() else str(value)


TOOLS = {"maths": {"Calculator": calculator}}


def test_integrated_baseline_plans_and_grounds_in_one_call_then_executes():
    planner = scripted(
        "Subgoal 1: Clips in May.\nR1 = Calculator(48 / 2)\nSubgoal 2: Total.\nR2 = Calculator(48 + R1)"
    )
    models = ScriptedModels(planner, scripted())  # the grounder is never asked
    graph = baselines.build_integrated(models=models, tools=TOOLS).compile()
    state = graph.invoke({"task": "48 clips in April, half as many in May. Total?"}, context=Context())
    assert state["answer"] == "72" and state["error"] is None and state["model_calls"] == 1
    assert state["subgoals"] == ["Clips in May.", "Total."]
    assert state["ground_outputs"] == ["R1 = Calculator(48 / 2)", "R2 = Calculator(48 + R1)"]
    assert [a["observation"] for a in state["actions"]] == ["24", "72"]
    prompt = planner.prompts[0]
    assert (
        isinstance(prompt[0], SystemMessage) and len(prompt) == 2 + 2 * DOMAINS["maths"].shots
    )  # the domain's own count
    assert prompt[2].content.startswith("Subgoal 1: ")  # an exemplar answer in the integrated format
    assert "The available action list is 'Calculator', 'SetEquation'" in prompt[-1].content
    assert prompt[-1].content.endswith("Task: 48 clips in April, half as many in May. Total?")


def test_integrated_baseline_lumos_profile_is_zero_shot_and_stops_at_the_next_turn():
    planner = scripted("Subgoal 1: Add.\nR1 = Calculator(1 + 2)")
    graph = baselines.build_integrated(models=ScriptedModels(planner, scripted()), tools=TOOLS).compile()
    state = graph.invoke({"task": "1 + 2?"}, context=Context(profile="lumos"))
    assert state["answer"] == "3" and len(planner.prompts[0]) == 1
    assert planner.prompts[0][0].content.startswith(
        "Please provide a reasonable subgoal-based plan to solve the given task, and ground each subgoal"
    )
    assert planner.calls[0]["stop"] == ["<|user|>"]


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ("I would add the numbers.", "integrated output is not a plan with actions"),
        ("Subgoal 1: Add.\nR1 = Guess(3)", "unknown action(s) Guess"),
    ],
)
def test_integrated_baseline_protocol_failures_end_the_run_with_the_error(reply, error):
    graph = baselines.build_integrated(
        models=ScriptedModels(scripted(reply), scripted()), tools=TOOLS
    ).compile()
    state = graph.invoke({"task": "1 + 2?"}, context=Context())
    assert state["answer"] is None and state["error"].startswith(error) and state["stop_reason"] == "error"
    assert state["plan_outputs"] == [reply] and not state.get("actions")


def test_integrated_exemplars_re_execute_to_their_recorded_results():
    from domains import EXEMPLARS
    from nodes.integrated import exemplar_turns

    turns = exemplar_turns(EXEMPLARS["maths"], "maths")
    assert [role for role, _ in turns] == ["user", "assistant"] * len(EXEMPLARS["maths"])
    for (_, answer), example in zip(turns[1::2], EXEMPLARS["maths"], strict=True):
        steps = integrated.parse_integrated(answer)
        assert [s for s, _ in steps] == example["subgoals"]


@pytest.mark.parametrize(
    ("style", "yes_no", "reply", "answer", "system"),
    [
        ("cot", False, "Scott is American, Ed is American. So the answer is yes.", "yes", "step by step"),
        ("direct", False, "Los Angeles", "Los Angeles", "one brief entity"),  # Lumos: the raw reply
        ("direct", True, "No.", "No.", "yes or no only"),
        ("cot", True, "Romans were not pagans... So the answer is no.", "no", "`So the answer is no.`"),
    ],
)
def test_baselines_on_complex_qa(style, yes_no, reply, answer, system):
    planner = scripted(reply)
    graph = baselines.build(
        style, models=ScriptedModels(planner, scripted()), domains={"complex_qa"}
    ).compile()
    context = Context(domain="complex_qa", **({"yes_no": True} if yes_no else {}))
    state = graph.invoke({"task": "Were they both American?"}, context=context)
    assert state["answer"] == answer and state["error"] is None
    assert system in planner.prompts[0][0].content


def test_integrated_graph_topology():
    mermaid = baselines.build_integrated(models=ScriptedModels(scripted(), scripted()), tools=TOOLS)
    text = mermaid.compile().get_graph().draw_mermaid(with_styles=False)
    for edge in (
        "__start__ --> frame;",
        "frame -.-> integrate;",
        "integrate -.-> execute;",
        "integrate -.-> answer;",
        "execute --> answer;",
        "answer --> __end__;",
    ):
        assert edge in text
