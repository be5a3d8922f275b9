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


# Lumos's own edge cases, each checked against a hand computation.


def test_exact_match_articles_only_as_whole_words():
    assert metrics.exact_match("A Tale of Two Cities", "Tale of Two Cities")  # "a" dropped
    assert metrics.exact_match("an Apple", "apple")
    assert not metrics.exact_match("Another apple", "apple")  # "an" inside a word stays


def test_exact_match_drops_punctuation_inside_tokens():
    assert metrics.exact_match("Washington, D.C.", "washington dc")
    assert metrics.exact_match("1,462", "1462")  # the comma is punctuation: HotpotQA's "1,462" matches
    assert not metrics.exact_match("1.462", "1,462 people")


def test_f1_hand_computed_with_articles_and_reordering():
    # "the city of New York" -> [city, of, new, york]; gold "New York City" -> [new, york, city]
    # common 3: P = 3/4, R = 3/3, F1 = 2 * 0.75 * 1 / 1.75 = 6/7
    assert metrics.f1("the city of New York", "New York City") == pytest.approx(6 / 7)
    # repeated tokens count once per occurrence: [york, york] vs [york]: common 1, P = 1/2, R = 1, F1 = 2/3
    assert metrics.f1("York York", "York") == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("prediction", "gold"),
    [("no", "no way"), ("yes", "yes sir"), ("noanswer", "Paris"), ("Paris", "noanswer")],
)
def test_f1_is_zero_when_one_side_is_yes_no_noanswer_and_they_differ(prediction, gold):
    assert metrics.f1(prediction, gold) == 0.0  # despite the token overlap in the first two


def test_true_false_replies_count_as_yes_no_for_hotpotqa():
    assert metrics.true_false_as_yes_no("True.") == "yes"
    assert metrics.true_false_as_yes_no("false") == "no"
    assert metrics.true_false_as_yes_no("Truelove") == "Truelove"
    assert metrics.true_false_as_yes_no(None) is None


@pytest.mark.parametrize(
    ("prediction", "gold", "correct"),
    [
        ("Yesterday it was not.", True, True),  # Lumos: "yes" anywhere, even inside a word, is true
        ("Their eyes say no.", True, True),
        ("True", True, False),  # "true" holds no "yes": Lumos scores it as false
        ("", False, True),
    ],
)
def test_strategyqa_rule_is_substring_yes_as_lumos(prediction, gold, correct):
    assert metrics.yes_no_correct(prediction, gold) is correct


@pytest.mark.parametrize(
    ("answer", "gold"),
    [("#### 1,234,567", "1234567"), ("#### -1,000", "-1000"), ("####  18 ", "18"), ("5,5", "55")],
)
def test_gold_number_removes_commas_between_digits(answer, gold):
    assert metrics.gold_number(answer) == gold


@pytest.mark.parametrize(
    ("prediction", "gold", "strict", "numeric"),
    [
        ("1234567", "#### 1,234,567", True, True),
        ("1,234,567", "#### 1,234,567", False, True),  # strict compares strings: the comma stays
        ("45.", "#### 45", False, True),
        ("45.50", "#### 45.5", False, True),
        ("$18", "#### 18", False, True),
        ("18 dollars and 2 cents", "#### 18", False, False),  # numeric reads the last number
        (" 18 ", "#### 18", True, True),
    ],
)
def test_maths_commas_and_formatting(prediction, gold, strict, numeric):
    assert metrics.maths_strict(prediction, gold) is strict
    assert metrics.maths_numeric(prediction, gold) is numeric
