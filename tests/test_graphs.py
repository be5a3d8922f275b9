import asyncio
import os
from pathlib import Path

import pytest
from fakes import ScriptedModels, scripted
from langchain_core.messages import SystemMessage

from graphs import iterative, onetime, pipeline
from nodes.context import Context
from tools.errors import ToolError


def calculator(args: str) -> str:
    value = eval(args, {"__builtins__": {}})  # test double; the real tool is tools.maths.calculator
    return str(int(value)) if float(value).is_integer() else str(value)


def failing(args: str) -> str:
    raise ToolError(f"cannot do {args}")


TOOLS = {"maths": {"Calculator": calculator, "Define": lambda a: a, "Broken": failing}}
TASK = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many in total?"


def run(graph_module, planner, grounder, **context):
    models = ScriptedModels(planner, grounder)
    graph = graph_module.build(models=models, tools=TOOLS).compile()
    return graph.invoke({"task": TASK}, context=Context(**context)), models


def test_iterative_runs_until_the_planner_stops():
    planner = scripted(
        "Subgoal 1: Clips in May.",
        "No, I will keep planning. Subgoal 2: Total.",
        "Yes, I will stop planning.",
    )
    grounder = scripted("R1 = Calculator(48 / 2)", "R2 = Calculator(48 + R1)")
    state, _ = run(iterative, planner, grounder)
    assert state["subgoals"] == ["Clips in May.", "Total."]
    assert [a["observation"] for a in state["actions"]] == ["24", "72"]
    assert [a["subgoal"] for a in state["actions"]] == [1, 2]
    assert state["subgoal_results"] == ["24", "72"]
    assert state["memory"] == {"R1": "24", "R2": "72"}
    assert state["answer"] == "72" and state["error"] is None
    assert state["stop_reason"] == "planner" and state["model_calls"] == 5
    # the planner saw the executed result of subgoal 1 before writing subgoal 2
    second_prompt = planner.prompts[1]
    assert second_prompt[-1].content == "The executed result for Subgoal 1 is 24. Should we stop planning?"
    assert second_prompt[-2].content == "Subgoal 1: Clips in May."
    # the grounder saw its own earlier grounding
    assert [m.content for m in grounder.prompts[1][-3:]] == [
        grounder.prompts[0][-1].content,
        "R1 = Calculator(48 / 2)",
        "Subgoal to be grounded: Subgoal 2: Total.",  # instruct: no keep-planning prefix
    ]
    assert all(call["stop"] == ["\n"] for call in grounder.calls)
    assert all(call["stop"] == ["\n\n"] for call in planner.calls)  # instruct: lines are joined


def test_instruct_profile_sends_system_and_exemplars_lumos_profile_sends_neither():
    planner = scripted("Subgoal 1: A.", "Yes, I will stop planning.")
    grounder = scripted("R1 = Calculator(1 + 1)")
    state, models = run(iterative, planner, grounder, shots=2)
    first = planner.prompts[0]
    assert isinstance(first[0], SystemMessage) and len(first) > 3
    assert {r["prompt_format"] for r in models.requests} == {"chat"}

    planner = scripted("Subgoal 1: A.", "Yes, I will stop planning.")
    grounder = scripted("R1 = Calculator(1 + 1)")
    state, models = run(iterative, planner, grounder, profile="lumos", rendering="train")
    assert len(planner.prompts[0]) == 1 and planner.prompts[0][0].content.startswith("Please provide")
    assert {r["prompt_format"] for r in models.requests} == {"lumos-train"}
    assert state["answer"] == "2"


def test_instruct_planner_line_broken_after_keep_planning_is_joined():
    planner = scripted(
        "Subgoal 1: A.", "No, I will keep planning.\nSubgoal 2: B.", "Yes, I will stop planning."
    )
    grounder = scripted("R1 = Calculator(1 + 1)", "R2 = Calculator(R1 * 3)")
    state, _ = run(iterative, planner, grounder)
    assert state["plan_outputs"][1] == "No, I will keep planning. Subgoal 2: B."
    assert state["subgoals"] == ["A.", "B."] and state["answer"] == "6"


def test_lumos_profile_planner_stops_at_the_first_newline():
    planner = scripted("Subgoal 1: A.", "Yes, I will stop planning.")
    state, _ = run(iterative, planner, scripted("R1 = Calculator(2 + 2)"), profile="lumos")
    assert [c["stop"] for c in planner.calls] == [["\n"], ["\n"]] and state["answer"] == "4"


def test_iterative_stops_at_the_subgoal_cap():
    planner = scripted(*[f"No, I will keep planning. Subgoal {k}: Step." for k in range(1, 4)])
    grounder = scripted(*[f"R{k} = Calculator({k} * 10)" for k in range(1, 4)])
    state, _ = run(iterative, planner, grounder, max_subgoals=3)
    assert len(state["subgoals"]) == 3 and state["stop_reason"] == "max_subgoals"
    assert state["answer"] == "30"


def test_onetime_plans_grounds_and_executes_once():
    planner = scripted("Subgoal 1: Clips in May.; Subgoal 2: Total.")
    grounder = scripted("R1 = Calculator(48 / 2); R2 = Calculator(48 + R1)")
    state, _ = run(onetime, planner, grounder)
    assert state["subgoals"] == ["Clips in May.", "Total."]
    assert state["answer"] == "72" and state["stop_reason"] == "plan_executed"
    assert grounder.prompts[0][-1].content.endswith(
        "Subgoals to be grounded: Subgoal 1: Clips in May.; Subgoal 2: Total."
    )


def test_a_onetime_plan_stops_where_it_would_exceed_max_subgoals():
    planner = scripted("Subgoal 1: Clips in May.; Subgoal 2: Total.")
    grounder = scripted("R1 = Calculator(48 / 2); R2 = Calculator(48 + R1)")
    run(onetime, planner, grounder, max_subgoals=2)
    assert planner.calls[0]["stop"] == ["\n\n", "Subgoal 3:"]  # a runaway list ends there, not at 512 tokens


def test_tool_failure_is_an_observation_the_planner_sees():
    planner = scripted(
        "Subgoal 1: Try.", "No, I will keep planning. Subgoal 2: Use it.", "Yes, I will stop planning."
    )
    grounder = scripted("R1 = Broken(7)", "R2 = Calculator(R1 + 1)")
    state, _ = run(iterative, planner, grounder)
    assert state["actions"][0]["ok"] is False
    assert "cannot do 7" in state["actions"][0]["observation"]
    assert "cannot do 7" in planner.prompts[1][-1].content
    assert "R1 has no value because its action failed" in state["actions"][1]["observation"]
    assert state["answer"] is None and "R2 has no value" in state["error"]


@pytest.mark.parametrize(
    ("plan", "ground", "message"),
    [
        ("I don't know.", "R1 = Calculator(1)", "planner output is not a Lumos plan"),
        ("Subgoal 1: A.", "R1 = Solve(x)", "unknown action(s) Solve"),
        ("Subgoal 1: A.", "R1 = Calculator(1 + (2", "unbalanced parentheses"),
    ],
)
def test_protocol_failures_end_the_run_with_the_error_recorded(plan, ground, message):
    state, _ = run(onetime, scripted(plan), scripted(ground))
    assert message in state["error"]
    assert state["answer"] is None and state["stop_reason"] == "error"


# a grounder repeating itself until max_new_tokens: under the grammar only a cut makes it unparseable
CUT = "R1 = Calculator(48 / 2); R2 = Calculator(48 + R1); R3 = Calculator(R2 + R1); R4 = Calculator(R3 +"


def test_a_constrained_output_cut_at_the_token_limit_runs_its_whole_actions():
    state, _ = run(onetime, scripted("Subgoal 1: Clips in May.; Subgoal 2: Total."), scripted(CUT))
    assert [a["outputs"] for a in state["actions"]] == [["R1"], ["R2"], ["R3"]]
    assert state["answer"] == "96" and state["ground_outputs"] == [
        CUT
    ]  # the raw cut output stays in the trace


@pytest.mark.parametrize("context", [{"constrained": False}, {"profile": "lumos"}])
def test_an_unconstrained_cut_output_is_still_an_error(context):
    state, _ = run(onetime, scripted("Subgoal 1: Clips in May.; Subgoal 2: Total."), scripted(CUT), **context)
    assert "unbalanced parentheses" in state["error"] and state["stop_reason"] == "error"


def test_bad_input_gets_a_clear_error_without_any_model_call():
    models = ScriptedModels(scripted(), scripted())
    graph = iterative.build(models=models, tools=TOOLS).compile()
    assert "task is empty" in graph.invoke({"task": "  "}, context=Context())["error"]
    assert "must be a string, not int" in graph.invoke({"task": 5}, context=Context())["error"]
    assert "limit is 50" in graph.invoke({"task": "x" * 51}, context=Context(max_task_chars=50))["error"]
    assert (
        "unknown domain 'chess'" in graph.invoke({"task": "x", "domain": "chess"}, context=Context())["error"]
    )
    assert models.requests == []


def test_graphs_are_runnables_batch_stream_async():
    def fresh():
        return iterative.build(
            models=ScriptedModels(
                scripted("Subgoal 1: Add.", "Yes, I will stop planning."), scripted("R1 = Calculator(2 + 3)")
            )
        ).compile()

    context = Context()
    assert fresh().invoke({"task": "2+3?"}, context=context)["answer"] == "5"
    nodes = [
        next(iter(chunk))
        for chunk in fresh().stream({"task": "2+3?"}, context=context, stream_mode="updates")
    ]
    assert nodes == ["frame", "plan", "ground", "execute", "plan", "answer"]
    assert asyncio.run(fresh().ainvoke({"task": "2+3?"}, context=context))["answer"] == "5"
    onetime_graph = onetime.build(
        models=ScriptedModels(
            scripted("Subgoal 1: A.", "Subgoal 1: B."),
            scripted("R1 = Calculator(1 + 1)", "R1 = Calculator(2 + 2)"),
        )
    ).compile()
    results = onetime_graph.batch(
        [{"task": "a"}, {"task": "b"}], context=context, config={"max_concurrency": 1}
    )
    assert [r["answer"] for r in results] == ["2", "4"]


SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.mark.parametrize("formulation", pipeline.FORMULATIONS)
def test_mermaid_snapshot_of_every_graph(formulation):
    """`lumos graph --format mermaid` output; LUMOS_UPDATE_SNAPSHOTS=1 rewrites the files after a topology change."""
    mermaid = pipeline.compiled(formulation).get_graph().draw_mermaid()
    snapshot = SNAPSHOTS / f"{formulation}.mmd"
    if os.environ.get("LUMOS_UPDATE_SNAPSHOTS"):
        snapshot.write_text(mermaid, encoding="utf-8")
    assert mermaid == snapshot.read_text(encoding="utf-8")


def test_review_is_the_only_way_into_grounding_besides_plan():
    edges = {(e.source, e.target) for e in iterative.graph.get_graph().edges}
    assert {("plan", "review"), ("review", "ground"), ("review", "answer")} <= edges
    into_ground = {e.source for e in onetime.graph.get_graph().edges if e.target == "ground"}
    assert into_ground == {"plan", "review"}
    # on a live page, execute -> ground continues a plan that already passed plan/review
    stepwise = pipeline.compiled("onetime-stepwise").get_graph().edges
    assert {e.source for e in stepwise if e.target == "ground"} == {"plan", "review", "execute"}


def test_lumos_o_opens_with_the_solve_node_that_steps_reasoning_needs():
    """A run with plan_reasoning steps starts at ``solve``; every other run at ``plan``; each after ``frame``."""
    edges = {(e.source, e.target) for e in onetime.graph.get_graph().edges}
    assert {("__start__", "frame"), ("frame", "solve"), ("frame", "plan"), ("solve", "plan")} <= edges
    assert ("solve", "answer") in edges and ("frame", "answer") in edges  # failed framing ends the run


def test_lumos_o_grounds_again_only_while_an_interactive_plan_has_subgoals_left():
    from graphs.routes import route_after_execute, route_after_step, route_to_next_subgoal

    plan = {"subgoals": ["a", "b", "c"]}
    assert route_to_next_subgoal({**plan}) == "answer"  # an execution that recorded nothing ends the loop
    assert route_to_next_subgoal({**plan, "subgoal_results": ["x"]}) == "ground"
    assert route_to_next_subgoal({**plan, "subgoal_results": ["x", "y", "z"]}) == "answer"
    ended = {**plan, "subgoal_results": ["x"], "stop_reason": "environment"}
    assert route_to_next_subgoal(ended) == "answer" and route_after_execute(ended) == "answer"
    assert route_after_execute({**plan, "subgoal_results": ["x"]}) == "plan"
    assert route_after_step({"stop_reason": "planner"}) == "answer" and route_after_step({}) == "execute"
