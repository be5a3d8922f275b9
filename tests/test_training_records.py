"""The unified data format: annotated tasks and training conversations as JSONL, released Lumos files included."""

import json

import pytest

from training.records import (
    FormatError,
    Record,
    check_record,
    read_conversations,
    read_records,
    write_jsonl,
)

RECORD = Record(
    id="gsm8k-train-0",
    domain="maths",
    task="Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?",
    subgoals=["Natalia sold 48/2 clips in May.", "Natalia sold 48+24 clips altogether in April and May."],
    actions=[["R1 = Calculator(48 / 2)"], ["R2 = Calculator(48 + R1)"]],
    results=["24", "72"],
    answer="72",
    source="gsm8k-steps",
)

# two rows in the layout of the released ai2lumos datasets (lumos_maths_plan_onetime, ..._ground_iterative)
RELEASED = [
    {
        "dataset": "maths",
        "id": "maths_0",
        "messages": [
            {
                "role": "user",
                "content": "Please provide a reasonable subgoal-based plan to solve the given task.\nTask: T; Initial Environment Description: None.",
            },
            {"role": "assistant", "content": "Subgoal 1: Calculate x.; Subgoal 2: Calculate y."},
        ],
    },
    {
        "dataset": "maths",
        "id": "maths_1",
        "messages": [
            {
                "role": "user",
                "content": "Please ground ... Task: T \nSubgoal to be grounded: Subgoal 1: Calculate x.\n",
            },
            {"role": "assistant", "content": "R1 = Calculator(1 + 2)"},
            {"role": "user", "content": "Subgoal to be grounded: Subgoal 2: Calculate y.\n"},
            {"role": "assistant", "content": "R2 = Calculator(R1 * 2)"},
        ],
    },
]


def test_records_round_trip(tmp_path):
    path = tmp_path / "records.jsonl"
    assert write_jsonl(path, [RECORD, RECORD]) == 2
    assert list(read_records(path)) == [RECORD, RECORD]


def test_writes_ascii_lines(tmp_path):
    path = tmp_path / "records.jsonl"
    write_jsonl(path, [Record(**{**RECORD, "task": "It costs 5 € \u2028 per day."})])
    assert path.read_bytes().isascii() and len(path.read_text().splitlines()) == 1
    assert next(read_records(path))["task"] == "It costs 5 € \u2028 per day."


def test_released_lumos_files_read_as_they_are(tmp_path):
    path = tmp_path / "lumos_maths_plan_onetime.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in RELEASED))
    conversations = list(read_conversations(path))
    assert conversations == RELEASED


def test_conversations_without_dataset_or_id_get_them_from_the_file(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps({"messages": RELEASED[0]["messages"]}) + "\n\n")
    (conversation,) = read_conversations(path)
    assert (conversation["dataset"], conversation["id"]) == ("mine", "mine_1")


@pytest.mark.parametrize(
    ("messages", "reason"),
    [
        ([], "non-empty list"),
        ([{"role": "assistant", "content": "x"}], "message 0 must be a user turn"),
        ([{"role": "user", "content": "x"}], "last message must be an assistant turn"),
        (
            [{"role": "user", "content": "x"}, {"role": "user", "content": "y"}],
            "message 1 must be a assistant",
        ),
    ],
)
def test_bad_conversations_name_file_and_line(tmp_path, messages, reason):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"messages": messages}) + "\n")
    with pytest.raises(FormatError, match=rf"bad.jsonl:1: .*{reason}"):
        list(read_conversations(path))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"domain": "chess"}, "unknown domain"),
        ({"results": ["24"]}, "one action list and one result per subgoal"),
        ({"actions": [["R1 = Calculator(48 / 2)"], []]}, "a subgoal has no actions"),
        ({"actions": [["R1 = Calculator(48 / 2"], ["R2 = Calculator(48 + R1)"]]}, "unbalanced parentheses"),
        ({"task": " "}, "the task is empty"),
    ],
)
def test_inconsistent_records_are_rejected(change, reason):
    with pytest.raises(ValueError, match=reason):
        check_record(Record(**{**RECORD, **change}))


def test_not_json_names_the_line(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text(json.dumps(RECORD) + "\n{oops\n")
    with pytest.raises(FormatError, match=r"broken\.jsonl:2: not JSON"):
        list(read_records(path))
