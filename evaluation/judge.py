"""LLM-judged accuracy, as Lumos scores HotpotQA (lumos-reference §5.3), with any chat model as judge."""

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

# verbatim: lumos eval/hotpotqa/run_eval.py (asked of GPT-4 at temperature 0, max_tokens 100)
JUDGE_PROMPT = "Please judge whether the model prediction can be regarded as correct according to the given question and its ground-truth answer. Please answer 'CORRECT' or 'INCORRECT'. No more details and explanations.\n\nQuestion: {question}\nModel prediction: {prediction}\nGround-truth answer: {ground_truth}\n"  # noqa: E501
JUDGE_MAX_TOKENS = 100


def verdict(reply: str) -> bool:
    """Return whether a judge's reply is ``CORRECT``: Lumos's exact word, forgiving quotes and a period."""
    return reply.strip().strip("'\"`*.").strip() == "CORRECT"


def judge(model: BaseChatModel, question: str, prediction: str | None, gold: str) -> bool:
    """Ask the judge whether ``prediction`` answers ``question`` as ``gold`` does; no prediction is wrong."""
    if prediction is None or not prediction.strip():
        return False
    prompt = JUDGE_PROMPT.format(question=question, prediction=prediction, ground_truth=gold)
    reply = model.invoke([HumanMessage(prompt)], max_tokens=JUDGE_MAX_TOKENS, temperature=0.0)
    return verdict(str(reply.text))
