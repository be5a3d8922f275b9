"""Golden tests: the prompts the agent sends equal the strings Lumos's own code builds.

Each expected string below is assembled the way allenai/lumos does it (eval/*/run_eval.py for the
eval rendering, model/finetune.py::encode_with_messages_format for the training rendering), from
the literals quoted in lumos-reference.md.
"""

import pytest

from domains import EXEMPLARS
from models.template import render_lumos
from nodes import conversations, prompts

# verbatim from lumos-reference.md §2.1 (Python literals of data/process_for_train.py)
LUMOS_GROUND_PREFIX_MATHS = "Please ground the given subgoal to corresponding executable actions for solving the given task. The grounded actions must be the one in available action list.\n\nThe available action list is 'Calculator', 'SetEquation', 'SolveEquation', 'Count', 'SolveInequality', 'Code', and 'Define'.\nCalculator(formula): Calculate the input formula; SetEquation(equation): Set up an equation to be solved; SolveEquation(equation): Solve the previous set equation; Count(list): Count the number of elements in the given list; SolveInequality(inequality): Solve the previous set inequality; Code(pseudo_code): Generate a Python function that corresponds to the pseudo code; Define(variable/number): Define a variable or a number for latter usage.\n\n"
LUMOS_GROUND_PREFIX_COMPLEX_QA = "Please ground the given subgoal to corresponding executable actions for solving the given task. The grounded actions must be the one in available action list.\n\nThe available action list is 'KnowledgeQuery', 'ParagraphRetrieve', 'QA', 'Calculator', and 'Code'.\nCalculator(formula): Calculate the input formula; KnowledgeQuery(query): Capture the relevant webpages according to the query; ParagraphRetrieve(context, query): Given a query, retrieve the most relevant paragraphs from the given context; QA(context, query): Given context, answer the given query; Calculator(formula): Calculate the input formula; Code(pseudo_code): Generate a Python function that corresponds to the pseudo code.\n\n"
LUMOS_GROUND_PREFIX_WEB_AGENT = "Please ground the given subgoal to corresponding executable actions for solving the given task. The grounded actions must be the one in available action list.\n\nThe available action list is 'CLICK', 'TYPE', 'SELECT'.\nCLICK(Env, Query): Click the relevant html region in Env according to Query; TYPE(Env, Query, Text): Type Text into the relevant html region in Env according to Query; SELECT(Env, Query, Text): Select the value Text of the relevant selection box in Env according to Query.\n\n"
LUMOS_PLAN_PREFIX = "Please provide a reasonable subgoal-based plan to solve the given task.\n"

TASK = "Leah earned $28 working odd jobs around the neighborhood. She spent a seventh of it on a milkshake and put half of the rest in her savings account. She left the remaining money in her wallet. Her dog got ahold of her wallet and shredded all the money inside but $1. How many dollars did Leah lose?"
SUBGOALS = [
    "Calculate the amount Leah spent on milkshake.",
    "Calculate Leah's rest money after buying milkshake.",
    "Calculate the money Leah put in her savings account.",
]
ACTIONS = ["R1 = Calculator(28 * 1/7)", "R2 = Calculator(28 - R1)", "R3 = Calculator(R2 / 2)"]
RESULTS = ["4", "24", "12"]


def encode_with_messages_format(messages):
    """Lumos model/finetune.py, with tokenizer.eos_token = "</s>" (BOS is a token, added by the tokenizer)."""
    text = ""
    for m in messages:
        if m["role"] == "user":
            text += "<|user|>\n" + m["content"].strip() + "\n"
        elif m["role"] == "assistant":
            text += "<|assistant|>\n" + m["content"].strip() + "</s>" + "\n"
    return text.strip()


def test_verbatim_constants():
    assert prompts.GROUND_PREFIX["maths"] == LUMOS_GROUND_PREFIX_MATHS
    assert prompts.GROUND_PREFIX["complex_qa"] == LUMOS_GROUND_PREFIX_COMPLEX_QA
    assert prompts.GROUND_PREFIX["web_agent"] == LUMOS_GROUND_PREFIX_WEB_AGENT
    assert prompts.PLAN_PREFIX == LUMOS_PLAN_PREFIX
    assert LUMOS_GROUND_PREFIX_COMPLEX_QA.count("Calculator(formula): Calculate the input formula") == 2


def test_toolbox_keys_equal_the_maths_catalogue():
    from domains import DOMAINS
    from nodes.context import Context

    catalogue = LUMOS_GROUND_PREFIX_MATHS.split("The available action list is ")[1].split(".\n")[0]
    names = {part.strip(" '") for part in catalogue.replace(", and ", ", ").split(", ")}
    assert set(DOMAINS["maths"].toolbox(None, Context(), None)) == names


# --- eval rendering: eval/gsm/run_eval.py string building -----------------------------------------


def lumos_eval_plan_prompt(q, outputs, results):
    prompt = (
        "<|user|>\n"
        + LUMOS_PLAN_PREFIX
        + "Task: "
        + q
        + "; Initial Environment Description: None.\n<|assistant|>\n"
    )
    for i, (out, res) in enumerate(zip(outputs, results, strict=True), start=1):
        prompt += (
            out.strip()
            + f"\n\n<|user|>\nThe executed result for Subgoal {i} is {res}. Should we stop planning?\n<|assistant|>\n"
        )
    return prompt


def lumos_eval_ground_prompt(q, raw_subgoals, actions):
    prompt = (
        "<|user|>\n"
        + LUMOS_GROUND_PREFIX_MATHS
        + "Task: "
        + q
        + f" \nSubgoal to be grounded: {raw_subgoals[0].strip()}\n<|assistant|>\n"
    )
    for j, act in enumerate(actions, start=1):
        prompt += (
            act.strip() + f"\n\n<|user|>\nSubgoal to be grounded: {raw_subgoals[j].strip()}\n<|assistant|>\n"
        )
    return prompt


RAW_PLAN_OUTPUTS = [
    "Subgoal 1: " + SUBGOALS[0],
    "No, I will keep planning. Subgoal 2: " + SUBGOALS[1],
    "No, I will keep planning. Subgoal 3: " + SUBGOALS[2],
]


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_iterative_plan_prompt_eval_rendering(k):
    turns = conversations.plan_conversation(
        TASK, SUBGOALS[:k], RESULTS[:k], formulation="iterative", rendering="eval"
    )
    assert render_lumos(turns, "eval") == lumos_eval_plan_prompt(TASK, RAW_PLAN_OUTPUTS[:k], RESULTS[:k])


@pytest.mark.parametrize("k", [1, 2, 3])
def test_iterative_ground_prompt_eval_rendering_keeps_the_maths_quirk(k):
    turns = conversations.ground_conversation(
        TASK, SUBGOALS[:k], ACTIONS[: k - 1], domain="maths", formulation="iterative", rendering="eval"
    )
    expected = lumos_eval_ground_prompt(TASK, RAW_PLAN_OUTPUTS[:k], ACTIONS[: k - 1])
    assert render_lumos(turns, "eval") == expected
    if k > 1:
        assert "Subgoal to be grounded: No, I will keep planning. Subgoal 2:" in expected


def test_onetime_prompts_eval_rendering():
    plan = "; ".join(f"Subgoal {i}: {s}" for i, s in enumerate(SUBGOALS, start=1))
    plan_turns = conversations.plan_conversation(TASK, [], [], formulation="onetime", rendering="eval")
    assert render_lumos(plan_turns, "eval") == (
        "<|user|>\n"
        + LUMOS_PLAN_PREFIX
        + "Task: "
        + TASK
        + "; Initial Environment Description: None.\n<|assistant|>\n"
    )
    ground_turns = conversations.ground_conversation(
        TASK, SUBGOALS, [], domain="maths", formulation="onetime", rendering="eval"
    )
    assert render_lumos(ground_turns, "eval") == (
        "<|user|>\n"
        + LUMOS_GROUND_PREFIX_MATHS
        + "Task: "
        + TASK
        + f" \nSubgoals to be grounded: {plan.strip()}\n<|assistant|>\n"
    )


# --- training rendering: the prompt is the training text up to the assistant header ------------


def lumos_training_messages_plan_iterative():
    messages = [
        {
            "role": "user",
            "content": LUMOS_PLAN_PREFIX + f"Task: {TASK}; Initial Environment Description: None.",
        }
    ]
    for i, (s, r) in enumerate(zip(SUBGOALS, RESULTS, strict=True), start=1):
        head = "" if i == 1 else "No, I will keep planning. "
        messages.append({"role": "assistant", "content": f"{head}Subgoal {i}: {s}"})
        messages.append(
            {
                "role": "user",
                "content": f"The executed result for Subgoal {i} is {r}. Should we stop planning?",
            }
        )
    messages.append({"role": "assistant", "content": "Yes, I will stop planning."})
    return messages


def lumos_training_messages_ground_iterative():
    messages = []
    for i, (s, a) in enumerate(zip(SUBGOALS, ACTIONS, strict=True), start=1):
        if i == 1:
            content = LUMOS_GROUND_PREFIX_MATHS + f"Task: {TASK} \nSubgoal to be grounded: Subgoal 1: {s}"
        else:
            content = f"Subgoal to be grounded: Subgoal {i}: {s}"
        messages += [{"role": "user", "content": content}, {"role": "assistant", "content": a}]
    return messages


def prompt_before_assistant_turn(messages, n):
    """The training text of the first n messages plus the header of the next assistant turn."""
    return encode_with_messages_format(messages[:n]) + "\n<|assistant|>\n"


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_iterative_plan_prompt_train_rendering(k):
    turns = conversations.plan_conversation(
        TASK, SUBGOALS[:k], RESULTS[:k], formulation="iterative", rendering="train"
    )
    expected = prompt_before_assistant_turn(lumos_training_messages_plan_iterative(), 2 * k + 1)
    assert render_lumos(turns, "train") == expected


@pytest.mark.parametrize("k", [1, 2, 3])
def test_iterative_ground_prompt_train_rendering(k):
    turns = conversations.ground_conversation(
        TASK, SUBGOALS[:k], ACTIONS[: k - 1], domain="maths", formulation="iterative", rendering="train"
    )
    expected = prompt_before_assistant_turn(lumos_training_messages_ground_iterative(), 2 * k - 1)
    assert render_lumos(turns, "train") == expected


def test_full_training_conversation_renders_like_finetune():
    messages = lumos_training_messages_plan_iterative()
    turns = conversations.plan_conversation(
        TASK, SUBGOALS, RESULTS, formulation="iterative", rendering="train", stopped=True
    )
    assert [{"role": r, "content": t} for r, t in turns] == messages


def test_train_feedback_drops_the_result_period_eval_keeps_it():
    assert (
        conversations.plan_feedback(1, "3.", rendering="train")
        == "The executed result for Subgoal 1 is 3. Should we stop planning?"
    )
    assert (
        conversations.plan_feedback(1, "3.", rendering="eval")
        == "The executed result for Subgoal 1 is 3.. Should we stop planning?"
    )


def test_exemplars_render_as_complete_conversations():
    exemplars = EXEMPLARS["maths"][:2]
    plan_turns = conversations.exemplar_plan_turns(exemplars, formulation="iterative", rendering="eval")
    assert [r for r, _ in plan_turns].count("user") == sum(1 + len(e["subgoals"]) for e in exemplars)
    assert plan_turns[-1] == ("assistant", "Yes, I will stop planning.")
    ground_turns = conversations.exemplar_ground_turns(
        exemplars, domain="maths", formulation="onetime", rendering="eval"
    )
    assert ground_turns[1] == ("assistant", "; ".join(exemplars[0]["actions"]))


def test_terse_instruct_rendering_drops_the_keep_planning_prefix_everywhere():
    plan = conversations.plan_conversation(
        TASK, SUBGOALS[:2], RESULTS[:2], formulation="iterative", rendering="eval", terse=True
    )
    assert plan[3] == ("assistant", "Subgoal 2: " + SUBGOALS[1])
    ground = conversations.ground_conversation(
        TASK, SUBGOALS[:2], ACTIONS[:1], domain="maths", formulation="iterative", rendering="eval", terse=True
    )
    assert ground[-1] == ("user", "Subgoal to be grounded: Subgoal 2: " + SUBGOALS[1])
