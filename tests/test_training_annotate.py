"""The LLM converter: Lumos's conversion prompt (golden), reply parsing, and a run with a scripted model."""

import hashlib
import json
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from training import annotate, check

ROW = json.loads((Path(__file__).parent / "data" / "gsm8k_train_sample.jsonl").read_text().splitlines()[0])

# Lumos's own GPT-4 target for its in-context "Example 2" (data/incontext.py), as a model reply
LEAH_REPLY = """Subgoal-based plan:
Subgoal 1: Calculate the amount Leah spent on milkshake.
Action 1-1: R1 = Calculator(28 * 1/7) = 4 

Subgoal 2: Calculate Leah's rest money after buying milkshake.
Action 2-1: R2 = Calculator(28 - R1) = 24 
"""


def test_system_message_is_verbatim():
    # lumos-reference §7: note the missing space between "list" and "into"
    assert annotate.SYSTEM == (
        "You are a helpful assist to convert natural language plans or structural action listinto "
        "subgoal-based plans and their corresponding structured actions."
    )


def test_gsm_instruction_is_verbatim():
    text = annotate.INSTRUCTION_MATHS_GSM
    # sha256 of instruction_maths_gsm as Python evaluates it in allenai/lumos data/incontext.py @146dd9d
    assert (len(text), hashlib.sha256(text.encode()).hexdigest()) == (
        7499,
        "bd41be232c29653a0d34584d4b4a98ed7c65af258390be9314af753c68dc094c",
    )
    # the pieces lumos-reference §7 quotes, run-together words included
    assert text.startswith(
        "Please convert natural language plans into a series of subgoals and their corresponding actionsthat "
        "lead to the successful implementation with respect to the given instructions. Please use 'R[number]' "
        "to represent the intermediate results for each subgoal, without generatingany exact values. Please "
        "also use functions to represent the corresponding actions. For the actions, they must be one of "
        "'Calculator', 'SolveEquation', 'Count', and 'Define'.\n\nExample 1:\nTask: "
    )
    assert text.endswith(
        "Now please help us generate a plan consisting of subgoals according to the following instruction and "
        "its natural language plan!\n\n"
    )
    assert [f"Example {k}:\n" in text for k in range(1, 8)] == [True] * 6 + [False]


def test_user_message_layout():
    system, user = annotate.conversion_prompt("T?", "P.")
    assert system == annotate.SYSTEM
    assert user == annotate.INSTRUCTION_MATHS_GSM + "Task: T?\n\nNatural language plan: P.\n\n"
    assert annotate.gsm8k_plan("A = <<1+1=2>>2.\nB.\n#### 2") == "A = <<1+1=2>>2. B."


def test_parse_reply_drops_results_and_renames_output():
    reply = LEAH_REPLY + "\nSubgoal 3: Finish.\nAction 3-1: Output = Calculator(R2 / (1 + 1)) = 12 \n"
    subgoals, actions, results = annotate.parse_subgoal_plan(reply)
    assert subgoals[0] == "Calculate the amount Leah spent on milkshake."
    assert actions == [
        ["R1 = Calculator(28 * 1/7)"],
        ["R2 = Calculator(28 - R1)"],
        ["R3 = Calculator(R2 / (1 + 1))"],
    ]
    assert results == ["4", "24", "12"]


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("I cannot help.", "no `Subgoal 1`"),
        ("Subgoal 1: Do it.\n\nSubgoal 2: Then.\nAction 2-1: R1 = Calculator(1)", "a subgoal has no actions"),
        ("Subgoal 1: A.\nAction 1-1: R1 = Calculator((1 + 2) = 3", "unbalanced"),
    ],
)
def test_parse_reply_rejects_malformed_conversions(reply, reason):
    with pytest.raises(annotate.AnnotationError, match=reason):
        annotate.parse_subgoal_plan(reply)


def test_convert_with_a_scripted_model_then_check():
    reply = """Subgoal 1: Calculate the number of clips Natalia sold in May.
Action 1-1: R1 = Calculator(48 / 2) = 24

Subgoal 2: Calculate the total number of clips sold in April and May.
Action 2-1: R2 = Calculator(48 + R1) = 72"""
    model = GenericFakeChatModel(messages=iter([AIMessage(content=reply)]))
    record = annotate.convert(ROW, model, source="llm:scripted")
    assert record["actions"] == [["R1 = Calculator(48 / 2)"], ["R2 = Calculator(48 + R1)"]]
    assert record["answer"] == "72" and record["source"] == "llm:scripted"
    assert check.check(record)["results"] == ["24", "72"]
