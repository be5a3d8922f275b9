"""Worked examples in the Lumos format, shown to general instruct models (the `instruct` profile).

Each is a GSM8K *train* problem (never dev or test) annotated the way Lumos's converter writes
them: high-level subgoals, one grounded action line per subgoal, and each subgoal's executed
result. They are ordered so that the first few (the default shot count) are plain arithmetic, as
most grade-school problems are; the equation example comes last. ``tests/test_exemplars.py``
re-executes every action line with the project's tools and checks the recorded results, so an
exemplar can never teach a wrong computation.
"""

from typing import NotRequired

from typing_extensions import TypedDict


class Annotation(TypedDict):
    """One annotated task in the unified Lumos format."""

    task: str
    subgoals: list[str]  # descriptions, without the "Subgoal k: " head
    actions: list[str]  # the grounded action line of each subgoal
    results: list[str]  # the executed result of each subgoal (its last action's value)
    reasoning: NotRequired[str]  # one-line worked solution ending `The answer is N.` (--plan-reasoning)


MATHS: list[Annotation] = [
    Annotation(
        task="Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in "
        "May. How many clips did Natalia sell altogether in April and May?",
        subgoals=[
            "Calculate the number of clips Natalia sold in May.",
            "Calculate the total number of clips Natalia sold in April and May.",
        ],
        actions=["R1 = Calculator(48 / 2)", "R2 = Calculator(48 + R1)"],
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
        results=["x + 2*x + 4*x = 847", "121"],
        reasoning="If the first ship carried x people, the second carried 2*x and the third 4*x, "
        "so x + 2*x + 4*x = 847 and x = 121. The answer is 121.",
    ),
]


def _qa(question: str, answer: str) -> str:
    """Return a QA action's result as the QA tool writes it."""
    return f"Question: {question}; Answer: {answer}"


def _lookup(first: int, page: str, question: str) -> str:
    """Return the KnowledgeQuery, ParagraphRetrieve, QA chain that answers one sub-question."""
    r1, r2, r3 = (f"R{first + k}" for k in range(3))
    return (
        f"{r1} = KnowledgeQuery({page}); {r2} = ParagraphRetrieve({r1}, Query: {question}); "
        f"{r3} = QA([{r2}], Question: {question})"
    )


# Complex QA: written for this project in the layout of Lumos's StrategyQA/MuSiQue annotations
# (the first is Lumos's own in-context example, with its comparison done by QA rather than by an
# operator-deleting Calculator). None is drawn from HotpotQA or StrategyQA dev data. Later
# sub-questions name earlier answers by their variable (R3), so the same annotation serves both
# formulations: Lumos-O grounds them before any result is known.
COMPLEX_QA: list[Annotation] = [
    Annotation(
        task="Which university did the director of the film Jaws attend?",
        subgoals=[
            "Obtain the director of the film Jaws.",
            "Obtain the university that this director attended.",
        ],
        actions=[
            _lookup(1, "Jaws (film)", "Who directed the film Jaws?"),
            _lookup(4, "R3", "Which university did R3 attend?"),
        ],
        results=[
            _qa("Who directed the film Jaws?", "Steven Spielberg"),
            _qa("Which university did Steven Spielberg attend?", "California State University, Long Beach"),
        ],
    ),
    Annotation(
        task="Are more people today related to Genghis Khan than Julius Caesar?",
        subgoals=[
            "Obtain the number of the kids that Julius Caesar had.",
            "Obtain the number of the kids that Genghis Khan had.",
            "Determine if Genghis Khan had more kids.",
        ],
        actions=[
            _lookup(1, "Julius Caesar", "How many kids did Julius Caesar have?"),
            _lookup(4, "Genghis Khan", "How many kids did Genghis Khan have?"),
            "R7 = QA([R3, R6], Question: Did Genghis Khan have more kids than Julius Caesar?)",
        ],
        results=[
            _qa("How many kids did Julius Caesar have?", "3"),
            _qa("How many kids did Genghis Khan have?", "16"),
            _qa("Did Genghis Khan have more kids than Julius Caesar?", "Yes"),
        ],
    ),
    Annotation(
        task="Who was born first, Albert Einstein or Niels Bohr?",
        subgoals=[
            "Obtain the birth date of Albert Einstein.",
            "Obtain the birth date of Niels Bohr.",
            "Determine who was born first.",
        ],
        actions=[
            _lookup(1, "Albert Einstein", "When was Albert Einstein born?"),
            _lookup(4, "Niels Bohr", "When was Niels Bohr born?"),
            "R7 = QA([R3, R6], Question: Who was born first, Albert Einstein or Niels Bohr?)",
        ],
        results=[
            _qa("When was Albert Einstein born?", "14 March 1879"),
            _qa("When was Niels Bohr born?", "7 October 1885"),
            _qa("Who was born first, Albert Einstein or Niels Bohr?", "Albert Einstein"),
        ],
    ),
    Annotation(
        task="Are the Alps and the Andes on the same continent?",
        subgoals=[
            "Obtain the continent where the Alps are.",
            "Obtain the continent where the Andes are.",
            "Determine if the two continents are the same.",
        ],
        actions=[
            _lookup(1, "Alps", "On which continent are the Alps?"),
            _lookup(4, "Andes", "On which continent are the Andes?"),
            "R7 = QA([R3, R6], Question: Are the Alps and the Andes on the same continent?)",
        ],
        results=[
            _qa("On which continent are the Alps?", "Europe"),
            _qa("On which continent are the Andes?", "South America"),
            _qa("Are the Alps and the Andes on the same continent?", "No"),
        ],
    ),
]

EXEMPLARS: dict[str, list[Annotation]] = {"maths": MATHS, "complex_qa": COMPLEX_QA}
