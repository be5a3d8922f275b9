import pytest

from nodes import integrated
from nodes.protocol import Action, ParseError


def calc(output: str, args: str) -> Action:
    return Action(outputs=[output], name="Calculator", args=args)


def test_parse_integrated_pairs_each_subgoal_with_its_actions():
    text = (
        "Subgoal 1: Calculate the clips sold in May.\n"
        "R1 = Calculator(48 / 2)\n"
        "Subgoal 2: Calculate the total.\n"
        "R2 = Calculator(48 + R1); R3 = R2"
    )
    assert integrated.parse_integrated(text) == [
        ("Calculate the clips sold in May.", [calc("R1", "48 / 2")]),
        ("Calculate the total.", [calc("R2", "48 + R1"), Action(outputs=["R3"], name="", args="R2")]),
    ]


def test_parse_integrated_skips_chatter_blank_lines_and_list_marks():
    text = "Here is my plan:\n\n1. Subgoal 1: Halve 48.\n- R1 = Calculator(48 / 2)\n\nThe answer is R1."
    assert integrated.parse_integrated(text) == [("Halve 48.", [calc("R1", "48 / 2")])]


def test_parse_integrated_allows_a_subgoal_without_actions_if_another_has_some():
    steps = integrated.parse_integrated("Subgoal 1: Read.\nSubgoal 2: Add.\nR1 = Calculator(1 + 2)")
    assert steps == [("Read.", []), ("Add.", [calc("R1", "1 + 2")])]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("R1 = Calculator(1 + 2)", "expected `Subgoal k: ...` lines"),  # actions before any subgoal
        ("Subgoal 1: Add.\nSubgoal 2: Done.", "expected action lines"),
        ("Subgoal 1:\nR1 = Calculator(1 + 2)", "Subgoal 1 is empty"),
        ("Subgoal 1: Add.\nR1 = Calculator(1 + 2", "unbalanced parentheses"),
        ("", "expected `Subgoal k: ...` lines"),
    ],
)
def test_parse_integrated_rejects_what_cannot_run(text, reason):
    with pytest.raises(ParseError) as err:
        integrated.parse_integrated(text)
    assert err.value.reason.startswith(reason)


def test_render_integrated_is_the_inverse_of_the_parser():
    steps = [("Halve 48.", [calc("R1", "48 / 2")]), ("Add.", [calc("R2", "48 + R1"), calc("R3", "R2 * 1")])]
    text = integrated.render_integrated(steps)
    assert text == (
        "Subgoal 1: Halve 48.\nR1 = Calculator(48 / 2)\n"
        "Subgoal 2: Add.\nR2 = Calculator(48 + R1); R3 = Calculator(R2 * 1)"
    )
    assert integrated.parse_integrated(text) == steps
