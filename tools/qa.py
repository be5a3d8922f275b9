"""The Lumos QA action: answer a question from a context with a chat model, with Lumos's fallbacks."""

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

__all__ = ["QA_FORCE_PROMPT", "QA_NOCTX_PROMPT", "QA_PROMPT", "answer_of", "qa"]

# Byte-exact copies of the prompts in Lumos's eval/hotpotqa/qa_tool.py.
QA_PROMPT = "Please answer the following question according to the context. Please answer with one brief entity, beginning with 'Answer: '. If the answer can't be found in the context, answer 'No answer'. No more details and explanations.\n\nQuestion: {question}\nContext: {context}\n"  # noqa: E501
QA_NOCTX_PROMPT = "Please answer the following question. Please answer with one brief entity, beginning with 'Answer: '. If the answer can't be answered, output 'No answer'. No more details and explanations.\n\nQuestion: {question}\n"  # noqa: E501
QA_FORCE_PROMPT = "Please answer the following question. Please answer with one brief entity, beginning with 'Answer: '.\n\nQuestion: {question}\n"  # noqa: E501

YES_NO_MARKER = "Must answer yes/no"  # appended by the executor to StrategyQA's final question
NO_ANSWER = "No answer"
ANSWER_PREFIX = "Answer: "
QA_MAX_TOKENS = 100  # as Lumos asked gpt-3.5-turbo for


def qa(model: BaseChatModel, context: str, question: str) -> str:
    """Answer ``question`` from ``context`` and return ``"Question: {question}; Answer: ..."``.

    As in Lumos, a "No answer" is retried once without the context, or with the forcing prompt
    when the question must be answered yes/no; a second "No answer" gives ``Answer: No answer.``.
    """
    output = _ask(model, QA_PROMPT.format(question=question, context=context))
    if not _answered(output):
        retry = QA_FORCE_PROMPT if YES_NO_MARKER in question else QA_NOCTX_PROMPT
        output = _ask(model, retry.format(question=question))
    if not _answered(output):
        output = f"{ANSWER_PREFIX}{NO_ANSWER}."
    return f"Question: {question}; {output}"


def answer_of(result: str) -> str:
    """Return the answer in a QA result: the text after its last ``"Answer: "``, without a final period."""
    answer = result.rpartition(ANSWER_PREFIX)[2].strip()
    return answer.removesuffix(".").rstrip()


def _ask(model: BaseChatModel, prompt: str) -> str:
    """Return the model's one-line reply to ``prompt``, decoded greedily and starting with ``"Answer: "``."""
    reply = model.invoke([HumanMessage(prompt)], stop=["\n"], max_tokens=QA_MAX_TOKENS, temperature=0.0)
    output = str(reply.text).strip()
    # Small local models often drop or misspell the prefix the prompt asks for; answer_of relies on it.
    head, colon, rest = output.partition(":")
    if colon and head.strip().lower() == "answer":
        return ANSWER_PREFIX + rest.strip()
    return ANSWER_PREFIX + output


def _answered(output: str) -> bool:
    """Say whether a reply holds an answer; matching is case-blind as small models write "no answer" too."""
    return bool(output.removeprefix(ANSWER_PREFIX).strip()) and NO_ANSWER.lower() not in output.lower()
