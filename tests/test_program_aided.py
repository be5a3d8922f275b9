"""Program-aided grounding: worked examples with Code programs, and a run's programs sharing variables.

The programs run in the real bubblewrap sandbox, as a run's Code actions do.
"""

import os

import pytest
from fakes import ScriptedModels, scripted

from domains import EXEMPLARS
from graphs import iterative, onetime
from nodes import conversations, protocol
from nodes.context import Context
from nodes.execute import run_action
from tools import sandbox
from tools.code import as_value
from tools.maths import maths_tools

if not sandbox.available():
    if os.environ.get("LUMOS_REQUIRE_SANDBOX"):
        pytest.fail("the Code sandbox does not work here, and `make test` requires it", pytrace=False)
    pytest.skip("needs bubblewrap, libseccomp and user namespaces", allow_module_level=True)

TASK = "Natalia sold clips to 48 of her friends in April, and half as many in May. How many in all?"


@pytest.mark.parametrize("exemplar", EXEMPLARS["maths"], ids=lambda e: e["task"][:30])
def test_exemplar_programs_reproduce_the_recorded_results(exemplar):
    memory: dict[str, str] = {}
    tools = maths_tools()
    assert len(exemplar["programs"]) == len(exemplar["subgoals"])
    for line, result in zip(exemplar["programs"], exemplar["results"], strict=True):
        for action in protocol.parse_actions(line):
            values, ok = run_action(action, memory, tools)
            assert ok, values
            memory.update(zip(action["outputs"], values, strict=True))
        assert values[-1] == result


def test_the_first_shots_ground_with_programs():
    shown = [e for e in EXEMPLARS["maths"][:4]]
    assert all(line.split(" = ", 1)[1].startswith("Code(") for e in shown for line in e["programs"])


def test_grounder_examples_show_programs_only_when_asked():
    common = {"domain": "maths", "formulation": "onetime", "rendering": "eval", "terse": True}
    plain = conversations.exemplar_ground_turns(EXEMPLARS["maths"][:1], **common)
    programs = conversations.exemplar_ground_turns(EXEMPLARS["maths"][:1], programs=True, **common)
    assert plain[-1][1] == "R1 = Calculator(48 / 2); R2 = Calculator(48 + R1)"
    assert programs[-1][1] == "; ".join(EXEMPLARS["maths"][0]["programs"])
    with pytest.raises(ValueError, match="has no programs"):
        conversations.exemplar_ground_turns(
            [{**EXEMPLARS["maths"][0], "programs": []}], programs=True, **common
        )


def test_a_runs_programs_share_their_variables_and_print_numbers_as_the_calculator_does():
    code = maths_tools()["Code"]
    assert code("april = 48; may = april / 2; print(may)") == "24"  # Python prints 24.0
    assert code("print(april + may)") == "72"  # the earlier program's variables
    with pytest.raises(ValueError, match="NameError"):
        code("print(june)")
    assert code("total = april + may") == "72"  # ends in an assignment: its value is the result
    with pytest.raises(ValueError, match="printed nothing"):
        code("for month in (april, may): pass")
    assert maths_tools()["Code"]("print('may' in dir())") == "False"  # another run starts afresh


def test_printed_values_keep_their_text_unless_they_are_one_number():
    assert as_value("10.0") == "10" and as_value("0.30000000000000004") == "0.3"
    assert as_value("1e400") == "1e400" and as_value("x = 3") == "x = 3" and as_value("[1, 2]") == "[1, 2]"


@pytest.mark.parametrize("graph_module", [iterative, onetime])
def test_a_program_aided_run_executes_programs_across_subgoals(graph_module):
    if graph_module is iterative:
        planner = scripted(
            "Subgoal 1: May.", "No, I will keep planning. Subgoal 2: Total.", "Yes, I will stop planning."
        )
        grounder = scripted(
            "R1 = Code(april = 48; may = april / 2; print(may))", "R2 = Code(print(april + R1))"
        )
    else:
        planner = scripted("Subgoal 1: May. Subgoal 2: Total.")
        grounder = scripted(
            "R1 = Code(april = 48; may = april / 2; print(may)); R2 = Code(print(april + R1))"
        )
    models = ScriptedModels(planner, grounder)
    graph = graph_module.build(models=models).compile()
    state = graph.invoke({"task": TASK}, context=Context(program_aided=True, constrained=False))
    assert state["answer"] == "72" and state["error"] is None
    shown = "\n".join(m.text for m in grounder.prompts[0])
    assert "R1 = Code(april = 48; may = april / 2; print(may))" in shown  # the examples' programs
    assert "Calculator(48 / 2)" not in shown
