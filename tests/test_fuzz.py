"""Malformed model output never crashes or hangs a graph: the run ends with the error in state."""

import random
import string

import pytest
from fakes import ScriptedModels
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from graphs import iterative, onetime
from nodes.context import Context

HOSTILE = [
    "",
    "\n",
    "Subgoal 1",
    "Subgoal 1: Calculate the total number of",
    "R1 = Calculator(",
    "R1 = Calculator(2 + 3",
    "R1 = Calculator(2 + 3))",
    "R1 = Calculator(((((((((((((((((((((((1",
    "R1 = FooBar(12)",
    "R1 = __import__('os').system('echo pwned')",
    "R1 = Calculator(__import__('os').system('echo pwned'))",
    "R1 = Calculator(9**9**9**9)",
    "R1 = Calculator(10**400 * 10**400)",
    "R1 = Calculator(1e308 * 1e308)",
    "R1 = Calculator(99999999999999999999999999999999999999999 ** 99)",
    "R1 = Calculator(1 / 0)",
    "R1 = Code(import socket; socket.create_connection(('127.0.0.1', 9)))",
    "R1 = Code(while True: pass)",
    "R1 = SolveEquation(x**1000 = 2)",
    # each of these kept sympy busy for minutes before tool calls ran in killable workers
    "R1 = SolveEquation(x**(1/3) + x**(1/5) + x**(1/7) = 2)",
    "R1 = SolveEquation(x**10 + y**3 = 2, y**10 + z = 3, z**10 + w = 1, w**10 + x = 5)",
    "R1 = SolveInequality(x**(1/3) + x**(1/5) + x**(1/7) > 2)",
    "R1 = Code(import sys; sys.stderr.write('e' * 1000000); 1/0)",
    "R1 = Calculator(R99 + 1)",
    "R2, R3 = Calculator(1 + 1)",
    "Output = R7",
    "Yes, I will stop planning.",
    "No, I will keep planning.",
    "Subgoal 1: " + "very " * 2000 + "long.",
    "R1 = Calculator(" + "1+" * 3000 + "1)",
    "; ; ;",
    "R1 = Calculator(2) ; R1 = Calculator(R1 * R1); R1 = Calculator(R1 ** R1)",
]


def random_line(rng: random.Random) -> str:
    alphabet = string.ascii_letters + string.digits + " ()[];:=,.+-*/^_'\"R"
    pieces = [rng.choice(HOSTILE), "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))]
    rng.shuffle(pieces)
    line = "".join(pieces[: rng.randint(1, 2)])
    return line[: rng.randint(0, len(line))] if rng.random() < 0.3 else line  # truncated outputs


def hostile_models(rng: random.Random) -> ScriptedModels:
    planner = FakeListChatModel(responses=[random_line(rng) for _ in range(5)] + ["Subgoal 1: Go on."])
    grounder = FakeListChatModel(responses=[random_line(rng) for _ in range(5)])
    return ScriptedModels(planner, grounder)  # type: ignore[arg-type]


@pytest.mark.parametrize("module", [iterative, onetime], ids=["iterative", "onetime"])
@pytest.mark.parametrize("seed", range(25))
@pytest.mark.timeout(120)
def test_malformed_outputs_end_the_run_cleanly(module, seed):
    rng = random.Random(seed)
    graph = module.build(models=hostile_models(rng)).compile()
    context = Context(max_subgoals=4, tool_timeout_s=1.0, max_run_seconds=60.0)
    state = graph.invoke(
        {"task": "How many clips?"}, {"recursion_limit": context.recursion_limit}, context=context
    )
    assert state["stop_reason"] in {"planner", "plan_executed", "max_subgoals", "error"}
    if state["answer"] is None:
        assert state["error"]  # no answer always comes with the reason
    assert len(state["subgoals"]) <= 4
    for action in state["actions"]:
        assert action["ok"] or action["observation"].startswith("Error: ")


@pytest.mark.timeout(120)
def test_each_hostile_grounding_is_handled():
    for line in HOSTILE:
        models = ScriptedModels(
            FakeListChatModel(responses=["Subgoal 1: Do it."]), FakeListChatModel(responses=[line])
        )  # type: ignore[arg-type]
        context = Context(tool_timeout_s=1.0)
        state = onetime.build(models=models).compile().invoke({"task": "t"}, context=context)
        assert state["answer"] is not None or state["error"], line
        assert all(len(a["observation"]) < 8100 for a in state["actions"]), line
        assert "pwned" not in str(state.get("answer")), line
