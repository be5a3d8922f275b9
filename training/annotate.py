"""LLM annotations: Lumos's conversion prompt (lumos-reference §7) run with any chat model.

Lumos had GPT-4 rewrite each worked solution into subgoals with numbered actions
(``Subgoal 1: ...`` then ``Action 1-1: R1 = Calculator(2 - 0.5) = 1.5``); here the same prompt goes
to any chat model spec (a local GGUF by default), and the reply is parsed into the unified format.
The prompt strings are copied verbatim from allenai/lumos ``data/prompt_convertion.py`` and
``data/incontext.py`` (MIT), typos and missing spaces included, and pinned by golden tests.
"""

import re
from collections.abc import Mapping
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from evaluation.metrics import gold_number
from nodes import protocol
from training.records import Record

MAX_TOKENS = 500  # as Lumos asked GPT-4 for maths and QA

# verbatim: lumos data/prompt_convertion.py (system_info; "list" + "into" has no space)
SYSTEM = (
    "You are a helpful assist to convert natural language plans or structural action list"
    "into subgoal-based plans and their corresponding structured actions."
)
USER = "{instruction}Task: {task}\n\nNatural language plan: {plan}\n\n"

# verbatim: lumos data/incontext.py (instruction_maths_gsm, used for GSM8K and ASDiv)
INSTRUCTION_MATHS_GSM = (
    "Please convert natural language plans into a series of subgoals and their corresponding actionsthat lead to the successful implementation with respect to the given instructions. Please use 'R[number]' to represent the intermediate results for each subgoal, without generatingany exact values. Please also use functions to represent the corresponding actions. For the actions, they must be one of 'Calculator', 'SolveEquation', 'Count', and 'Define'.\n"  # noqa: E501
    "\n"
    "Example 1:\n"
    "Task: Peter goes to the store to buy a soda. The soda costs $.25 an ounch. He brought $2 with him and leaves with $.50. How many ounces of soda did he buy?\n"  # noqa: E501
    "\n"
    "Natural language plan:\n"
    "He spend $1.5 on soda because 2 - .5 = <<2-.5=1.5>>1.5 He bought 6 ounces of soda because 1.5 / .25 = <<6=6>>6\n"  # noqa: E501
    "\n"
    "Subgoal-based plan:\n"
    "Subgoal 1: Calculate how much the soda costs in total.\n"
    "Action 1-1: R1 = Calculator(2 - 0.5) = 1.5 \n"
    "\n"
    "Subgoal 2: Calculate the ounces of soda the price per ounch.\n"
    "Action 2-1: R2 = Calculator(R1 / 0.25) = 6 \n"
    "\n"
    "Example 2:\n"
    "Task: Leah earned $28 working odd jobs around the neighborhood. She spent a seventh of it on a milkshake and put half of the rest in her savings account. She left the remaining money in her wallet. Her dog got ahold of her wallet and shredded all the money inside but $1. How many dollars did Leah lose?\n"  # noqa: E501
    "\n"
    "Natural language plan: Leah spent 28 * 1/7 = $<<28/7=4>>4 on a milkshake. She had 28 - 4 = $<<28-4=24>>24 left. She put half in her savings account and half in her wallet, so she had 24 / 2 = $<<24/2=12>>12 in her wallet. Her dog shredded all the money in her wallet but $1, so Leah lost 12 - 1 = $<<12-1=11>>11.\n"  # noqa: E501
    "\n"
    "Subgoal-based plan:\n"
    "Subgoal 1: Calculate the amount Leah spent on milkshake.\n"
    "Action 1-1: R1 = Calculator(28 * 1/7) = 4 \n"
    "\n"
    "Subgoal 2: Calculate Leah's rest money after buying milkshake.\n"
    "Action 2-1: R2 = Calculator(28 - R1) = 24 \n"
    "\n"
    "Subgoal 3: Calculate the amount Leah spent in her savings account.\n"
    "Action 3-1: R3 = Calculator(R2 / 2) = 12 \n"
    "\n"
    "Subgoal 4: Calculate the amount Leah remained in her wallet.\n"
    "Action 4-1: R4 = Calculator(R2 - R3) = 12 \n"
    "\n"
    "Subgoal 5: Calculate the amount Leah lost after her dog shredded all the money in her wallet.\n"
    "Action 5-1: R5 = Calculator(R4 - 1) = 11 \n"
    "\n"
    "Example 3:\n"
    "Task: Mrs. Snyder used to spend 40% of her monthly income on rent and utilities. Her salary was recently increased by $600 so now her rent and utilities only amount to 25% of her monthly income. How much was her previous monthly income?\n"  # noqa: E501
    "\n"
    "Natural language plan:\n"
    "Let her previous monthly income be p The cost of her rent and utilities was 40% of p which is (40/100)*p = 2p/5 Her income was increased by $600 so it is now p+$600 The cost of her rent and utilities now amount to 25% of (p+$600) which is (25/100)*(p+$600) = (p+$600)/4 Equating both expressions for cost of rent and utilities: 2p/5 = (p+$600)/4 Multiplying both sides of the equation by 20 gives 8p = 5p+$3000 Subtracting 5p from both sides gives: 3p = $3000 Dividing both sides by 3 gives p = $1000\n"  # noqa: E501
    "\n"
    "Subgoal-based plan:\n"
    "Subgoal 1: Define Snyder's previous monthly income be p.\n"
    "Action 1-1: R1 = Define(p) = p \n"
    "\n"
    "Subgoal 2: Calculate the amount that Mrs. Snyder used to spend for rent and utilities in terms of p.\n"
    "Action 2-1: R2 = Calculator(40% * p) = 2p/5 \n"
    "\n"
    "Subgoal 3: Calculate the increased salary.\n"
    "Action 3-1: R3 = Calculator(p + 600) = p + 600 \n"
    "\n"
    "Subgoal 4: Calculate the amount that Mrs. Snyder used to spend for rent and utilities based on the increased salary.\n"  # noqa: E501
    "Action 4-1: R4 = Calculator(25% * R3) = (p + 600)/4 \n"
    "\n"
    "Subgoal 5: Setup equations and solve p.\n"
    "Action 5-1: R5 = SolveEquation(R2 = R4) = 1000 \n"
    "\n"
    "Example 4:\n"
    "Ralph is going to practice playing tennis with a tennis ball machine that shoots out tennis balls for Ralph to hit. He loads up the machine with 175 tennis balls to start with. Out of the first 100 balls, he manages to hit 2/5 of them. Of the next 75 tennis balls, he manages to hit 1/3 of them. Out of all the tennis balls, how many did Ralph not hit?\n"  # noqa: E501
    "\n"
    "Natural language plan: Out of the first 100 balls, Ralph was able to hit 2/5 of them and not able to hit 3/5 of them, 3/5 x 100 = 60 tennis balls Ralph didn't hit. Out of the next 75 balls, Ralph was able to hit 1/3 of them and not able to hit 2/3 of them, 2/3 x 75 = 50 tennis balls that Ralph didn't hit. Combined, Ralph was not able to hit 60 + 50 = <<60+50=110>>110 tennis balls Ralph didn't hit.\n"  # noqa: E501
    "\n"
    "Subgoal-based plan:\n"
    "Subgoal 1: Calculate the tennis balls Ralph didn't hit for the first 100 balls.\n"
    "Action 1-1: R1 = Calculator(1 - 2/5) = 3/5 \n"
    "Action 1-2: R2 = Calculator(100 * R1) = 60 \n"
    "\n"
    "Subgoal 2: Calculate the tennis balls Ralph didn't hit for the next 75 balls.\n"
    "Action 2-1: R3 = Calculator(1 - 1/3) = 2/3 \n"
    "Action 2-2: R4 = Calculator(75 * R3) = 50 \n"
    "\n"
    "Subgoal 3: Calculate the total number of the tennis balls Ralph didn't hit.\n"
    "Action 3-1: R5 = SolveEquation(R2 + R4) = 110 \n"
    "\n"
    "Example 5:\n"
    "Tina makes $18.00 an hour. If she works more than 8 hours per shift, she is eligible for overtime, which is paid by your hourly wage + 1/2 your hourly wage. If she works 10 hours every day for 5 days, how much money does she make?\n"  # noqa: E501
    "\n"
    "Natural language plan: She works 8 hours a day for $18 per hour so she makes 8*18 = $<<8*18=144.00>>144.00 per 8-hour shift She works 10 hours a day and anything over 8 hours is eligible for overtime, so she gets 10-8 = <<10-8=2>>2 hours of overtime Overtime is calculated as time and a half so and she makes $18/hour so her overtime pay is 18*.5 = $<<18*.5=9.00>>9.00 Her overtime pay is 18+9 = $<<18+9=27.00>>27.00 Her base pay is $144.00 per 8-hour shift and she works 5 days and makes 5 * $144 = $<<144*5=720.00>>720.00 Her overtime pay is $27.00 per hour and she works 2 hours of overtime per day and makes 27*2 = $<<27*2=54.00>>54.00 in overtime pay 2 hours of overtime pay for 5 days means she makes 54*5 = $270.00 In 5 days her base pay is $720.00 and she makes $270.00 in overtime pay so she makes $720 + $270 = $<<720+270=990.00>>990.00\n"  # noqa: E501
    "\n"
    "Subgoal-based plan:\n"
    "Subgoal 1: Calculate the wage if she works 8 hours a day for $18 per hour.\n"
    "Action 1-1: R1 = Calculator(8 * 18) = 144 \n"
    "\n"
    "Subgoal 2: Calculate the amount of overtime if she works 10 hours.\n"
    "Action 2-1: R2 = Calculator(10 - 8) = 2 \n"
    "\n"
    "Subgoal 3: Calculate the overtime pay per hour.\n"
    "Action 3-1: R3 = Calculator(18 + 1/2 * 18) = 27 \n"
    "\n"
    "Subgoal 4: Calculate the overtime pay per day.\n"
    "Action 4-1: R4 = Calculator(R2 * R3) = 54 \n"
    "\n"
    "Subgoal 5: Calculate the base pay for 5 days.\n"
    "Action 5-1: R5 = Calculator(R1 * 5) = 720 \n"
    "\n"
    "Subgoal 6: Calculate the overtime pay for 5 days.\n"
    "Action 6-1: R6 = Calculator(R4 * 5) = 270 \n"
    "\n"
    "Subgoal 7: Calculate the total pay for 5 days.\n"
    "Action 7-1: R7 = Calculator(R5 + R6) = 990 \n"
    "\n"
    "Example 6:\n"
    "Toby is counting goldfish in the local pond. He knows that only 25% of goldfish are at the surface and the rest are too deep below the surface to be able to see. If he counts 15 goldfish, how many are below the surface?\n"  # noqa: E501
    "\n"
    "Natural language plan: There are 60 goldfish because 15 / .25 = <<15/.25=60>>60 There are 45 goldfish below the surface because 60 x (1-0.25) = <<60*(1-0.25)=45>>45\n"  # noqa: E501
    "\n"
    "Subgoal-based plan:\n"
    "Subgoal 1: Calculate the total number of goldfish in the local pond.\n"
    "Action 1-1: R1 = Calculator(15 / 25%) = 60 \n"
    "\n"
    "Subgoal 2: Calculate the ratio of goldfish below the surface.\n"
    "Action 2-1: R2 = Calculator(1 - 25%) = 0.75 \n"
    "\n"
    "Subgoal 3: Calculate the number of goldfish below the surface.\n"
    "Action 3-1: R3 = Calculator(R1 * R2) = 45 \n"
    "\n"
    "Now please help us generate a plan consisting of subgoals according to the following instruction and its natural language plan!\n"  # noqa: E501
    "\n"
)

_SUBGOAL = re.compile(r"^\s*Subgoal\s*(?P<index>\d+)\s*:\s*(?P<text>.*?)\s*$")
_ACTION = re.compile(r"^\s*Action\s*\d+\s*-\s*\d+\s*:\s*(?P<text>.*?)\s*$")
_CALL = re.compile(r"^\s*[A-Za-z_]\w*\s*\(")


class AnnotationError(ValueError):
    """A model's conversion cannot be parsed into subgoals and actions; the message says why."""


def gsm8k_plan(answer: str) -> str:
    """Return a GSM8K worked solution as one paragraph, the way Lumos passed it to GPT-4."""
    return " ".join(line.strip() for line in answer.split("####")[0].strip().splitlines() if line.strip())


def conversion_prompt(task: str, plan: str, instruction: str = INSTRUCTION_MATHS_GSM) -> tuple[str, str]:
    """Return the system and user messages that ask a model to convert a natural-language plan."""
    return SYSTEM, USER.format(instruction=instruction, task=task, plan=plan)


def split_action(text: str) -> tuple[str, str]:
    """Split ``R1 = Calculator(2 - 0.5) = 1.5`` into the action and its annotated result ``1.5``."""
    lhs, _, rhs = text.partition("=")
    if _CALL.match(rhs):
        depth = 0
        for i, char in enumerate(rhs):
            depth += (char == "(") - (char == ")")
            if char == ")" and depth == 0:
                result = rhs[i + 1 :].strip().removeprefix("=").strip()
                return f"{lhs.strip()} = {rhs[: i + 1].strip()}", result
        raise AnnotationError(f"unbalanced parentheses in {text!r}")
    middle, _, result = rhs.partition("=")  # a passthrough: "Output = R9 = 40"
    return f"{lhs.strip()} = {middle.strip()}", result.strip()


def parse_subgoal_plan(text: str) -> tuple[list[str], list[list[str]], list[str]]:
    """Return the subgoals, actions and annotated results of a ``Subgoal-based plan`` reply.

    Actions are re-rendered in the grounder's form (``R1 = Calculator(2 - 0.5)``, results dropped)
    and ``Output`` becomes the next R-variable, as Lumos's ``process_for_train.py`` does.
    """
    start = text.find("Subgoal 1")
    if start == -1:
        raise AnnotationError("the reply has no `Subgoal 1`")
    subgoals: list[str] = []
    actions: list[list[str]] = []
    results: list[str] = []
    highest = 0
    for line in text[start:].splitlines():
        if subgoal := _SUBGOAL.match(line):
            if int(subgoal["index"]) != len(subgoals) + 1:
                raise AnnotationError(f"subgoal {subgoal['index']} is out of order")
            subgoals.append(subgoal["text"])
            actions.append([])
            results.append("")
        elif (step := _ACTION.match(line)) and subgoals:
            call, result = split_action(step["text"])
            action = protocol.parse_action(call)
            action["outputs"] = [f"R{highest + 1}" if v == protocol.OUTPUT else v for v in action["outputs"]]
            highest = max([highest, *(protocol.variable_index(v) for v in action["outputs"])])
            actions[-1].append(protocol.render_action(action))
            results[-1] = result
    if not subgoals:
        raise AnnotationError("the reply has no subgoals")
    if not all(actions):
        raise AnnotationError("a subgoal has no actions")  # Lumos drops these too
    return subgoals, actions, results


def convert(row: Mapping[str, Any], model: BaseChatModel, *, source: str = "llm") -> Record:
    """Return the annotation a chat model makes of one GSM8K row, or raise AnnotationError."""
    system, user = conversion_prompt(str(row["question"]).strip(), gsm8k_plan(str(row["answer"])))
    reply = model.invoke([SystemMessage(content=system), HumanMessage(content=user)])
    try:
        subgoals, actions, results = parse_subgoal_plan(reply.text)
    except protocol.ParseError as err:
        raise AnnotationError(f"an action does not parse: {err}") from err
    return Record(
        id=str(row.get("id", "")),
        domain="maths",
        task=str(row["question"]).strip(),
        subgoals=subgoals,
        actions=actions,
        results=results,
        answer=gold_number(str(row["answer"])),
        source=source,
    )
