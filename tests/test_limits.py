"""Bounds on everything a run does: settings, task text, tool calls, observations, wall clock, input files."""

import math
import time
from pathlib import Path

import pytest
from clifakes import serve_graphs
from fakes import ScriptedModels, scripted
from langchain_core.language_models.fake_chat_models import FakeListChatModel

import cli
from graphs import iterative, onetime
from nodes.context import Context, SettingsError, make_context
from nodes.execute import MAX_OBSERVATION_CHARS
from tools import sandbox

HANG = "x**(1/3) + x**(1/5) + x**(1/7) = 2"


# --- settings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"max_subgoals": "3"}, "max_subgoals"),
        ({"max_subgoals": None}, "max_subgoals"),
        ({"max_subgoals": 2.5}, "max_subgoals"),
        ({"max_subgoals": 10**9}, "max_subgoals"),
        ({"max_actions": 10**9}, "max_actions"),
        ({"max_new_tokens": 10**7}, "max_new_tokens"),
        ({"shots": "4"}, "shots"),
        ({"temperature": math.nan}, "temperature"),
        ({"temperature": math.inf}, "temperature"),
        ({"tool_timeout_s": 0}, "tool_timeout_s"),
        ({"max_run_seconds": -1.0}, "max_run_seconds"),
        ({"profile": "chatty"}, "profile"),
        ({"planner": 7}, "planner"),
        ({"max_subgoal": 3}, "max_subgoal"),  # a misspelt key is refused, not ignored
    ],
)
def test_bad_settings_are_refused_naming_the_field(values, field):
    with pytest.raises(SettingsError, match=rf"^invalid run setting {field}: [^\n]*$"):  # one line
        Context(**values)
    with pytest.raises(SettingsError, match=rf"invalid run setting {field}: "):
        make_context(values)


def test_a_bad_context_from_json_fails_the_run_clearly_for_both_graphs():
    for module in (iterative, onetime):
        graph = module.build(models=ScriptedModels(scripted(), scripted()), tools={"maths": {}}).compile()
        with pytest.raises(
            SettingsError, match=r"^invalid run setting max_subgoals: Input should be a valid"
        ):
            graph.invoke({"task": "t"}, context={"max_subgoals": "3"})  # type: ignore[arg-type]
        # a context of no kind at all: the same error, not an AttributeError deep in a node
        with pytest.raises(SettingsError, match="a Context or a mapping of settings, not str"):
            graph.invoke({"task": "t"}, context="max_subgoals=3")  # type: ignore[arg-type]


def test_the_cli_refuses_out_of_bound_settings(capsys):
    assert cli.main(["run", "--max-subgoals", "1000000000", "What is 1 + 1?"]) == 2
    assert "max_subgoals: Input should be less than or equal to 64" in capsys.readouterr().err


# --- task text --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "reason"),
    [("What is\x00 1 + 1?", "NUL byte"), ("What is \udc80 1 + 1?", "lone surrogate"), ("   ", "empty")],
)
def test_bad_task_text_is_refused_by_the_graph_and_the_cli(task, reason, capsys, tmp_path):
    graph = onetime.build(models=ScriptedModels(scripted(), scripted()), tools={"maths": {}}).compile()
    state = graph.invoke({"task": task}, context=Context())
    assert reason in state["error"] and state["answer"] is None
    assert cli.main(["run", "--thread", "t1", "--db", str(tmp_path / "t.sqlite"), task]) == 2
    assert reason in capsys.readouterr().err


def test_control_characters_are_escaped_when_echoed(monkeypatch, capsys):
    planner = scripted("Subgoal 1: Say \x1b[2Jhi.")
    grounder = scripted("R1 = Define(7)")
    graph = onetime.build(
        models=ScriptedModels(planner, grounder), tools={"maths": {"Define": str}}
    ).compile()
    serve_graphs(monkeypatch, graph)
    assert cli.main(["run", "--formulation", "onetime", "Clear \x1b[31mthe screen\x07 please"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "Task: Clear \\x1b[31mthe screen\\x07 please" in out
    assert "Say \\x1b[2Jhi." in out


# --- input files ------------------------------------------------------------------------------------


def test_a_bad_thread_database_is_a_clear_error(tmp_path, capsys):
    text = tmp_path / "notes.txt"
    text.write_text("not a database, just notes\n")
    for db, reason in [(tmp_path, "is a directory"), (text, "is not an SQLite file")]:
        assert cli.main(["run", "--thread", "t1", "--db", str(db), "What is 1 + 1?"]) == 2
        assert reason in capsys.readouterr().err
        assert cli.main(["history", "--db", str(db)]) == 2
        assert reason in capsys.readouterr().err
    assert text.read_text() == "not a database, just notes\n"  # nothing was written into it


# --- tools and observations -------------------------------------------------------------------------


@pytest.mark.timeout(120)
@pytest.mark.parametrize("module", [iterative, onetime], ids=["iterative", "onetime"])
def test_a_hanging_tool_call_becomes_an_observation_and_the_run_goes_on(module):
    planner = FakeListChatModel(responses=["Subgoal 1: Solve it.", "Yes, I will stop planning."])
    grounder = FakeListChatModel(responses=[f"R1 = SolveEquation({HANG})"])
    graph = module.build(models=ScriptedModels(planner, grounder)).compile()  # type: ignore[arg-type]
    start = time.monotonic()
    state = graph.invoke({"task": "Solve the equation."}, context=Context(tool_timeout_s=1.0))
    assert time.monotonic() - start < 30
    [action] = state["actions"]
    assert not action["ok"] and "SolveEquation: timed out after 1 s" in action["observation"]
    assert state["stop_reason"] in ("planner", "plan_executed")


@pytest.mark.skipif(not sandbox.available(), reason="needs the Code sandbox")
def test_a_flood_of_error_text_is_capped_with_a_marker():
    planner = FakeListChatModel(responses=["Subgoal 1: Run it.", "Yes, I will stop planning."])
    grounder = FakeListChatModel(responses=["R1 = Code(raise ValueError('e' * 2_000_000))"])
    graph = iterative.build(models=ScriptedModels(planner, grounder)).compile()  # type: ignore[arg-type]
    state = graph.invoke({"task": "Run the code."}, context=Context())
    observation = state["actions"][0]["observation"]
    assert observation.startswith("Error: Code failed: Code: ValueError: eee")
    assert len(observation) <= MAX_OBSERVATION_CHARS + 60 and "truncated" in observation


def test_every_observation_is_capped():
    huge = "7" * 1_000_000
    planner = FakeListChatModel(responses=["Subgoal 1: Echo it.", "Yes, I will stop planning."])
    grounder = FakeListChatModel(responses=["R1 = Echo(1)"])
    graph = iterative.build(
        models=ScriptedModels(planner, grounder),  # type: ignore[arg-type]
        tools={"maths": {"Echo": lambda args: huge}},
    ).compile()
    state = graph.invoke({"task": "Echo."}, context=Context())
    observation = state["actions"][0]["observation"]
    assert observation.endswith("[truncated: 1000000 characters in all]")
    assert len(observation) < MAX_OBSERVATION_CHARS + 60
    assert len(state["memory"]["R1"]) < MAX_OBSERVATION_CHARS + 60


# --- the run's wall clock ---------------------------------------------------------------------------


def slow_define(args: str) -> str:
    time.sleep(0.3)
    return args


@pytest.mark.timeout(60)
def test_a_run_that_never_stops_ends_at_its_wall_clock_budget():
    planner = FakeListChatModel(responses=["Subgoal 1: Go on."])  # cycles: the planner never stops
    grounder = FakeListChatModel(responses=["R1 = Define(1)"])
    graph = iterative.build(
        models=ScriptedModels(planner, grounder),  # type: ignore[arg-type]
        tools={"maths": {"Define": slow_define}},
    ).compile()
    context = Context(max_subgoals=64, max_run_seconds=1.5)
    start = time.monotonic()
    state = graph.invoke({"task": "Keep going."}, {"recursion_limit": 1000}, context=context)
    assert time.monotonic() - start < 3
    assert "wall-clock budget of 1.5 s (max_run_seconds)" in state["error"]
    assert state["answer"] is None and state["stop_reason"] == "error"
    assert 1.5 <= state["elapsed_s"] < 3
    assert 2 <= len(state["subgoals"]) < 64


@pytest.mark.timeout(60)
def test_the_budget_stops_a_slow_tool_call_too():
    planner = FakeListChatModel(responses=["Subgoal 1: Solve it.", "Yes, I will stop planning."])
    grounder = FakeListChatModel(responses=[f"R1 = SolveEquation({HANG})"])
    graph = onetime.build(models=ScriptedModels(planner, grounder)).compile()  # type: ignore[arg-type]
    start = time.monotonic()
    state = graph.invoke({"task": "Solve."}, context=Context(tool_timeout_s=60.0, max_run_seconds=2.0))
    assert time.monotonic() - start < 10
    assert "timed out" in state["actions"][0]["observation"]


def test_time_spent_paused_between_steps_does_not_count(tmp_path: Path):
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.types import Command

    planner = scripted("Subgoal 1: Half of 48.")
    grounder = scripted("R1 = Calculator(48 / 2)")
    graph = onetime.build(
        models=ScriptedModels(planner, grounder), tools={"maths": {"Calculator": lambda a: "24"}}
    ).compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "pause"}}
    context = Context(review_plan=True, max_run_seconds=1.0)
    graph.invoke({"task": "Half of 48?"}, config, context=context)
    time.sleep(1.2)  # a person reads the plan for longer than the run's whole budget
    state = graph.invoke(Command(resume="approve"), config, context=context)
    assert state["answer"] == "24" and state["error"] is None


@pytest.mark.gguf
def test_a_real_model_stops_generating_at_the_deadline(smollm2_path):
    from langchain_core.messages import HumanMessage

    from models.deadline import deadline_in
    from models.registry import LlamaModels

    chat = LlamaModels().chat(str(smollm2_path), role="deadline", prompt_format="chat", max_tokens=2000)
    prompt = [HumanMessage("Write a very long story about a lighthouse keeper, in many chapters.")]
    chat.invoke(prompt, max_tokens=8)  # warm: load the weights outside the timed part
    start = time.monotonic()
    with deadline_in(0.5):
        reply = chat.invoke(prompt)
    assert time.monotonic() - start < 3  # 2,000 tokens would take about 25 s on two cores
    assert reply.usage_metadata["output_tokens"] < 300


def test_an_over_long_task_is_refused_before_it_is_echoed(capsys):
    task = "x" * 100_000
    assert cli.main(["run", task]) == 2
    captured = capsys.readouterr()
    assert "the task has 100000 characters; the limit is 4000 (--max-task-chars)" in captured.err
    assert "x" * 5000 not in captured.out + captured.err


def test_a_thread_whose_model_file_is_missing_is_never_created(tmp_path, capsys):
    from graphs import persistence

    db, missing = tmp_path / "threads.sqlite", tmp_path / "missing.gguf"
    assert (
        cli.main(["run", "--thread", "t1", "--db", str(db), "--planner", str(missing), "What is 1 + 1?"]) == 2
    )
    assert f"--planner {missing}: no file {missing}" in capsys.readouterr().err
    with persistence.open_threads(db) as saver:
        assert persistence.load_thread(saver, "t1") is None  # nothing left that could never resume
