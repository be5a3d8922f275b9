"""The deterministic GSM8K converter and the execution check, on a sample of GSM8K train rows."""

import json
from pathlib import Path

import pytest

from training import check, gsm8k
from training.records import Record

SAMPLE = Path(__file__).parent / "data" / "gsm8k_train_sample.jsonl"
ROWS = {row["id"]: row for row in map(json.loads, SAMPLE.read_text().splitlines())}


def test_natalia_becomes_two_subgoals_with_an_r_variable():
    record = gsm8k.convert(ROWS["gsm8k-train-0"])
    assert record["subgoals"] == [
        "Natalia sold 48/2 clips in May.",
        "Natalia sold 48+24 clips altogether in April and May.",
    ]
    assert record["actions"] == [["R1 = Calculator(48 / 2)"], ["R2 = Calculator(48 + R1)"]]
    assert record["results"] == ["24", "72"]
    assert record["answer"] == "72" and record["domain"] == "maths" and record["id"] == "gsm8k-train-0"


def test_currency_and_several_earlier_results():
    record = gsm8k.convert(ROWS["gsm8k-train-2"])
    assert record["subgoals"][0] == "In the beginning, Betty has only 100 / 2."
    assert record["actions"][-1] == ["R3 = Calculator(100 - R1 - R2 - 15)"]


@pytest.mark.parametrize(
    ("line", "subgoal"),
    [
        ("Weng earns 12/60 = $<<12/60=0.2>>0.2 per minute.", "Weng earns 12/60 per minute."),
        ("He writes each friend 3*2=<<3*2=6>>6 pages a week", "He writes each friend 3*2 pages a week."),
        ("she gets $<<5*2=10>>10 from it", "She gets $5*2 from it."),
        ("<<48/2=24>>24", "Calculate 48/2."),
    ],
)
def test_subgoal_text_drops_computed_values(line, subgoal):
    assert gsm8k.subgoal_text(line) == subgoal


def test_numbers_the_question_states_stay_literal():
    stated = gsm8k.question_numbers("She has 16 apples and buys 1,200 more.")
    assert stated == {16.0, 1200.0}
    assert gsm8k.formula("50+16", {"R1": 16.0, "R2": 50.0}, stated) == "R2 + 16"
    assert gsm8k.formula("2*3-(6)", {"R1": 6.0, "R2": 6.0}, set()) == "2 * 3 - R2"  # the latest wins


def test_unannotated_last_step_is_read_when_it_computes():
    record = gsm8k.convert(ROWS["gsm8k-train-1427"])
    assert record["actions"][-1] == ["R3 = Calculator(R2 - 60)"]
    assert record["subgoals"][-1] == "So, there are 260 - 60 dogs left after 60 more dogs were adopted."
    # a shown value that the formula does not produce is left alone
    assert gsm8k.annotate_shown("so 3 + 4 = 8 apples") == "so 3 + 4 = 8 apples"


def test_rows_without_steps_are_rejected():
    with pytest.raises(gsm8k.ConversionError, match="no <<expr=value>>"):
        gsm8k.convert({"id": "x", "question": "q?", "answer": "It is 5.\n#### 5"})
    with pytest.raises(gsm8k.ConversionError, match="not an arithmetic expression"):
        gsm8k.convert({"id": "x", "question": "q?", "answer": "It is <<2+=5>>5.\n#### 5"})


def test_execution_check_keeps_reproducing_annotations_with_executed_results():
    checked = check.check(gsm8k.convert(ROWS["gsm8k-train-1"]))
    assert checked["results"] == ["0.2", "10"]


def test_execution_check_rejects_a_wrong_final_value():
    record = gsm8k.convert(ROWS["gsm8k-train-1253"])  # the last step (29 + 24 + 30 = 83) is not annotated
    with pytest.raises(check.CheckError, match="R2 = 24 is not the gold answer 83"):
        check.check(record)


def test_execution_check_rejects_failing_actions():
    record = Record(
        id="x",
        domain="maths",
        task="t",
        subgoals=["Divide."],
        actions=[["R1 = Calculator(1 / 0)"]],
        results=["?"],
    )
    with pytest.raises(check.CheckError, match="division by zero"):
        check.check(record, gold="1")


def test_sample_conversion_and_check_counts():
    converted = [gsm8k.convert(row) for row in ROWS.values()]
    passed = []
    for record in converted:
        try:
            passed.append(check.check(record))
        except check.CheckError:
            pass
    assert (len(ROWS), len(converted), len(passed)) == (22, 22, 21)
