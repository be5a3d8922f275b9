"""Worked-example selection: built-in or pool, fixed or by similarity, and a bad pool's clear error."""

import json

import pytest
from fakes import ScriptedModels, scripted

from domains import DOMAINS, EXEMPLARS
from graphs import onetime
from nodes.context import Context
from nodes.selection import exemplars_for


def record(task: str) -> dict:
    return {
        "id": task[:8],
        "domain": "maths",
        "task": task,
        "subgoals": ["Calculate it."],
        "actions": [["R1 = Calculator(1 + 1)"]],
        "results": ["2"],
    }


@pytest.fixture
def pool(tmp_path):
    path = tmp_path / "pool.jsonl"
    tasks = [
        "Apples cost 2 dollars each. How much do 5 apples cost?",
        "A train travels 60 miles per hour for 3 hours. How far does it go?",
        "Sam has 3 dogs and buys 2 more dogs. How many dogs does Sam have?",
        "A car travels 50 miles per hour for 2 hours. How far does the car go?",
    ]
    path.write_text("".join(json.dumps(record(t)) + "\n" for t in tasks))
    return str(path)


def test_fixed_selection_takes_the_first_shots():
    assert exemplars_for(DOMAINS["maths"], "any task", Context(shots=2)) == EXEMPLARS["maths"][:2]
    assert exemplars_for(DOMAINS["maths"], "any task", Context(shots=0)) == []


def test_unset_shots_show_the_domains_own_count_and_web_shows_every_example():
    assert (
        exemplars_for(DOMAINS["maths"], "any task", Context()) == EXEMPLARS["maths"][: DOMAINS["maths"].shots]
    )
    assert DOMAINS["maths"].shots == 4
    web = exemplars_for(DOMAINS["web"], "any task", Context())
    assert web == list(DOMAINS["web"].exemplars) and len(web) == 6  # three skills, three demonstrations
    assert len(exemplars_for(DOMAINS["web"], "any task", Context(shots=2))) == 2  # --shots still decides


def test_similar_selection_puts_the_closest_last_and_never_the_task_itself(pool):
    task = "A bus travels 40 miles per hour for 3 hours. How far does the bus travel?"
    chosen = exemplars_for(DOMAINS["maths"], task, Context(shots=2, exemplars=pool, selection="similar"))
    assert {c["task"][:7] for c in chosen} == {"A car t", "A train"}  # the two travel problems
    closest = exemplars_for(DOMAINS["maths"], task, Context(shots=1, exemplars=pool, selection="similar"))
    assert chosen[-1] == closest[0]  # the most similar sits last, next to the task
    assert chosen[0]["actions"] == ["R1 = Calculator(1 + 1)"]  # a subgoal's actions form one line
    itself = "Sam has 3 dogs and buys 2 more dogs. How many dogs does Sam have?"
    picked = exemplars_for(DOMAINS["maths"], itself, Context(shots=4, exemplars=pool, selection="similar"))
    assert itself not in [c["task"] for c in picked] and len(picked) == 3


def test_a_bad_pool_ends_the_run_with_a_clear_error(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"task": "no subgoals here"}\n')
    models = ScriptedModels(scripted(), scripted())
    graph = onetime.build(models=models).compile()
    state = graph.invoke({"task": "What is 1 + 1?"}, context=Context(exemplars=str(bad)))
    assert state["stop_reason"] == "error" and "bad.jsonl:1: not an annotated task" in state["error"]


def test_a_pool_task_holding_a_unicode_line_separator_stays_one_record(tmp_path):
    path = tmp_path / "pool.jsonl"
    task = "Clive opens a box of balls.\u2028 It holds 6 blue balls and 4 red ones. How many balls?"
    # written as `lumos data convert` writes it: UTF-8, not ASCII-escaped
    path.write_text(json.dumps(record(task), ensure_ascii=False) + "\n", encoding="utf-8")
    chosen = exemplars_for(
        DOMAINS["maths"], "How many balls?", Context(shots=1, exemplars=str(path), selection="similar")
    )
    assert [c["task"] for c in chosen] == [task]


def test_fixed_selection_needs_no_ranker_but_similar_selection_says_why_it_cannot_rank(tmp_path):
    path = tmp_path / "stopwords.jsonl"
    path.write_text(json.dumps(record("Is it?")) + "\n")  # every word a stopword: BM25 has nothing to index
    fixed = exemplars_for(
        DOMAINS["maths"], "How many balls?", Context(shots=1, exemplars=str(path), selection="fixed")
    )
    assert [c["task"] for c in fixed] == ["Is it?"]
    with pytest.raises(ValueError, match="cannot rank texts"):
        exemplars_for(
            DOMAINS["maths"], "How many balls?", Context(shots=1, exemplars=str(path), selection="similar")
        )
