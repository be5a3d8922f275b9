import pytest

from models.template import render_lumos


def test_eval_rendering_has_blank_lines_and_no_eos():
    turns = [("user", "Q1"), ("assistant", "A1 "), ("user", " Q2\n")]
    assert render_lumos(turns, "eval") == "<|user|>\nQ1\n<|assistant|>\nA1\n\n<|user|>\nQ2\n<|assistant|>\n"


def test_train_rendering_closes_assistant_turns_with_eos():
    turns = [("user", "Q1"), ("assistant", "A1"), ("user", "Q2")]
    assert (
        render_lumos(turns, "train") == "<|user|>\nQ1\n<|assistant|>\nA1</s>\n<|user|>\nQ2\n<|assistant|>\n"
    )


@pytest.mark.parametrize(
    "turns",
    [[], [("system", "be nice"), ("user", "Q")], [("user", "Q"), ("assistant", "A")], [("tool", "x")]],
)
def test_rejects_conversations_lumos_never_saw(turns):
    with pytest.raises(ValueError):
        render_lumos(turns, "eval")
