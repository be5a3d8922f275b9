"""Plan reasoning (--plan-reasoning): a Lumos-O planner writes a worked solution line before its plan."""

import re

import pytest
from fakes import ScriptedModels, scripted
from gbnf import Grammar
from test_graphs import TASK, TOOLS

import cli
from cli import terminal
from domains import EXEMPLARS
from graphs import iterative, onetime, options
from nodes import grammar, prompts, protocol, reason
from nodes.context import Context
from tools.maths import calculator

SKETCH = "She sold 48 / 2 = 24 clips in May, so 48 + 24 = 72 in all."
PLAN = "Subgoal 1: Calculate the clips sold in May.; Subgoal 2: Calculate the total."
GROUND = "R1 = Calculator(48 / 2); R2 = Calculator(48 + R1)"


def run(planner_reply, formulation=onetime, mode="sketch", **context):
    models = ScriptedModels(scripted(planner_reply), scripted(GROUND))
    graph = formulation.build(models=models, tools=TOOLS).compile()
    state = graph.invoke({"task": TASK}, context=Context(plan_reasoning=mode, **context))
    return state, models


def test_split_and_render_are_inverse():
    text = protocol.render_reasoning(SKETCH, PLAN)
    assert text == f"Reasoning: {SKETCH}\n{PLAN}"
    assert protocol.split_reasoning(text) == (SKETCH, PLAN)
    assert protocol.split_reasoning(PLAN) == (None, PLAN)


def test_the_planner_reasons_then_plans_and_the_grounder_sees_the_reasoning():
    state, models = run(protocol.render_reasoning(SKETCH, PLAN))
    assert state["answer"] == "72" and state["reasoning"] == SKETCH
    assert state["subgoals"] == ["Calculate the clips sold in May.", "Calculate the total."]
    planner, grounder = models.by_role["planner"], models.by_role["grounder"]
    assert planner.prompts[0][0].content.endswith(prompts.INSTRUCT_PLAN_SYSTEM_SKETCH)
    shown = [m.content for m in planner.prompts[0] if m.type == "ai"]
    assert shown and all(m.startswith(protocol.REASONING) for m in shown)  # every worked example reasons
    assert Grammar(planner.calls[0]["grammar"]).accepts(protocol.render_reasoning(SKETCH, PLAN))
    task_turn = grounder.prompts[0][-1].content
    assert f"Task: {TASK}\nThe planner's reasoning: {SKETCH} \nSubgoals to be grounded: {PLAN}" in task_turn
    examples = [m.content for m in grounder.prompts[0][1:-1] if m.type == "human"]
    assert all("The planner's reasoning: " in m for m in examples)


def test_without_the_flag_nothing_changes():
    models = ScriptedModels(scripted(PLAN), scripted(GROUND))
    state = onetime.build(models=models, tools=TOOLS).compile().invoke({"task": TASK}, context=Context())
    assert state["answer"] == "72" and "reasoning" not in state
    assert "reasoning" not in models.by_role["grounder"].prompts[0][-1].content


def test_a_plan_without_its_reasoning_line_is_a_clear_error():
    state, models = run(PLAN, constrained=False)
    assert state["stop_reason"] == "error" and "no `Reasoning:` line" in state["error"]
    assert models.by_role["grounder"].prompts == []


def test_plan_reasoning_is_refused_for_lumos_i():
    state, models = run(protocol.render_reasoning(SKETCH, PLAN), formulation=iterative)
    assert state["stop_reason"] == "error" and "one-time formulation only" in state["error"]
    assert models.by_role["planner"].prompts == []


def test_worked_examples_without_reasoning_are_a_clear_error(tmp_path):
    pool = tmp_path / "pool.jsonl"
    pool.write_text(
        '{"task": "Add two apples to one apple.", "domain": "maths", "subgoals": ["s"], "actions": ["R1 = Calculator(1 + 1)"], '
        '"results": ["2"]}\n'
    )
    state, _ = run(protocol.render_reasoning(SKETCH, PLAN), exemplars=str(pool))
    assert state["stop_reason"] == "error" and "has no reasoning line" in state["error"]


def test_the_reasoning_grammar_admits_exemplars_and_only_reasoned_plans():
    with_sketch, plain = Grammar(grammar.plan_onetime(8, reasoning=True)), Grammar(grammar.plan_onetime(8))
    for example in EXEMPLARS["maths"]:
        text = protocol.render_reasoning(example["reasoning"], protocol.render_plan(example["subgoals"]))
        assert with_sketch.accepts(text + "\n") and not plain.accepts(text)
        assert not with_sketch.accepts(protocol.render_plan(example["subgoals"]))


_STEP = re.compile(r"(\d+(?:\.\d+)?(?: [-+*/] \d+(?:\.\d+)?)+) = (\d+(?:\.\d+)?)")


@pytest.mark.parametrize("example", EXEMPLARS["maths"], ids=lambda e: e["task"][:30])
def test_exemplar_reasoning_computes_correctly(example):
    steps = _STEP.findall(example["reasoning"])
    assert steps or "x" in example["reasoning"]  # the equation example solves for x instead
    for formula, value in steps:
        assert float(calculator(formula)) == float(value), formula
    # the sketch states the recorded answer last, as the planner is asked to (a sketch that stops
    # one step short was the commonest 1.5B sketch failure)
    assert example["reasoning"].endswith(f" The answer is {example['results'][-1]}.")


def test_the_cli_flag_sets_the_context():
    args = cli.parser().parse_args(["run", "a task", "--plan-reasoning", "steps"])
    assert options.run_of(args)[1].plan_reasoning == "steps"
    assert options.run_of(cli.parser().parse_args(["run", "a task"]))[1].plan_reasoning == "off"


def test_the_reasoning_streams_before_the_plan_and_lumos_run_prints_it(capsys):
    models = ScriptedModels(scripted(protocol.render_reasoning(SKETCH, PLAN)), scripted(GROUND))
    graph = onetime.build(models=models, tools=TOOLS).compile()
    events = list(
        graph.stream({"task": TASK}, context=Context(plan_reasoning="sketch"), stream_mode="custom")
    )
    assert [e["type"] for e in events[:3]] == ["reasoning", "subgoal", "subgoal"]
    assert events[0]["text"] == SKETCH
    terminal.show_event(events[0])
    assert capsys.readouterr().out == f"[reason]  {SKETCH}\n"


SOLUTION = "In May she sold 48 / 2 = 24 clips.\nIn all she sold 48 + 24 = 72 clips.\nThe answer is 72."


def run_steps(planner_reply, **context):
    models = ScriptedModels(scripted(planner_reply), scripted(GROUND))
    reasoner = scripted(SOLUTION)
    models.by_role[reason.ROLE] = reasoner
    graph = onetime.build(models=models, tools=TOOLS).compile()
    state = graph.invoke({"task": TASK}, context=Context(plan_reasoning="steps", **context))
    return state, models, reasoner


def test_steps_asks_the_cot_prompt_in_its_own_context_then_plans_under_the_solution():
    state, models, reasoner = run_steps(PLAN)
    assert state["answer"] == "72" and state["reasoning"] == SOLUTION and state["model_calls"] == 3
    assert [m.content for m in reasoner.prompts[0]] == [prompts.INSTRUCT_COT, TASK]
    assert [r["role"] for r in models.requests][:2] == [reason.ROLE, "planner"]
    planner_prompt = models.by_role["planner"].prompts[0]
    assert planner_prompt[0].content.endswith(prompts.INSTRUCT_PLAN_SYSTEM_STEPS)
    assert planner_prompt[-1].content.endswith(f"None.\nStep-by-step solution: {SOLUTION}")
    examples = [m.content for m in planner_prompt[1:-1] if m.type == "human"]
    assert examples and all("\nStep-by-step solution: " in m for m in examples)
    assert all(not m.content.startswith(protocol.REASONING) for m in planner_prompt if m.type == "ai")
    assert f"The planner's reasoning: {SOLUTION}" in models.by_role["grounder"].prompts[0][-1].content


def test_steps_keeps_the_answer_of_the_executed_plan_not_of_the_solution():
    models = ScriptedModels(scripted(PLAN), scripted("R1 = Calculator(48 / 2); R2 = Calculator(48 + R1 + 1)"))
    models.by_role[reason.ROLE] = scripted(SOLUTION)
    state = (
        onetime.build(models=models, tools=TOOLS)
        .compile()
        .invoke({"task": TASK}, context=Context(plan_reasoning="steps"))
    )
    assert state["answer"] == "73"


def test_the_lumos_profile_never_reasons():
    models = ScriptedModels(scripted(PLAN), scripted(GROUND))
    state = (
        onetime.build(models=models, tools=TOOLS)
        .compile()
        .invoke({"task": TASK}, context=Context(plan_reasoning="steps", profile="lumos"))
    )
    assert state["answer"] == "72" and "reasoning" not in state
    assert [r["role"] for r in models.requests] == ["planner", "grounder"]


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match=r"plan_reasoning: Input should be 'off', 'sketch' or 'steps'"):
        Context(plan_reasoning="yes")  # type: ignore[arg-type]


def test_the_sketch_line_is_bounded_so_a_looping_model_still_plans():
    sketch = Grammar(grammar.plan_onetime(8, reasoning=True))
    longest = "a" * (grammar.MAX_SKETCH_CHARS + 1)  # the first character plus the bound
    assert sketch.accepts(protocol.render_reasoning(longest, PLAN))
    assert not sketch.accepts(protocol.render_reasoning(longest + "a", PLAN))


def test_reasoning_that_never_reaches_a_plan_is_a_clear_error():
    state, models = run("Reasoning: and so on, and so on", constrained=False)
    assert state["stop_reason"] == "error" and "ran to the token limit before its plan" in state["error"]
    assert models.by_role["grounder"].prompts == []
