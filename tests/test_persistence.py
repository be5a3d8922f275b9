"""Durable threads: a SQLite checkpointer, resume after a crash or Ctrl-C, `lumos history`."""

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from clifakes import serve_graphs
from fakes import ScriptedModels, scripted
from test_graphs import TASK, calculator

import cli
from graphs import iterative, persistence
from nodes.context import Context

ROOT = Path(__file__).resolve().parents[1]
FIRST_TWO_SUBGOALS = ("Subgoal 1: Clips in May.", "No, I will keep planning. Subgoal 2: Total.")
GROUNDINGS = ("R1 = Calculator(48 / 2)", "R2 = Calculator(48 + R1)")


def graph_with(planner, grounder, calc=calculator):
    tools = {"maths": {"Calculator": calc}}
    return iterative.build(models=ScriptedModels(planner, grounder), tools=tools).compile()


CRASHING_RUN = textwrap.dedent(
    """
    import os, signal, sys
    sys.path[:0] = [{tests!r}, {root!r}]
    from fakes import ScriptedModels, scripted
    from graphs import iterative, persistence
    from nodes.context import Context

    def calculator(args):
        if "+" in args:  # the second subgoal's action: the process dies mid-step
            os.kill(os.getpid(), signal.SIGKILL)
        return str(int(eval(args, {{"__builtins__": {{}}}})))

    models = ScriptedModels(scripted(*{plans!r}), scripted(*{groundings!r}))
    graph = iterative.build(models=models, tools={{"maths": {{"Calculator": calculator}}}}).compile()
    with persistence.open_threads({db!r}) as saver:
        graph = persistence.with_checkpointer(graph, saver)
        config = persistence.thread_config("t1", Context())
        graph.invoke({{"task": {task!r}}}, config, context=Context(), durability="sync")
    """
)


@pytest.fixture(params=["sqlite", "postgres"])
def thread_db(request, tmp_path):
    """A thread database of each kind: an SQLite file, a database on a throwaway PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "threads.sqlite")
    return request.getfixturevalue("postgres_db")


def test_a_killed_run_resumes_from_its_last_completed_step(tmp_path, thread_db):
    db = thread_db
    script = CRASHING_RUN.format(
        tests=str(ROOT / "tests"),
        root=str(ROOT),
        plans=FIRST_TWO_SUBGOALS,
        groundings=GROUNDINGS,
        db=db,
        task=TASK,
    )
    crashed = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, timeout=120)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr.decode()[-2000:]

    planner, grounder = scripted("Yes, I will stop planning."), scripted()  # only what is left to ask
    with persistence.open_threads(db) as saver:
        graph = persistence.with_checkpointer(graph_with(planner, grounder), saver)
        config = persistence.thread_config("t1", Context())
        before = graph.get_state(config)
        assert before.next == ("execute",)  # killed inside the second execute: plan and ground were kept
        assert before.values["subgoals"] == ["Clips in May.", "Total."] and before.values["memory"] == {
            "R1": "24"
        }
        state = graph.invoke(None, config, context=Context(), durability="sync")
    assert state["answer"] == "72" and state["error"] is None
    assert [a["observation"] for a in state["actions"]] == ["24", "72"]
    assert state["model_calls"] == 5 and len(state["plan_outputs"]) == 3  # nothing lost, nothing repeated
    assert len(planner.prompts) == 1 and grounder.prompts == []


def test_cli_thread_survives_ctrl_c_resumes_and_lists_its_history(thread_db, monkeypatch, capsys):
    db = thread_db

    def ctrl_c_on_second(args):
        if "R1" in args or "24" in args:
            raise KeyboardInterrupt
        return calculator(args)

    serve_graphs(
        monkeypatch,
        graph_with(scripted(*FIRST_TWO_SUBGOALS), scripted(*GROUNDINGS), ctrl_c_on_second),
        graph_with(scripted("Yes, I will stop planning."), scripted()),
        graph_with(scripted(), scripted()),  # `lumos history`
        graph_with(scripted(), scripted()),  # `lumos history` overview
        graph_with(scripted(), scripted()),  # a finished thread
    )
    code = cli.main(["run", "--thread", "t1", "--db", db, "--max-subgoals", "3", TASK])
    out, err = capsys.readouterr()
    assert code == 130 and "`lumos run --thread t1` resumes from the last completed step" in err
    assert "[execute] R1 = Calculator(48 / 2) -> 24" in out and "Answer" not in out

    code = cli.main(["run", "--thread", "t1", "--db", db])  # no task: the thread remembers it
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"Task: {TASK}" in out and "Resuming thread t1 at step 7 (execute)." in out
    assert "[execute] R2 = Calculator(48 + R1) -> 72" in out and "Answer: 72" in out
    with persistence.open_threads(db) as saver:
        info = persistence.load_thread(saver, "t1")
    assert info is not None and persistence.thread_context(info).max_subgoals == 3

    assert cli.main(["history", "--thread", "t1", "--db", db]) == 0
    history = capsys.readouterr().out.splitlines()
    steps = [line.split()[2] for line in history if line.startswith("step")]
    assert steps == [
        "input",
        "frame",
        "plan",
        "ground",
        "execute",
        "plan",
        "ground",
        "execute",
        "plan",
        "answer",
    ]
    assert (
        "step 1   frame    (no change)" in history and "step 2   plan     Subgoal 1: Clips in May." in history
    )
    assert "step 7   execute  R2 = Calculator(48 + R1) -> 72" in history
    assert history[-2:] == ["step 9   answer   Answer: 72", "finished"]

    assert cli.main(["history", "--db", db]) == 0
    assert "t1  onetime" in capsys.readouterr().out

    assert cli.main(["run", "--thread", "t1", "--db", db]) == 0
    assert "Thread t1 has finished." in capsys.readouterr().out


def test_a_thread_refuses_another_task_and_an_unknown_thread_needs_one(thread_db, tmp_path, capsys):
    db = thread_db
    with persistence.open_threads(db) as saver:
        persistence.save_thread(saver, "t1", "iterative", TASK, Context(max_subgoals=2))
    assert cli.main(["run", "--thread", "t1", "--db", db, "another task"]) == 2
    assert "runs another task" in capsys.readouterr().err
    assert cli.main(["run", "--thread", "t2", "--db", db]) == 2
    assert "give a task to start it" in capsys.readouterr().err
    assert cli.main(["history", "--thread", "nope", "--db", db]) == 2
    assert cli.main(["history", "--db", str(tmp_path / "missing.sqlite")]) == 2


def test_thread_settings_round_trip_and_tolerate_removed_fields(tmp_path):
    with persistence.open_threads(tmp_path / "x" / "threads.sqlite") as saver:
        persistence.save_thread(saver, "a", "onetime", "2+3?", Context(planner="p.gguf", review_plan=True))
        saver.conn.execute("UPDATE lumos_threads SET context = json_set(context, '$.gone', 1)")
        (info,) = persistence.list_threads(saver)
    assert (info["thread_id"], info["formulation"], info["task"]) == ("a", "onetime", "2+3?")
    context = persistence.thread_context(info)
    assert context.planner == "p.gguf" and context.review_plan is True


def test_an_unreachable_postgres_server_is_a_clear_error_without_its_password(capsys):
    url = "postgresql://lumos:s3cret@127.0.0.1:1/threads"
    assert cli.main(["run", "--thread", "t1", "--db", url, TASK]) == 2
    err = capsys.readouterr().err
    assert "cannot open the thread database postgresql://lumos:***@127.0.0.1:1/threads" in err
    assert "s3cret" not in err
