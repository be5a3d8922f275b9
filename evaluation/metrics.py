"""Answer metrics as Lumos computes them (lumos-reference §5.3), plus tolerant variants.

* Complex QA: SQuAD normalisation, exact match and token F1 (0 when yes/no/noanswer mismatch).
* StrategyQA: a prediction counts as "true" when it contains "yes", as Lumos's eval maps it.
* Maths: Lumos compares the final value with the gold integer string exactly, so "45.0" is wrong;
  ``maths_numeric`` is the tolerant figure reported beside it.
"""

import re
from collections import Counter

from nodes.extraction import normalize_answer

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def exact_match(prediction: str | None, gold: str) -> bool:
    """Return whether the normalised prediction equals the normalised gold answer."""
    return prediction is not None and normalize_answer(prediction) == normalize_answer(gold)


def f1(prediction: str | None, gold: str) -> float:
    """Return SQuAD token F1; 0 when one side is yes/no/noanswer and the other differs."""
    if prediction is None:
        return 0.0
    pred, ref = normalize_answer(prediction), normalize_answer(gold)
    special = {"yes", "no", "noanswer"}
    if (pred in special or ref in special) and pred != ref:
        return 0.0
    pred_tokens, ref_tokens = pred.split(), ref.split()
    common = sum((Counter(pred_tokens) & Counter(ref_tokens)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred_tokens), common / len(ref_tokens)
    return 2 * precision * recall / (precision + recall)


def true_false_as_yes_no(prediction: str | None) -> str | None:
    """Map a bare "true"/"false" reply to "yes"/"no", as Lumos's HotpotQA eval does for CoT/direct."""
    if prediction is None:
        return None
    return {"true": "yes", "false": "no"}.get(normalize_answer(prediction), prediction)


def yes_no(prediction: str | None) -> bool:
    """Map a prediction to StrategyQA's boolean: true iff it contains "yes" (Lumos's rule)."""
    return prediction is not None and "yes" in prediction.lower()


def yes_no_correct(prediction: str | None, gold: bool) -> bool:
    """Return whether the prediction's yes/no reading equals the gold boolean."""
    return yes_no(prediction) == gold


def gold_number(answer: str) -> str:
    """Return the gold of a GSM8K solution (after ``####``) or a plain number, commas removed."""
    return re.sub(r"(\d),(\d)", r"\1\2", answer.split("####")[-1]).strip()


def maths_strict(prediction: str | None, gold: str) -> bool:
    """Lumos's maths rule: the prediction string equals the gold string."""
    return prediction is not None and prediction.strip() == gold_number(gold)


def last_number(text: str | None) -> float | None:
    """Return the last number in a text (thousands commas removed), or None."""
    if text is None:
        return None
    found = _NUMBER.findall(re.sub(r"(\d),(\d)", r"\1\2", text))
    return float(found[-1]) if found else None


def maths_numeric(prediction: str | None, gold: str) -> bool:
    """Tolerant maths rule: the prediction's last number equals the gold number."""
    value, target = last_number(prediction), last_number(gold_number(gold))
    return value is not None and target is not None and abs(value - target) <= 1e-6 * max(1.0, abs(target))
