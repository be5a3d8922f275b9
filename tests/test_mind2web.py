"""Mind2Web format support on a hand-made fixture in Lumos's layout: reader, rendering, prompts, step SR."""

import json
import random
from pathlib import Path

import pytest
from fakes import ScriptedModels, scripted
from langchain_core.messages import BaseMessage

import cli
from evaluation import mind2web, mind2web_data
from models.template import render_lumos
from nodes.context import Context
from nodes.prompts import GROUND_PREFIX_WEB_AGENT

FIXTURE = Path(__file__).parent / "data" / "mind2web" / "test_domain"
LUMOS = Context(domain="web", profile="lumos", planner="p", grounder="g")
TASK = "Find one-way flights from Atlanta to Boston."


def lumos_text(messages: list[BaseMessage]) -> str:
    """The completion prompt a Lumos checkpoint is sent for these messages (eval rendering)."""
    roles = {"human": "user", "ai": "assistant"}
    return render_lumos([(roles[m.type], str(m.content)) for m in messages], "eval")


def test_the_reader_takes_lumos_layout_and_renders_candidates_as_mindact_reads_them():
    tasks = mind2web_data.read(FIXTURE)
    assert [t.id for t in tasks] == ["fixture-flights", "fixture-jackets"] and tasks[0].task == TASK
    first = tasks[0].steps[0]
    assert (first.op, first.value, len(first.candidates)) == ("TYPE", "Atlanta", 4)
    assert first.positive == first.candidates[0]
    assert first.positive == (
        "ancestors: html / body / form search\ntarget: (input Departing from combobox text)"
    )
    select = tasks[1].steps[0]
    assert select.positive.endswith("target: (select sort Featured Price: Low to High)")
    # a candidate the cleaned page does not hold is shown by its tag alone
    assert mind2web_data.render_candidate("<html></html>", "99", "button") == "ancestors: \ntarget: (button)"


def test_records_outside_the_layout_are_clear_errors(tmp_path):
    record = json.loads((FIXTURE / "fixture.json").read_text())[0]
    for broken, message in [
        ({k: v for k, v in record.items() if k != "confirmed_task"}, "no 'confirmed_task'"),
        ({**record, "action_reprs": record["action_reprs"][:1]}, "1 action_reprs for 3 actions"),
        (
            {**record, "actions": [{**record["actions"][0], "pos_candidates": []}, *record["actions"][1:]]},
            "step 1 has no positive candidate",
        ),
    ]:
        (tmp_path / "bad.json").write_text(json.dumps([broken]))
        with pytest.raises(ValueError, match=message):
            mind2web_data.read(tmp_path)
    (tmp_path / "bad.json").write_text(json.dumps(record))
    with pytest.raises(ValueError, match="not a list of Mind2Web records"):
        mind2web_data.read(tmp_path)
    with pytest.raises(FileNotFoundError, match="no Mind2Web records"):
        mind2web_data.read(tmp_path / "missing")
    with pytest.raises(ValueError, match="not a Mind2Web action_repr"):
        mind2web_data.phrase("Click the button", random.Random(0))


def test_the_gold_history_is_phrased_with_lumos_verbs_from_a_seeded_generator():
    phrased = {
        mind2web_data.phrase("[combobox]  Departing from -> TYPE: Atlanta", random.Random(s))
        for s in range(20)
    }
    assert phrased == {f"{v} Atlanta in the combobox Departing from" for v in ("Type", "Input", "Put text")}
    click = mind2web_data.phrase("[button]  Search flights -> CLICK", random.Random(3))
    assert click == mind2web_data.phrase("[button]  Search flights -> CLICK", random.Random(3))
    assert click.endswith(" button Search flights")
    assert mind2web_data.phrase("[span]  Menu -> HOVER", random.Random(0)).endswith(
        " span Menu"
    )  # a HOVER clicks


def flights_run() -> tuple[list[mind2web.StepResult], ScriptedModels]:
    planner = scripted(
        "Subgoal 1: Type Atlanta as the departure city.",
        "No, I will keep planning. Subgoal 2: Type Boston as the arrival city.",
        "No, I will keep planning. Subgoal 3: Search the flights.",
    )
    grounder = scripted(
        "R1 = TYPE(Env, QUERY: Type Atlanta in the departing from box, TEXT: atlanta)",  # case is free
        "R2 = TYPE(R1, QUERY: Type Boston where the flight is arriving at, TEXT: Bostn)",  # a wrong text
        "R3 = SELECT(R2, QUERY: the search flights button, TEXT: go)",  # the wrong operation
    )
    models = ScriptedModels(planner, grounder)
    return mind2web.evaluate_task(mind2web_data.read(FIXTURE)[0], models, LUMOS, seed=0), models


def test_the_planner_is_teacher_forced_on_the_gold_history_in_lumos_bytes():
    results, models = flights_run()
    planner, grounder = models.by_role["planner"], models.by_role["grounder"]
    done = mind2web.gold_history(mind2web_data.read(FIXTURE)[0], seed=0)[0]
    assert done.endswith(" Atlanta in the combobox Departing from")
    assert lumos_text(planner.prompts[1]) == (
        "<|user|>\nPlease provide a reasonable subgoal-based plan to solve the given task.\n"
        f"Task: {TASK}; Initial Environment Description: None.\n<|assistant|>\n"
        f"Subgoal 1: {done}\n\n<|user|>\nWe have already {done[0].lower() + done[1:]}. "
        "Should we stop planning?\n<|assistant|>\n"
    )
    # the grounder sees its own earlier action and the planner's line without "keep planning"
    assert lumos_text(grounder.prompts[1]) == (
        f"<|user|>\n{GROUND_PREFIX_WEB_AGENT}Task: {TASK} \n"
        "Subgoal to be grounded: Subgoal 1: Type Atlanta as the departure city.\n<|assistant|>\n"
        "R1 = TYPE(Env, QUERY: Type Atlanta in the departing from box, TEXT: atlanta)\n\n"
        "<|user|>\nSubgoal to be grounded: Subgoal 2: Type Boston as the arrival city.\n<|assistant|>\n"
    )
    assert [r.subgoal for r in results][1] == "Subgoal 2: Type Boston as the arrival city."


def test_a_step_succeeds_only_with_the_gold_element_operation_and_text():
    results, _ = flights_run()
    assert [(r.element, r.operation, r.text, r.correct) for r in results] == [
        (True, True, True, True),
        (True, True, False, False),
        (True, False, True, False),
    ]
    step = mind2web_data.read(FIXTURE)[0].steps[0]
    order = [3, 2, 1, 0]
    wrong = mind2web.score_step(
        "", "R1 = TYPE(Env, QUERY: arriving at, TEXT: Atlanta)", step, [], order, mind2web.bm25_ranker
    )
    assert not wrong.element and wrong.picked.endswith("(input Arriving at combobox text)")
    broken = mind2web.score_step("", "not an action", step, [], order, mind2web.bm25_ranker)
    assert not broken.correct and broken.picked == ""


def test_the_trace_resumes_and_the_summary_is_lumos_step_success_rate(tmp_path):
    out = tmp_path / "m2w.jsonl"
    tasks = mind2web_data.read(FIXTURE)
    planner = scripted(*[f"Subgoal {k}: step." for k in (1, 2, 3, 1, 2)])
    grounder = scripted(
        "R1 = TYPE(Env, QUERY: departing from, TEXT: Atlanta)",
        "R2 = TYPE(R1, QUERY: arriving at, TEXT: Boston)",
        "R3 = CLICK(R2, QUERY: search flights)",
        "R1 = SELECT(Env, QUERY: sort by, TEXT: Price: Low to High)",
        "R2 = CLICK(R1, QUERY: rain jacket)",  # the wrong link
    )
    rows = list(mind2web.run(tasks[:1], ScriptedModels(planner, grounder), LUMOS, out))
    assert len(rows) == 1 and all(s["correct"] for s in rows[0]["steps"])
    # a second run skips the task already in the trace and scores the other
    rows = list(mind2web.run(tasks, ScriptedModels(planner, grounder), LUMOS, out))
    assert [r["id"] for r in rows] == ["fixture-jackets"]
    assert [s["correct"] for s in rows[0]["steps"]] == [True, False]
    assert mind2web.summarize(out) == {
        "tasks": 2,
        "steps": 5,
        "step_success_rate": 80.0,
        "element_accuracy": 80.0,
        "operation_accuracy": 100.0,
        "task_success_rate": 50.0,
    }


@pytest.mark.gguf
@pytest.mark.timeout(600)
def test_lumos_mind2web_runs_a_real_gguf_over_the_fixture(smollm2_path, tmp_path, capsys):
    out = tmp_path / "m2w.jsonl"
    code = cli.main(["mind2web", "--data", str(FIXTURE), "--model", str(smollm2_path), "--out", str(out)])
    assert code == 0
    summary = json.loads(out.with_suffix(".summary.json").read_text())
    assert summary["tasks"] == 2 and summary["steps"] == 5 and 0 <= summary["step_success_rate"] <= 100
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(
        len(r["steps"]) == len(t.steps) for r, t in zip(rows, mind2web_data.read(FIXTURE), strict=True)
    )
    assert '"step_success_rate"' in capsys.readouterr().out
