import pytest
from fakes import scripted

from tools.qa import QA_FORCE_PROMPT, QA_NOCTX_PROMPT, QA_PROMPT, answer_of, qa

CONTEXT = "Evidence 1: Julius Caesar *** Caesar had three children."
QUESTION = "How many kids did Julius Caesar have?"


def test_prompts_are_byte_exact_copies_of_lumos():
    assert (
        QA_PROMPT
        == "Please answer the following question according to the context. Please answer with one brief entity, beginning with 'Answer: '. If the answer can't be found in the context, answer 'No answer'. No more details and explanations.\n\nQuestion: {question}\nContext: {context}\n"
    )
    assert (
        QA_NOCTX_PROMPT
        == "Please answer the following question. Please answer with one brief entity, beginning with 'Answer: '. If the answer can't be answered, output 'No answer'. No more details and explanations.\n\nQuestion: {question}\n"
    )
    assert (
        QA_FORCE_PROMPT
        == "Please answer the following question. Please answer with one brief entity, beginning with 'Answer: '.\n\nQuestion: {question}\n"
    )


def test_answer_from_the_context():
    model = scripted("Answer: 3")
    assert qa(model, CONTEXT, QUESTION) == f"Question: {QUESTION}; Answer: 3"
    [prompt] = model.prompts
    assert [m.type for m in prompt] == ["human"]
    assert prompt[0].content == QA_PROMPT.format(question=QUESTION, context=CONTEXT)
    assert model.calls[0]["stop"] == ["\n"]
    assert model.calls[0]["max_tokens"] == 100
    assert model.calls[0]["temperature"] == 0.0


def test_no_answer_retries_without_the_context():
    model = scripted("Answer: No answer", "Answer: 3")
    assert qa(model, CONTEXT, QUESTION) == f"Question: {QUESTION}; Answer: 3"
    assert model.prompts[1][0].content == QA_NOCTX_PROMPT.format(question=QUESTION)


def test_yes_no_question_retries_with_the_forcing_prompt():
    question = "Did Caesar cross the Rubicon? Must answer yes/no."
    model = scripted("Answer: No answer.", "Answer: yes")
    assert qa(model, CONTEXT, question) == f"Question: {question}; Answer: yes"
    assert [p[0].content for p in model.prompts] == [
        QA_PROMPT.format(question=question, context=CONTEXT),
        QA_FORCE_PROMPT.format(question=question),
    ]


@pytest.mark.parametrize("reply", ["3", "  answer:3 ", "Answer:  3"])
def test_a_missing_or_misspelt_prefix_is_repaired(reply):
    assert qa(scripted(reply), CONTEXT, QUESTION) == f"Question: {QUESTION}; Answer: 3"


@pytest.mark.parametrize("second", ["Answer: No answer", "no answer", ""])
def test_two_failures_give_no_answer(second):
    model = scripted("Answer: No answer", second)
    assert qa(model, CONTEXT, QUESTION) == f"Question: {QUESTION}; Answer: No answer."
    assert len(model.prompts) == 2


def test_an_empty_reply_counts_as_no_answer():
    model = scripted("", "Answer: 3")
    assert qa(model, CONTEXT, QUESTION) == f"Question: {QUESTION}; Answer: 3"


@pytest.mark.parametrize(
    ("result", "answer"),
    [
        (f"Question: {QUESTION}; Answer: 3", "3"),
        ("Question: Where? Answer: there; Answer: Paris.", "Paris"),
        ("Question: q; Answer: No answer.", "No answer"),
        ("Answer: U.S. ", "U.S"),
        ("just text", "just text"),
    ],
)
def test_answer_of(result, answer):
    assert answer_of(result) == answer
