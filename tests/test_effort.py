"""The effort knob: measured configurations per domain and preset, and the `lumos` graph that runs them."""

import argparse
import json

import pytest
from fakes import ScriptedModels, scripted

import cli
from domains import DOMAINS
from graphs import agent as agent_graph
from graphs import effort, settings
from graphs.crosscheck import CrossCheckContext
from graphs.options import add_agent_options, run_of
from graphs.pipeline import Pipelines
from models.catalogue import DEFAULT_PRESET, PRESETS
from nodes import protocol, reason
from nodes.context import Context, SettingsError

TASK = "Natalia sold clips to 48 of her friends in April, and half as many in May. How many in all?"


@pytest.mark.parametrize("domain", sorted(DOMAINS))
@pytest.mark.parametrize("preset", [effort.SMALL, effort.LARGE])
def test_every_domain_and_preset_maps_every_effort_to_a_configuration_it_runs(domain, preset):
    assert preset in PRESETS
    for level in effort.EFFORTS:
        chosen = effort.configuration(level, domain, preset)
        runs_under = DOMAINS[domain].formulations
        assert runs_under is None or chosen.formulation in runs_under
        formulation, context = settings.resolve({"domain": domain, "planner": preset}, effort=level)
        assert formulation == chosen.formulation
        assert all(getattr(context, name) == value for name, value in chosen.settings.items())


def test_the_best_maths_effort_cross_checks_and_the_default_is_balanced():
    formulation, context = settings.resolve({}, effort="best")
    assert formulation == "onetime" and isinstance(context, CrossCheckContext)
    assert (context.plan_reasoning, context.plan_retries, context.crosscheck_fallback) == (
        "steps",
        3,
        "reasoning",
    )
    assert effort.DEFAULT_EFFORT == "balanced"
    assert effort.configuration("balanced") == effort.configuration("balanced", "maths", DEFAULT_PRESET)


def test_settings_given_win_over_the_effort_and_no_effort_runs_them_as_given():
    formulation, context = settings.resolve({"plan_retries": 1}, effort="best", formulation="iterative")
    assert formulation == "iterative" and context.plan_retries == 1 and context.plan_reasoning == "steps"
    formulation, context = settings.resolve({"domain": "qa"}, effort=None)
    assert formulation == "iterative" and type(context) is Context and context.domain == "complex_qa"


def test_a_model_that_is_no_preset_takes_the_default_presets_mapping():
    assert effort.configuration("fast", "web", "/models/mine.gguf") == effort.configuration("fast", "web")


def test_unknown_efforts_and_domains_are_refused_by_name():
    with pytest.raises(ValueError, match="unknown effort 'max'"):
        effort.configuration("max")
    with pytest.raises(ValueError, match="no measured configurations for the chess domain"):
        effort.configuration("fast", "chess")


def parsed(*argv: str, default: str | None = "balanced") -> tuple[str, Context]:
    parser = argparse.ArgumentParser()
    add_agent_options(parser, effort=default)
    return run_of(parser.parse_args(list(argv)))


def test_the_cli_fills_only_what_its_flags_leave_unset():
    assert parsed("--effort", "best")[0] == "onetime"
    formulation, context = parsed(
        "--effort", "best", "--formulation", "iterative", "--crosscheck-fallback", "greedy"
    )
    assert (
        formulation == "iterative" and context.crosscheck_fallback == "greedy" and context.plan_retries == 3
    )
    assert context.effort == "best"  # the context records what chose it
    # lumos eval has no effort by default: the flags as given, Lumos-I unless told
    formulation, context = parsed(default=None)
    assert formulation == "iterative" and context.plan_reasoning == "off" and type(context) is Context


def onetime_models() -> ScriptedModels:
    return ScriptedModels(
        scripted("Subgoal 1: Clips in May. Subgoal 2: Total."),
        scripted("R1 = Calculator(48 / 2); R2 = Calculator(48 + R1)"),
    )


def test_the_lumos_graph_runs_the_configuration_its_context_asks_for_as_a_subgraph():
    graph = agent_graph.build(models=onetime_models()).compile()
    context = {"effort": "fast", "planner": effort.SMALL, "grounder": effort.SMALL}  # the server passes JSON
    chunks = list(graph.stream({"task": TASK}, context=context, stream_mode="updates", subgraphs=True))
    inner = [next(iter(update)) for namespace, update in chunks if namespace]
    assert inner[:4] == ["frame", "plan", "ground", "execute"] and inner[-1] == "answer"
    final = chunks[-1][1]["agent"]
    assert final["answer"] == "72" and final["error"] is None


def test_the_lumos_graph_refuses_an_unknown_effort_by_name():
    graph = agent_graph.build(models=onetime_models()).compile()
    with pytest.raises(SettingsError, match=r"^invalid run setting effort: "):
        graph.invoke({"task": TASK}, context={"effort": "max"})


def test_agent_returns_the_configured_graph_and_context_for_python_callers():
    graph, context = agent_graph.agent("fast", models=onetime_models(), planner=effort.SMALL)
    assert type(context) is Context and context.effort == "fast" and context.planner == effort.SMALL
    state = graph.invoke({"task": TASK}, context=context)
    assert state["answer"] == "72"
    best, best_context = agent_graph.agent("best", models=onetime_models())
    assert best.name.endswith("crosscheck") and isinstance(best_context, CrossCheckContext)


class Chosen(Exception):
    """Raised by the spy once an entry point has picked its graph: nothing runs."""


@pytest.fixture
def chosen(monkeypatch):
    """Record the (formulation, context) every entry point hands the one graph picker, then stop."""
    seen: list[tuple[str, Context]] = []

    def spy(self, formulation, context):
        seen.append((formulation, context))
        raise Chosen

    monkeypatch.setattr(Pipelines, "for_run", spy)
    return seen


@pytest.mark.parametrize("level", effort.EFFORTS)
def test_every_entry_point_runs_the_same_configuration_for_every_effort(level, chosen, tmp_path):
    expected = settings.resolve({}, effort=level)
    graph = agent_graph.build(models=onetime_models()).compile()
    for context in ({"effort": level}, Context(effort=level)):  # the server's JSON, a Python caller's object
        with pytest.raises(Chosen):
            graph.invoke({"task": TASK}, context=context)
    with pytest.raises(Chosen):
        agent_graph.agent(level, models=onetime_models())
    with pytest.raises(Chosen):
        cli.main(["run", TASK, "--effort", level])
    data = tmp_path / "gsm8k.jsonl"
    data.write_text(json.dumps({"question": TASK, "answer": "48 / 2 = 24\n#### 72"}) + "\n")
    with pytest.raises(Chosen):
        cli.main(
            ["eval", "gsm8k", "--data", str(data), "--effort", level, "--out", str(tmp_path / "t.jsonl")]
        )
    assert len(chosen) == 5 and all(run == expected for run in chosen), (expected, chosen)


def test_a_context_object_keeps_what_it_sets_and_the_effort_fills_the_rest(chosen):
    graph = agent_graph.build(models=onetime_models()).compile()
    with pytest.raises(Chosen):
        graph.invoke({"task": TASK}, context=Context(effort="best", max_subgoals=4, temperature=0.5))
    formulation, context = chosen[0]
    assert formulation == "onetime" and isinstance(context, CrossCheckContext)
    assert (context.max_subgoals, context.temperature) == (4, 0.5)  # given
    assert (context.plan_reasoning, context.plan_retries) == ("steps", 3)  # the effort's


def test_unknown_settings_are_refused_by_name():
    with pytest.raises(ValueError, match="unknown run setting planer"):
        agent_graph.agent("fast", planer="x")


SOLUTION = "In May she sold 48 / 2 = 24 clips.\nIn all she sold 48 + 24 = 72 clips.\nThe answer is 72."


def test_the_best_effort_on_the_lumos_graph_reasons_then_cross_checks_its_executed_answer():
    models = onetime_models()
    models.by_role[reason.ROLE] = scripted(SOLUTION)
    graph = agent_graph.build(models=models).compile()
    chunks = list(
        graph.stream({"task": TASK}, context={"effort": "best"}, stream_mode="updates", subgraphs=True)
    )
    final = chunks[-1][1]["agent"]
    assert final["error"] is None and final["answer"] == "72" and final["agreed"] is True
    assert final["reasoning"] == SOLUTION and len(final["attempts"]) == 1
    assert protocol.render_reasoning  # the plan was written under the solution:
    assert models.by_role["planner"].prompts[0][-1].content.endswith(f"Step-by-step solution: {SOLUTION}")
