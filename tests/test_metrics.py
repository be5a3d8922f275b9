import pytest

from evaluation import metrics


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("The Eiffel Tower!", "eiffel tower"),
        ("  An   apple, a pear. ", "apple pear"),
        ("Theatre", "theatre"),  # "the" only as a whole word
        ("U.S.A.", "usa"),
    ],
)
def test_normalize_answer(text, normal):
    assert metrics.normalize_answer(text) == normal


def test_exact_match_ignores_case_articles_punctuation():
    assert metrics.exact_match("the Beatles.", "Beatles")
    assert not metrics.exact_match("Beatles band", "Beatles")
    assert not metrics.exact_match(None, "Beatles")


def test_f1_hand_computed():
    # pred tokens: [barack, obama, jr]; gold: [barack, obama] -> P=2/3, R=1, F1=0.8
    assert metrics.f1("Barack Obama Jr.", "Barack Obama") == pytest.approx(0.8)
    assert metrics.f1("Paris", "London") == 0.0
    assert metrics.f1(None, "x") == 0.0


def test_f1_is_zero_on_a_yes_no_mismatch_even_with_overlap():
    assert metrics.f1("yes", "no") == 0.0
    assert metrics.f1("no", "no") == 1.0
    assert metrics.f1("yes it is", "yes") == 0.0  # normalised "yes it is" != "yes"


@pytest.mark.parametrize(
    ("prediction", "gold", "correct"),
    [
        ("Yes.", True, True),
        ("yes, because...", True, True),
        ("No", True, False),
        ("no", False, True),
        (None, False, True),
    ],
)
def test_strategyqa_yes_no(prediction, gold, correct):
    assert metrics.yes_no_correct(prediction, gold) is correct


@pytest.mark.parametrize(
    ("prediction", "gold", "strict", "numeric"),
    [
        ("72", "Natalia sold 48+24 = 72 clips.\n#### 72", True, True),
        ("72.0", "#### 72", False, True),  # Lumos's exact string match calls this wrong
        ("1200", "#### 1,200", True, True),  # commas removed from the gold
        ("1,200", "#### 1200", False, True),
        ("The answer is 5 apples", "#### 5", False, True),
        ("6", "#### 5", False, False),
        (None, "#### 5", False, False),
        ("-3", "#### -3", True, True),
    ],
)
def test_maths_strict_and_numeric(prediction, gold, strict, numeric):
    assert metrics.maths_strict(prediction, gold) is strict
    assert metrics.maths_numeric(prediction, gold) is numeric
