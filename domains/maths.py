"""The maths domain (GSM8K, SVAMP): Lumos's maths action set, worked examples and answer rule.

Worked examples are GSM8K *train* problems (never dev or test) annotated the way Lumos's converter
writes them: high-level subgoals, one grounded action line per subgoal, and each subgoal's executed
result. The first few (the default shot count) are plain arithmetic, as most grade-school problems
are; the equation example comes last. ``tests/test_exemplars.py`` re-executes every action line
with the real tools and checks the recorded results, so an exemplar never teaches a wrong
computation. The answer is the value of ``Output`` if assigned, else of the highest ``Rk`` (Lumos);
with ``select_answer`` the model names the variable instead (``nodes/select.py``).

Each example also has ``programs``: the same subgoals grounded as Code actions (one-line Python
that names the task's quantities and prints the result) where a program fits, and as equations
where the example is one, for program-aided grounding (``--program-aided``).
"""

from models.registry import ModelProvider
from nodes import protocol
from nodes.calls import ModelCallError
from nodes.context import Context
from nodes.domain import Annotation, Domain, Formulation, Kind, Outcome
from nodes.select import select_variable
from nodes.state import LumosState
from tools import Toolbox
from tools.maths import MATHS_TOOLS, maths_tools

MATHS: list[Annotation] = [
    Annotation(
        task="Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in "
        "May. How many clips did Natalia sell altogether in April and May?",
        subgoals=[
            "Calculate the number of clips Natalia sold in May.",
            "Calculate the total number of clips Natalia sold in April and May.",
        ],
        actions=["R1 = Calculator(48 / 2)", "R2 = Calculator(48 + R1)"],
        programs=[
            "R1 = Code(april = 48; may = april / 2; print(may))",
            "R2 = Code(april = 48; may = R1; print(april + may))",
        ],
        results=["24", "72"],
        reasoning="Natalia sold 48 / 2 = 24 clips in May, so she sold 48 + 24 = 72 clips in April and May. "
        "The answer is 72.",
    ),
    Annotation(
        task="Weng earns $12 an hour for babysitting. Yesterday, she just did 50 minutes of babysitting. "
        "How much did she earn?",
        subgoals=[
            "Calculate how much Weng earns per minute.",
            "Calculate how much Weng earned for 50 minutes of babysitting.",
        ],
        actions=["R1 = Calculator(12 / 60)", "R2 = Calculator(R1 * 50)"],
        programs=[
            "R1 = Code(per_hour = 12; minutes_per_hour = 60; print(per_hour / minutes_per_hour))",
            "R2 = Code(per_minute = R1; minutes = 50; print(per_minute * minutes))",
        ],
        results=["0.2", "10"],
        reasoning="Weng earns 12 / 60 = 0.2 dollars per minute, so for 50 minutes she earned 0.2 * 50 = 10 "
        "dollars. The answer is 10.",
    ),
    Annotation(
        task="Betty is saving money for a new wallet which costs $100. Betty has only half of the money "
        "she needs. Her parents decided to give her $15 for that purpose, and her grandparents twice as "
        "much as her parents. How much more money does Betty need to buy the wallet?",
        subgoals=[
            "Calculate how much money Betty has in the beginning.",
            "Calculate how much money Betty's grandparents gave her.",
            "Calculate how much more money Betty needs to buy the wallet.",
        ],
        actions=[
            "R1 = Calculator(100 / 2)",
            "R2 = Calculator(15 * 2)",
            "R3 = Calculator(100 - R1 - 15 - R2)",
        ],
        programs=[
            "R1 = Code(wallet = 100; print(wallet / 2))",
            "R2 = Code(parents = 15; print(parents * 2))",
            "R3 = Code(wallet = 100; saved = R1; parents = 15; grandparents = R2; "
            "print(wallet - saved - parents - grandparents))",
        ],
        results=["50", "30", "5"],
        reasoning="Betty has 100 / 2 = 50 dollars and her grandparents give her 15 * 2 = 30 dollars, so she "
        "still needs 100 - 50 - 15 - 30 = 5 dollars. The answer is 5.",
    ),
    Annotation(
        task="Julie is reading a 120-page book. Yesterday, she was able to read 12 pages and today, she read "
        "twice as many pages as yesterday. If she wants to read half of the remaining pages tomorrow, "
        "how many pages should she read?",
        subgoals=[
            "Calculate the number of pages Julie read today.",
            "Calculate the total number of pages Julie has read since yesterday.",
            "Calculate the number of pages left to be read.",
            "Calculate the number of pages Julie should read tomorrow.",
        ],
        actions=[
            "R1 = Calculator(12 * 2)",
            "R2 = Calculator(12 + R1)",
            "R3 = Calculator(120 - R2)",
            "R4 = Calculator(R3 / 2)",
        ],
        programs=[
            "R1 = Code(yesterday = 12; print(yesterday * 2))",
            "R2 = Code(yesterday = 12; today = R1; print(yesterday + today))",
            "R3 = Code(book = 120; read = R2; print(book - read))",
            "R4 = Code(remaining = R3; print(remaining / 2))",
        ],
        results=["24", "36", "84", "42"],
        reasoning="Julie read 12 * 2 = 24 pages today, so 12 + 24 = 36 pages since yesterday; 120 - 36 = 84 "
        "pages are left, and half of them is 84 / 2 = 42 pages. The answer is 42.",
    ),
    Annotation(
        task="James writes a 3-page letter to 2 different friends twice a week. How many pages does he write "
        "a year?",
        subgoals=[
            "Calculate the number of pages James writes each time he writes to his friends.",
            "Calculate the number of pages James writes every week.",
            "Calculate the number of pages James writes in a year of 52 weeks.",
        ],
        actions=["R1 = Calculator(3 * 2)", "R2 = Calculator(R1 * 2)", "R3 = Calculator(R2 * 52)"],
        programs=[
            "R1 = Code(pages = 3; friends = 2; print(pages * friends))",
            "R2 = Code(per_time = R1; times_per_week = 2; print(per_time * times_per_week))",
            "R3 = Code(per_week = R2; weeks = 52; print(per_week * weeks))",
        ],
        results=["6", "12", "624"],
        reasoning="Each time James writes 3 * 2 = 6 pages; twice a week that is 6 * 2 = 12 pages, and in 52 "
        "weeks 12 * 52 = 624 pages. The answer is 624.",
    ),
    Annotation(
        task="A deep-sea monster rises from the waters once every hundred years to feast on a ship and "
        "sate its hunger. Over three hundred years, it has consumed 847 people. Ships have been built "
        "larger over time, so each new ship has twice as many people as the last ship. How many people "
        "were on the ship the monster ate in the first hundred years?",
        subgoals=[
            "Set up an equation for the number of people on the first ship, where each later ship "
            "carries twice as many as the one before.",
            "Solve the equation for the number of people on the first ship.",
        ],
        actions=[
            "R1 = SetEquation(x + 2*x + 4*x = 847)",
            "R2 = SolveEquation(R1)",
        ],
        programs=["R1 = SetEquation(x + 2*x + 4*x = 847)", "R2 = SolveEquation(R1)"],
        results=["x + 2*x + 4*x = 847", "121"],
        reasoning="If the first ship carried x people, the second carried 2*x and the third 4*x, "
        "so x + 2*x + 4*x = 847 and x = 121. The answer is 121.",
    ),
]


def toolbox(models: ModelProvider, context: Context, state: LumosState | None = None) -> Toolbox:
    """Return the maths tools of one run, each call bounded by its ``tool_timeout_s``.

    Earlier turns' Code programs that succeeded (Lumos-I) are handed on, so later ones see their variables.
    """
    done = state.get("actions", []) if state else []
    memory = state.get("memory", {}) if state else {}
    programs = [protocol.substitute(a["args"], memory) for a in done if a["name"] == "Code" and a["ok"]]
    return maths_tools(context.tool_timeout_s, programs)


def final_value(memory: dict[str, str]) -> Outcome:
    """Return (answer, error): Lumos takes ``Output`` if assigned, else the highest ``Rk``."""
    name = protocol.final_variable(memory)
    if name is None:
        return None, "no action was executed, so there is no answer"
    value = memory[name]
    if value.startswith(protocol.ERROR_PREFIX):
        return None, f"the final variable {name} has no value: {value.removeprefix(protocol.ERROR_PREFIX)}"
    return value, None


def answer(state: LumosState, context: Context, models: ModelProvider, formulation: Formulation) -> Outcome:
    """Return the run's answer: the final variable's value, or the one the model selects."""
    memory = state.get("memory", {})
    value, error = final_value(memory)
    if error is None and context.select_answer and context.profile == "instruct":
        try:
            name = select_variable(models, context, state["task"], state.get("actions", []), memory)
        except ModelCallError:  # the selection prompt does not fit: keep Lumos's last variable
            name = None
        value = memory[name] if name else value
    return value, error


def answer_kind(context: Context) -> Kind:
    """Return what a maths answer is: a number."""
    return "maths"


DOMAIN = Domain(
    name="maths",
    actions=frozenset(MATHS_TOOLS),
    toolbox=toolbox,
    answer=answer,
    exemplars=tuple(MATHS),
    answer_kind=answer_kind,
)
