"""Golden tests: training conversations rendered byte-identical to Lumos's training data (lumos-reference §2.2).

Each expected string is copied from the renderings in lumos-reference.md §2.2 (what Lumos's own
``process_for_train.py`` + ``encode_with_messages_format`` produce, ``</s>`` = EOS), with the ``...``
elisions of the reference filled in from the same examples.
"""

import pytest

from nodes import prompts
from training.conversations import (
    EOS,
    plan_messages,
    to_conversation,
    training_pieces,
    training_text,
)
from training.records import Record

GENGHIS = Record(
    id="complex_qa_0",
    domain="complex_qa",
    task="Are more people today related to Genghis Khan than Julius Caesar?",
    subgoals=[
        "Obtain the number of the kids that Julius Caesar had.",
        "Obtain the number of the kids that Genghis Khan had.",
        "Determine if Genghis Khan had more kids.",
    ],
    actions=[
        [
            "R1 = KnowledgeQuery(Julius Caesar)",
            "R2 = ParagraphRetrieve(R1, Query: How many kids did Julius Caesar have?)",
            "R3 = QA([R2], Question: How many kids did Julius Caesar have?)",
        ],
        [
            "R4 = KnowledgeQuery(Genghis Khan)",
            "R5 = ParagraphRetrieve(R4, Query: How many kids did Genghis Khan have?)",
            "R6 = QA([R5], Question: How many kids did Genghis Khan have?)",
        ],
        ["R7 = Calculator(R6 > R3)"],
    ],
    results=["3.", "16.", "True"],
)

COMPLEX_QA_PLAN_ITERATIVE = """<|user|>
Please provide a reasonable subgoal-based plan to solve the given task.
Task: Are more people today related to Genghis Khan than Julius Caesar?; Initial Environment Description: None.
<|assistant|>
Subgoal 1: Obtain the number of the kids that Julius Caesar had.</s>
<|user|>
The executed result for Subgoal 1 is 3. Should we stop planning?
<|assistant|>
No, I will keep planning. Subgoal 2: Obtain the number of the kids that Genghis Khan had.</s>
<|user|>
The executed result for Subgoal 2 is 16. Should we stop planning?
<|assistant|>
No, I will keep planning. Subgoal 3: Determine if Genghis Khan had more kids.</s>
<|user|>
The executed result for Subgoal 3 is True. Should we stop planning?
<|assistant|>
Yes, I will stop planning.</s>"""

COMPLEX_QA_GROUND_ITERATIVE = (
    "<|user|>\n"
    + prompts.GROUND_PREFIX_COMPLEX_QA
    + """Task: Are more people today related to Genghis Khan than Julius Caesar? 
Subgoal to be grounded: Subgoal 1: Obtain the number of the kids that Julius Caesar had.
<|assistant|>
R1 = KnowledgeQuery(Julius Caesar); R2 = ParagraphRetrieve(R1, Query: How many kids did Julius Caesar have?); R3 = QA([R2], Question: How many kids did Julius Caesar have?)</s>
<|user|>
Subgoal to be grounded: Subgoal 2: Obtain the number of the kids that Genghis Khan had. The grounding could be based on the following results: The execution result for Subgoal 1 is 3.
<|assistant|>
R4 = KnowledgeQuery(Genghis Khan); R5 = ParagraphRetrieve(R4, Query: How many kids did Genghis Khan have?); R6 = QA([R5], Question: How many kids did Genghis Khan have?)</s>
<|user|>
Subgoal to be grounded: Subgoal 3: Determine if Genghis Khan had more kids. The grounding could be based on the following results: The execution result for Subgoal 1 is 3. The execution result for Subgoal 2 is 16.
<|assistant|>
R7 = Calculator(R6 > R3)</s>"""
)

COMPLEX_QA_PLAN_ONETIME = """<|user|>
Please provide a reasonable subgoal-based plan to solve the given task.
Task: Are more people today related to Genghis Khan than Julius Caesar?; Initial Environment Description: None.
<|assistant|>
Subgoal 1: Obtain the number of the kids that Julius Caesar had.; Subgoal 2: Obtain the number of the kids that Genghis Khan had.; Subgoal 3: Determine if Genghis Khan had more kids.</s>"""

COMPLEX_QA_GROUND_ONETIME = (
    "<|user|>\n"
    + prompts.GROUND_PREFIX_COMPLEX_QA
    + """Task: Are more people today related to Genghis Khan than Julius Caesar? 
Subgoals to be grounded: Subgoal 1: Obtain the number of the kids that Julius Caesar had.; Subgoal 2: Obtain the number of the kids that Genghis Khan had.; Subgoal 3: Determine if Genghis Khan had more kids.
<|assistant|>
R1 = KnowledgeQuery(Julius Caesar); R2 = ParagraphRetrieve(R1, Query: How many kids did Julius Caesar have?); R3 = QA([R2], Question: How many kids did Julius Caesar have?); R4 = KnowledgeQuery(Genghis Khan); R5 = ParagraphRetrieve(R4, Query: How many kids did Genghis Khan have?); R6 = QA([R5], Question: How many kids did Genghis Khan have?); R7 = Calculator(R6 > R3)</s>"""
)

LEAH = Record(
    id="maths_0",
    domain="maths",
    task="Leah earned $28 working odd jobs around the neighborhood. She spent a seventh of it on a milkshake and put half of the rest in her savings account. She left the remaining money in her wallet. Her dog got ahold of her wallet and shredded all the money inside but $1. How many dollars did Leah lose?",
    subgoals=[
        "Calculate the amount Leah spent on milkshake.",
        "Calculate Leah's rest money after buying milkshake.",
        "Calculate the amount Leah spent in her savings account.",
        "Calculate the amount Leah remained in her wallet.",
        "Calculate the amount Leah lost after her dog shredded all the money in her wallet.",
    ],
    actions=[
        ["R1 = Calculator(28 * 1/7)"],
        ["R2 = Calculator(28 - R1)"],
        ["R3 = Calculator(R2 / 2)"],
        ["R4 = Calculator(R2 - R3)"],
        ["R5 = Calculator(R4 - 1)"],
    ],
    results=["4", "24", "12", "12", "11"],
)

MATHS_PLAN_ITERATIVE = f"""<|user|>
Please provide a reasonable subgoal-based plan to solve the given task.
Task: {LEAH["task"]}; Initial Environment Description: None.
<|assistant|>
Subgoal 1: Calculate the amount Leah spent on milkshake.</s>
<|user|>
The executed result for Subgoal 1 is 4. Should we stop planning?
<|assistant|>
No, I will keep planning. Subgoal 2: Calculate Leah's rest money after buying milkshake.</s>
<|user|>
The executed result for Subgoal 2 is 24. Should we stop planning?
<|assistant|>
No, I will keep planning. Subgoal 3: Calculate the amount Leah spent in her savings account.</s>
<|user|>
The executed result for Subgoal 3 is 12. Should we stop planning?
<|assistant|>
No, I will keep planning. Subgoal 4: Calculate the amount Leah remained in her wallet.</s>
<|user|>
The executed result for Subgoal 4 is 12. Should we stop planning?
<|assistant|>
No, I will keep planning. Subgoal 5: Calculate the amount Leah lost after her dog shredded all the money in her wallet.</s>
<|user|>
The executed result for Subgoal 5 is 11. Should we stop planning?
<|assistant|>
Yes, I will stop planning.</s>"""

MATHS_GROUND_ITERATIVE = (
    "<|user|>\n"
    + prompts.GROUND_PREFIX_MATHS
    + f"""Task: {LEAH["task"]} 
Subgoal to be grounded: Subgoal 1: Calculate the amount Leah spent on milkshake.
<|assistant|>
R1 = Calculator(28 * 1/7)</s>
<|user|>
Subgoal to be grounded: Subgoal 2: Calculate Leah's rest money after buying milkshake.
<|assistant|>
R2 = Calculator(28 - R1)</s>
<|user|>
Subgoal to be grounded: Subgoal 3: Calculate the amount Leah spent in her savings account.
<|assistant|>
R3 = Calculator(R2 / 2)</s>
<|user|>
Subgoal to be grounded: Subgoal 4: Calculate the amount Leah remained in her wallet.
<|assistant|>
R4 = Calculator(R2 - R3)</s>
<|user|>
Subgoal to be grounded: Subgoal 5: Calculate the amount Leah lost after her dog shredded all the money in her wallet.
<|assistant|>
R5 = Calculator(R4 - 1)</s>"""
)

MATHS_GROUND_ONETIME = (
    "<|user|>\n"
    + prompts.GROUND_PREFIX_MATHS
    + f"""Task: {LEAH["task"]} 
Subgoals to be grounded: Subgoal 1: Calculate the amount Leah spent on milkshake.; Subgoal 2: Calculate Leah's rest money after buying milkshake.; Subgoal 3: Calculate the amount Leah spent in her savings account.; Subgoal 4: Calculate the amount Leah remained in her wallet.; Subgoal 5: Calculate the amount Leah lost after her dog shredded all the money in her wallet.
<|assistant|>
R1 = Calculator(28 * 1/7); R2 = Calculator(28 - R1); R3 = Calculator(R2 / 2); R4 = Calculator(R2 - R3); R5 = Calculator(R4 - 1)</s>"""
)

RICKY = Record(
    id="web_agent_0",
    domain="web_agent",
    task="Find a Ricky Kej track to listen and share which has been added in the last year and is between 2 to 10 minutes.",
    subgoals=["Type Ricky Kej to search his songs.", "Click on the option to search for Ricky Rej."],
    actions=[
        ["R1 = TYPE(Env, QUERY: Type Ricky Kej to search his songs, TEXT: Ricky Kej)"],
        ["R2 = CLICK(R1, QUERY: Click on the option to search for Ricky Rej)"],
    ],
    results=["", ""],
)

WEB_PLAN_ITERATIVE = """<|user|>
Please provide a reasonable subgoal-based plan to solve the given task.
Task: Find a Ricky Kej track to listen and share which has been added in the last year and is between 2 to 10 minutes.; Initial Environment Description: None.
<|assistant|>
Subgoal 1: Type Ricky Kej to search his songs.</s>
<|user|>
We have already type Ricky Kej to search his songs. Should we stop planning?
<|assistant|>
No, I will keep planning. Subgoal 2: Click on the option to search for Ricky Rej.</s>
<|user|>
We have already click on the option to search for Ricky Rej. Should we stop planning?
<|assistant|>
Yes, I will stop planning.</s>"""

WEB_GROUND_ITERATIVE = (
    "<|user|>\n"
    + prompts.GROUND_PREFIX_WEB_AGENT
    + """Task: Find a Ricky Kej track to listen and share which has been added in the last year and is between 2 to 10 minutes. 
Subgoal to be grounded: Subgoal 1: Type Ricky Kej to search his songs.
<|assistant|>
R1 = TYPE(Env, QUERY: Type Ricky Kej to search his songs, TEXT: Ricky Kej)</s>
<|user|>
Subgoal to be grounded: Subgoal 2: Click on the option to search for Ricky Rej.
<|assistant|>
R2 = CLICK(R1, QUERY: Click on the option to search for Ricky Rej)</s>"""
)


@pytest.mark.parametrize(
    ("record", "module", "formulation", "expected"),
    [
        (GENGHIS, "plan", "iterative", COMPLEX_QA_PLAN_ITERATIVE),
        (GENGHIS, "ground", "iterative", COMPLEX_QA_GROUND_ITERATIVE),
        (GENGHIS, "plan", "onetime", COMPLEX_QA_PLAN_ONETIME),
        (GENGHIS, "ground", "onetime", COMPLEX_QA_GROUND_ONETIME),
        (LEAH, "plan", "iterative", MATHS_PLAN_ITERATIVE),
        (LEAH, "ground", "iterative", MATHS_GROUND_ITERATIVE),
        (LEAH, "ground", "onetime", MATHS_GROUND_ONETIME),
        (RICKY, "plan", "iterative", WEB_PLAN_ITERATIVE),
        (RICKY, "ground", "iterative", WEB_GROUND_ITERATIVE),
    ],
)
def test_training_text_is_lumos_layout(record, module, formulation, expected):
    conversation = to_conversation(record, module, formulation)
    assert training_text(conversation["messages"]) == expected
    assert conversation["dataset"] == record["domain"] and conversation["id"] == record["id"]


def test_maths_onetime_plan_assistant_turn():
    messages = plan_messages(LEAH, "onetime")
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[1]["content"] == "; ".join(f"Subgoal {k}: {s}" for k, s in enumerate(LEAH["subgoals"], 1))


def test_targets_are_assistant_turns_and_their_eos():
    pieces = training_pieces(plan_messages(LEAH, "iterative"))
    targets = "".join(text for text, target in pieces if target)
    assert targets.startswith("Subgoal 1: Calculate the amount Leah spent on milkshake.</s>\nNo, I will keep")
    assert targets.endswith("Yes, I will stop planning.</s>")
    assert "<|user|>" not in targets and "<|assistant|>" not in targets
    assert sum(text == EOS for text, _ in pieces) == len(LEAH["subgoals"]) + 1


def test_planner_prompt_at_inference_is_a_prefix_of_the_training_text():
    """The models layer's train rendering of a half-finished conversation is what training saw."""
    from models.template import render_lumos

    messages = plan_messages(LEAH, "iterative")
    turns = [(m["role"], m["content"]) for m in messages[:5]]  # task, two subgoals, two results
    assert training_text(messages).startswith(render_lumos(turns, "train"))


NATALIA = {
    "id": "gsm8k-train-0",
    "question": "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
    "How many clips did Natalia sell altogether in April and May?",
    "answer": "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n"
    "Natalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72",
}


def test_cot_training_is_the_worked_solution_without_annotations_ending_in_the_answer():
    from training import gsm8k

    conversation = to_conversation(gsm8k.convert(NATALIA), "cot")
    assert conversation["messages"] == [
        {"role": "user", "content": NATALIA["question"]},
        {
            "role": "assistant",
            "content": "Natalia sold 48/2 = 24 clips in May.\n"
            "Natalia sold 48+24 = 72 clips altogether in April and May.\nThe answer is 72.",
        },
    ]
    assert training_text(conversation["messages"], "<|im_end|>").endswith("The answer is 72.<|im_end|>")


def test_cot_training_needs_the_worked_solution():
    from training import gsm8k

    record = gsm8k.convert(NATALIA)
    del record["solution"]
    with pytest.raises(ValueError, match="no worked solution"):
        to_conversation(record, "cot")


def test_integrated_training_is_what_the_integrated_baseline_parses():
    from nodes.integrated import integrated_prompt, parse_integrated
    from training import gsm8k

    record = gsm8k.convert(NATALIA)
    user, assistant = to_conversation(record, "integrated")["messages"]
    assert user["content"] == integrated_prompt(NATALIA["question"], "maths")
    assert assistant["content"] == (
        "Subgoal 1: Natalia sold 48/2 clips in May.\nR1 = Calculator(48 / 2)\n"
        "Subgoal 2: Natalia sold 48+24 clips altogether in April and May.\nR2 = Calculator(48 + R1)"
    )
    steps = parse_integrated(assistant["content"])
    assert [subgoal for subgoal, _ in steps] == record["subgoals"]
