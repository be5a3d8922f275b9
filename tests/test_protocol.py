import pytest

from nodes import protocol
from nodes.protocol import Action, ParseError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Subgoal 1: Calculate the amount Leah spent on milkshake.",
            ["Calculate the amount Leah spent on milkshake."],
        ),
        (
            "No, I will keep planning. Subgoal 2: Calculate Leah's rest money.",
            ["Calculate Leah's rest money."],
        ),
        (
            "Subgoal 1: Obtain the number of kids of A.; Subgoal 2: Obtain B.; Subgoal 3: Compare them.",
            ["Obtain the number of kids of A.", "Obtain B.", "Compare them."],
        ),
        ("Sure! Here is the plan. Subgoal 1: Add 2 and 3.", ["Add 2 and 3."]),
        ("Subgoal 1:Add; Subgoal 2 : Halve", ["Add", "Halve"]),
    ],
)
def test_parse_subgoals(text, expected):
    assert protocol.parse_subgoals(text) == expected


@pytest.mark.parametrize("text", ["", "I think the answer is 5.", "Subgoal 1:", "Subgoal 1: ; Subgoal 2: x"])
def test_parse_subgoals_rejects_and_keeps_raw_text(text):
    with pytest.raises(ParseError) as info:
        protocol.parse_subgoals(text)
    assert info.value.text == text


def test_stop_signal_is_a_substring_check_on_will_not_can():
    assert protocol.is_stop("Yes, I will stop planning.")
    assert protocol.is_stop("  Yes, I will stop planning")
    assert not protocol.is_stop("Yes, I can stop planning.")
    assert not protocol.is_stop("No, I will keep planning. Subgoal 3: Add.")


def test_render_plan_steps_and_plan_round_trip():
    assert protocol.render_plan_step(1, "Add.") == "Subgoal 1: Add."
    assert protocol.render_plan_step(3, "Add.") == "No, I will keep planning. Subgoal 3: Add."
    plan = protocol.render_plan(["A.", "B."])
    assert plan == "Subgoal 1: A.; Subgoal 2: B."
    assert protocol.parse_subgoals(plan) == ["A.", "B."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("R1 = Calculator(28 * 1/7)", [Action(outputs=["R1"], name="Calculator", args="28 * 1/7")]),
        (
            "R1 = KnowledgeQuery(Julius Caesar); R2 = ParagraphRetrieve(R1, Query: How many kids did Julius Caesar "
            "have?); R3 = QA([R2], Question: How many kids did Julius Caesar have?)",
            [
                Action(outputs=["R1"], name="KnowledgeQuery", args="Julius Caesar"),
                Action(
                    outputs=["R2"],
                    name="ParagraphRetrieve",
                    args="R1, Query: How many kids did Julius Caesar have?",
                ),
                Action(
                    outputs=["R3"], name="QA", args="[R2], Question: How many kids did Julius Caesar have?"
                ),
            ],
        ),
        (
            "R5, R6 = SolveEquation(R2=xy, R3=x/y)",
            [Action(outputs=["R5", "R6"], name="SolveEquation", args="R2=xy, R3=x/y")],
        ),
        ("R3 = R2", [Action(outputs=["R3"], name="", args="R2")]),
        ("Output = R9", [Action(outputs=["Output"], name="", args="R9")]),
        ("R10 = Calculator(R1(R9))", [Action(outputs=["R10"], name="Calculator", args="R1(R9)")]),
        (
            "R2 = Calculator((3 + 4) * (2 - 1)).",
            [Action(outputs=["R2"], name="Calculator", args="(3 + 4) * (2 - 1)")],
        ),
        (
            "R1 = Code(f(a; b)); R2 = Calculator(R1 + 1)",
            [
                Action(outputs=["R1"], name="Code", args="f(a; b)"),
                Action(outputs=["R2"], name="Calculator", args="R1 + 1"),
            ],
        ),
    ],
)
def test_parse_actions(text, expected):
    actions = protocol.parse_actions(text)
    assert actions == expected
    assert protocol.parse_actions(protocol.render_actions(actions)) == actions


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "at least one action"),
        ("R1 = Calculator(2 + (3 * 4)", "unbalanced"),
        ("R1 = 48 * 1", "action call"),
        ("Calculator(2 + 3)", "assignment"),
        ("R1 = Calculator(2) + 3 apples", "after the action"),
        ("The answer is R1 = 5", "assignment"),
    ],
)
def test_parse_actions_rejects(text, reason):
    with pytest.raises(ParseError) as info:
        protocol.parse_actions(text)
    assert reason in info.value.reason
    assert info.value.text in (text, text.strip())


def test_substitute_never_confuses_r1_with_r10():
    memory = {f"R{k}": str(k * 100) for k in range(1, 13)}
    assert protocol.substitute("R10 + R1 - R12", memory) == "(1000) + (100) - (1200)"


def test_substitute_wraps_numbers_only_in_arithmetic():
    memory = {"R1": "-4", "R2": "x + 3 = 10", "R3": "12"}
    assert protocol.substitute("28 - R1", memory) == "28 - (-4)"
    assert protocol.substitute("R2", memory) == "x + 3 = 10"
    assert protocol.substitute("R3", memory) == "12"


def test_substitute_undefined_variable():
    with pytest.raises(protocol.UndefinedVariableError, match="R7 is not defined"):
        protocol.substitute("R7 * 2", {"R1": "3"})


def test_final_variable_prefers_output_then_highest_index():
    assert protocol.final_variable({"R2": "1", "R10": "2", "R9": "3"}) == "R10"
    assert protocol.final_variable({"R2": "1", "Output": "5"}) == "Output"
    assert protocol.final_variable({}) is None


def test_arithmetic_around_calculator_calls_is_inlined_into_one_formula():
    assert protocol.parse_action("R1 = Calculator(9 * 3) + Calculator(8 * 14)") == {
        "outputs": ["R1"],
        "name": "Calculator",
        "args": "(9 * 3) + (8 * 14)",
    }
    assert protocol.parse_action("R2 = Calculator(R1 + 4) / 3")["args"] == "(R1 + 4) / 3"
    for broken in ("R1 = Calculator(2) then more", "R1 = Calculator(3) + Calculator(", "R1 = Count(1) + 1"):
        with pytest.raises(protocol.ParseError, match="after the action's closing parenthesis"):
            protocol.parse_action(broken)


def test_parse_actions_drops_only_an_unfinished_last_action_when_asked():
    cut = "R1 = Calculator(2 + 3); R2 = QA([R1], Question: Did the"
    with pytest.raises(protocol.ParseError, match="unbalanced parentheses"):
        protocol.parse_actions(cut)
    assert [a["outputs"] for a in protocol.parse_actions(cut, drop_unfinished=True)] == [["R1"]]
    with pytest.raises(protocol.ParseError):  # nothing whole before the cut: still an error
        protocol.parse_actions("R1 = Calculator(2 +", drop_unfinished=True)
    with pytest.raises(protocol.ParseError):  # a bad action before the last is not a cut
        protocol.parse_actions("R1 = ???; R2 = Calculator(1)", drop_unfinished=True)
