"""Bounded tool workers start and stop safely wherever the agent is used (issue 35)."""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# a script that runs the agent at module level, as notebooks, REPLs and quick scripts do
UNGUARDED = """
    from fakes import ScriptedModels, scripted
    from graphs import onetime
    from nodes.context import Context

    models = ScriptedModels(scripted("Subgoal 1: Add."), scripted("R1 = Calculator(1 + 1)"))
    state = onetime.build(models=models).compile().invoke({"task": "1 + 1?"}, context=Context(tool_timeout_s=10))
    print("ANSWER", state["answer"], state["error"])
"""
FORKED = """
    import os, sys
    from tools.bounded import bounded
    from tools.arithmetic import calculator

    add = bounded("Calculator", calculator, 10.0)
    print("PARENT", add("2 + 2"), flush=True)
    child = os.fork()
    if child == 0:
        print("CHILD", add("3 + 3"), flush=True)
        sys.exit(0)  # a normal exit: the child's own pool must not keep it alive
    _, status = os.waitpid(child, 0)
    print("CHILD EXIT", os.waitstatus_to_exitcode(status), flush=True)
"""


def run_script(tmp_path: Path, body: str, limit: float) -> tuple[subprocess.CompletedProcess[str], float]:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(body), encoding="utf-8")
    env = os.environ | {"PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"}
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=limit
    )
    return done, time.monotonic() - start


def spawned_processes() -> set[str]:
    """Return the pids of multiprocessing's spawned processes (tool workers, resource trackers)."""
    found = subprocess.run(["pgrep", "-f", "multiprocessing"], capture_output=True, text=True)
    return set(found.stdout.split())


@pytest.mark.timeout(120)
def test_a_script_without_a_main_guard_gets_its_answer_and_leaves_no_worker(tmp_path):
    before = spawned_processes()
    done, _ = run_script(tmp_path, UNGUARDED, limit=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ANSWER 2 None" in done.stdout
    # the workers did not run the script again (it would have printed or failed a second time)
    assert done.stdout.count("ANSWER") == 1 and "bootstrapping phase" not in done.stderr
    deadline = time.monotonic() + 10  # a killed worker's exit is reaped asynchronously
    while (left := spawned_processes() - before) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert left == set(), f"processes outlived the script: {left}"


@pytest.mark.timeout(120)
def test_a_forked_child_that_used_a_tool_exits_and_the_parent_keeps_its_own_pool(tmp_path):
    done, _ = run_script(tmp_path, FORKED, limit=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["PARENT 4", "CHILD 6", "CHILD EXIT 0"]


def test_a_wait_on_a_worker_is_bounded_even_when_no_worker_starts(monkeypatch):
    import concurrent.futures

    from tools import bounded
    from tools.errors import ToolError

    class NeverStarts:
        def schedule(self, function, args, timeout):
            return concurrent.futures.Future()  # pending forever: no worker picks it up

    monkeypatch.setattr(bounded, "_shared_pool", lambda: NeverStarts())
    start = time.monotonic()
    with pytest.raises(ToolError, match=r"no tool worker started within 0\.2 s"):
        bounded.call("Calculator", str, "1", timeout_s=0.2)
    assert time.monotonic() - start < 0.2 + bounded.START_GRACE_S + 0.5
