"""The real `langgraph dev` server, offline on a free loopback port, driven through `langgraph-sdk`.

The server serves the graphs of the project's langgraph.json (run on real weights in the gguf tests)
and, next to them, the same graphs over rule-based fakes (tests/server_graphs.py) for the checks
that need a model to follow the protocol: streaming, review over the server, final answers.
"""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from langgraph_sdk import get_sync_client

from models.llama_server import free_port

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(600)
TASK = "Natalia sold clips to 48 of her friends in April, and half as many in May. How many in total?"
OFFLINE = {
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    "LANGGRAPH_NO_VERSION_CHECK": "true",
    "LANGSMITH_TRACING": "false",
}


def server_config(tmp: Path) -> Path:
    """Write langgraph.json's graphs (absolute paths) plus the scripted ones into a config under ``tmp``."""
    project = json.loads((ROOT / "langgraph.json").read_text(encoding="utf-8"))
    graphs = {}
    for graph_id, spec in project["graphs"].items():
        file, _, attr = (spec["path"] if isinstance(spec, dict) else spec).partition(":")
        graphs[graph_id] = f"{(ROOT / file).resolve()}:{attr}"
    for formulation in ("iterative", "onetime", "web", "agent"):
        graphs[f"scripted_{formulation}"] = f"{ROOT / 'tests' / 'server_graphs.py'}:{formulation}"
    config = dict(project, dependencies=[str(ROOT), str(ROOT / "tests")], graphs=graphs)
    path = tmp / "langgraph.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Start `langgraph dev` in a scratch directory (its .langgraph_api/ goes there) and yield its URL."""
    tmp = tmp_path_factory.mktemp("langgraph-dev")
    port = free_port()
    command = [sys.executable, "-m", "langgraph_cli", "dev", "--no-browser", "--no-reload"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--config", str(server_config(tmp))]
    env = {k: v for k, v in os.environ.items() if k != "LANGSMITH_API_KEY"} | OFFLINE
    log_path = tmp / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(command, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240  # the first start compiles the server's bytecode on 2 busy cores
        while True:
            if proc.poll() is not None:
                pytest.fail(f"langgraph dev exited ({proc.returncode}):\n{log_path.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(url + "/ok", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"langgraph dev did not answer /ok:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def client(server):
    return get_sync_client(url=server, timeout=300)


def test_the_server_serves_the_graphs_of_langgraph_json(client):
    graph_ids = {a["graph_id"] for a in client.assistants.search(limit=50)}
    assert {"lumos", "lumos_iterative", "lumos_onetime"} <= graph_ids
    drawing = client.assistants.get_graph("lumos_iterative")
    assert {n["id"] for n in drawing["nodes"]} >= {"plan", "review", "ground", "execute", "answer"}


@pytest.mark.parametrize("formulation", ["iterative", "onetime"])
def test_thread_run_streams_updates_events_and_tokens_then_the_state(client, formulation):
    thread = client.threads.create()
    parts = list(
        client.runs.stream(
            thread["thread_id"],
            f"scripted_{formulation}",
            input={"task": TASK},
            stream_mode=["updates", "custom", "messages-tuple"],
        )
    )
    updates = [next(iter(p.data)) for p in parts if p.event == "updates"]
    events = [p.data for p in parts if p.event == "custom"]
    tokens = [p.data for p in parts if p.event == "messages"]
    expected = ["plan", "ground", "execute"] * (2 if formulation == "iterative" else 1)
    assert updates == ["frame", *expected, *(["plan"] if formulation == "iterative" else []), "answer"]
    assert [e["type"] for e in events if e["type"] == "result"] == ["result", "result"]
    assert events[-1] == {"type": "answer", "answer": "72", "error": None}
    assert len(tokens) > 6 and all(t[1]["langgraph_node"] in {"plan", "ground"} for t in tokens)
    state = client.threads.get_state(thread["thread_id"])
    assert state["next"] == [] and state["values"]["answer"] == "72"
    assert [a["observation"] for a in state["values"]["actions"]] == ["24", "72"]
    (run,) = client.runs.list(thread["thread_id"])
    assert run["status"] == "success"


def test_the_lumos_graph_streams_the_configuration_its_effort_picks_as_a_subgraph(client):
    thread = client.threads.create()
    parts = list(
        client.runs.stream(
            thread["thread_id"],
            "scripted_agent",
            input={"task": TASK},
            context={"effort": "fast"},
            stream_mode=["updates", "custom"],
            stream_subgraphs=True,
        )
    )
    inner = [next(iter(p.data)) for p in parts if p.event.startswith("updates|")]
    assert inner == ["frame", "plan", "ground", "execute", "answer"]
    events = [p.data for p in parts if p.event.startswith("custom")]
    assert events[-1] == {"type": "answer", "answer": "72", "error": None}
    values = client.threads.get_state(thread["thread_id"])["values"]
    assert values["answer"] == "72" and [a["observation"] for a in values["actions"]] == ["24", "72"]


def test_effort_best_on_the_lumos_graph_reasons_first_and_cross_checks_through_the_server(client):
    final = client.runs.wait(None, "scripted_agent", input={"task": TASK}, context={"effort": "best"})
    assert final["error"] is None and final["answer"] == "72" and final["agreed"] is True
    assert final["reasoning"].endswith("The answer is 72.") and len(final["attempts"]) == 1


def test_the_lumos_graph_pauses_for_review_and_resumes(client):
    thread = client.threads.create()
    context = {"effort": "fast", "review_plan": True}
    client.runs.wait(thread["thread_id"], "scripted_agent", input={"task": TASK}, context=context)
    state = client.threads.get_state(thread["thread_id"], subgraphs=True)
    (request,) = state["interrupts"]
    assert request["value"]["subgoals"] == ["Half of 48.", "Total."]
    final = client.runs.wait(
        thread["thread_id"], "scripted_agent", command={"resume": {"action": "approve"}}, context=context
    )
    assert final["answer"] == "72" and final["reviews"][0]["decision"] == "approve"


def test_review_pauses_the_run_and_a_command_resumes_it(client):
    thread = client.threads.create()
    context = {"review_plan": True}
    client.runs.wait(thread["thread_id"], "scripted_onetime", input={"task": TASK}, context=context)
    state = client.threads.get_state(thread["thread_id"])
    assert state["next"] == ["review"]
    (request,) = state["interrupts"]
    assert request["value"]["subgoals"] == ["Half of 48.", "Total."]
    edit = {"action": "edit", "subgoals": ["Half of 48.", "Add the two months."]}
    final = client.runs.wait(
        thread["thread_id"], "scripted_onetime", command={"resume": edit}, context=context
    )
    assert final["answer"] == "72" and final["subgoals"] == ["Half of 48.", "Add the two months."]
    assert final["reviews"][0]["decision"] == "edit"


def test_invalid_input_ends_with_a_clear_error_not_a_hung_run(client):
    started = time.monotonic()
    empty = client.runs.wait(None, "lumos_onetime", input={"task": "  "})  # no model is loaded for this
    assert empty["error"] == "the task is empty" and empty["stop_reason"] == "error"
    thread = client.threads.create()
    broken = client.runs.wait(
        thread["thread_id"], "lumos_iterative", input="not an object", raise_error=False
    )
    assert "Expected dict" in broken["__error__"]["message"]
    assert client.runs.list(thread["thread_id"])[0]["status"] == "error"
    bad_context = client.runs.wait(
        None, "lumos_onetime", input={"task": TASK}, context={"max_subgoals": 0}, raise_error=False
    )
    assert "max_subgoals" in bad_context["__error__"]["message"]
    assert time.monotonic() - started < 60


@pytest.mark.browser
@pytest.mark.usefixtures("browser")
def test_a_web_run_given_only_its_environment_sees_the_page_and_acts_on_it(client):
    # what a Studio user sends: the domain in the context, the episode in the input, no task text
    final = client.runs.wait(
        None,
        "scripted_web",
        input={"task": "", "environment": "miniwob/focus-text-v1?seed=100"},
        context={"domain": "web"},
    )
    assert final["error"] is None and final["answer"].startswith("raw reward 1, reward ")
    assert final["task"].startswith("Focus into the textbox.\nThe page:\n[4] input_text")
    bad = client.runs.wait(
        None, "scripted_web", input={"task": "", "environment": "click-button"}, context={"domain": "web"}
    )
    assert "cannot open the environment 'click-button'" in bad["error"] and bad["answer"] is None


@pytest.mark.gguf
@pytest.mark.parametrize("graph_id", ["lumos_iterative", "lumos_onetime"])
def test_real_graphs_run_on_smollm2_through_the_server(client, smollm2_path, graph_id):
    """The project's own graphs, on real weights: SmolLM2 cannot follow the protocol, but every run must end."""
    context = {
        "planner": "smollm2-135m",
        "grounder": "smollm2-135m",
        "max_subgoals": 1,
        "max_new_tokens": 32,
        "shots": 0,
    }
    thread = client.threads.create()
    parts = list(
        client.runs.stream(
            thread["thread_id"],
            graph_id,
            input={"task": "What is 2 + 3?"},
            context=context,
            stream_mode=["updates", "messages-tuple"],
        )
    )
    assert [p for p in parts if p.event == "error"] == []
    updates = [next(iter(p.data)) for p in parts if p.event == "updates"]
    assert updates[:2] == ["frame", "plan"] and updates[-1] == "answer"
    assert any(p.event == "messages" for p in parts)  # the model's tokens streamed
    values = client.threads.get_state(thread["thread_id"])["values"]
    assert values["model_calls"] >= 1 and values["stop_reason"] in {
        "planner",
        "plan_executed",
        "max_subgoals",
        "error",
    }
    assert values["answer"] is not None or values["error"]
    assert client.runs.list(thread["thread_id"])[0]["status"] == "success"
