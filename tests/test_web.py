"""MiniWoB++ episodes in a real headless Chromium: reset, act, render, rewards, faults, no orphans."""

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from clifakes import serve_graphs
from fakes import ScriptedModels, scripted
from gbnf import Grammar
from langgraph.types import Command

import cli
from domains import web as web_domain
from domains import web_sessions
from graphs import baselines, iterative, onetime, pipeline
from nodes import prompts, step
from nodes.context import Context
from tools import web
from training import web_demos

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("browser")]


def find(page: web.Page, tag: str, text: str = "", id: str = "") -> web.Element:
    """Return the first element of the page with the tag (and text or id), by reading the DOM."""
    for element in page.elements:
        if element.tag == tag and text in element.text and (not id or element.id == id):
            return element
    raise AssertionError(f"no {tag} {text!r} {id!r} in\n{web.render(page)}")


def test_a_dom_reading_policy_solves_login_user_with_reward_one():
    with web.Episode("login-user-v1", seed=3) as episode:
        page = episode.page
        assert page is not None and page.utterance.startswith("Enter the username")
        fields = dict(page.fields)
        page = episode.act("TYPE", find(page, "input_text", id="username").ref, fields["username"])
        assert not page.done and find(page, "input_text", id="username").value == fields["username"]
        page = episode.act("TYPE", find(page, "input_password").ref, fields["password"])
        page = episode.act("CLICK", find(page, "button", "Login").ref)
    assert page.done and page.raw_reward == 1.0 and 0 < page.reward <= 1.0


def test_the_same_seed_gives_the_same_task_and_choose_list_selects_by_text():
    utterances = []
    for _ in range(2):
        with web.Episode("miniwob/choose-list-v1", seed=7) as episode:
            page = episode.page
            assert page is not None
            utterances.append(page.utterance)
            wanted = dict(page.fields)["target"]
            page = episode.act("SELECT", find(page, "select").ref, wanted)
            page = episode.act("CLICK", find(page, "button", "Submit").ref)
            assert page.done and page.raw_reward == 1.0
    assert utterances[0] == utterances[1]


def test_a_wrong_click_fails_the_episode_and_the_rendering_lists_what_can_be_acted_on():
    with web.Episode("click-button-v1", seed=4) as episode:  # seed 4 shows three buttons
        page = episode.page
        assert page is not None
        wanted = dict(page.fields)["target"]
        text = web.render(page)
        assert f'button "{wanted}"' in text and all(line.startswith("[") for line in text.splitlines())
        wrong = next(e for e in page.elements if e.tag == "button" and e.text != wanted)
        page = episode.act("CLICK", wrong.ref)
    assert page.done and page.raw_reward == -1.0


def test_icons_without_text_are_listed_by_class_and_take_a_click():
    # social-media draws its reply/retweet/like/share buttons as empty spans: without their class
    # the agent could not name them at all
    with web.Episode("social-media-some-v1", seed=0) as episode:
        page = episode.page
        assert page is not None
        lines = web.render(page).splitlines()
        shares = [line for line in lines if line.endswith('span class="share"')]
        assert len(shares) == sum(1 for e in page.elements if e.classes == "share") > 1
        page = episode.act("CLICK", int(shares[0][1:].split("]")[0]))
        assert not page.done  # a share click is taken; the task ends at Submit


def test_only_empty_inline_leaves_outside_named_elements_are_listed_as_icons():
    elements = (
        web.Element(ref=1, tag="div", classes="media"),  # a container: its children speak for it
        web.Element(ref=2, tag="span", classes="reply", parent=1),
        web.Element(ref=3, tag="div", classes="resize-handle", parent=1),  # a layout leaf
        web.Element(ref=4, tag="button", text="Close", parent=1),
        web.Element(ref=5, tag="span", classes="icon-close", parent=4),  # inside a named button
        web.Element(ref=6, tag="span", parent=1),  # no class: nothing to name it by
    )
    assert web.render(web.Page(utterance="", elements=elements)) == (
        '[2] span class="reply"\n[4] button "Close"'
    )


def test_an_episode_outlives_the_pages_own_timer_and_its_reward_decays_against_it():
    with web.Episode("click-button-v1", seed=1) as episode:
        page = episode.page
        assert page is not None and episode.limit_ms == 10_000
        time.sleep(11)  # past the task's own 10 s: without the lift the page ends it as timed out
        page = episode.act("CLICK", find(page, "button", dict(page.fields)["target"]).ref)
    assert page.done and page.raw_reward == 1.0 and page.reward == 0.0 and page.reason != "timed out"


def test_the_decayed_reward_is_the_pages_formula_under_the_tasks_own_limit():
    lifted = 1 - 2_500 / web.EPISODE_MAX_MS  # what the lifted timer gives after 2.5 s
    assert web.decayed(lifted, 1.0, 10_000) == pytest.approx(0.75)
    assert web.decayed(lifted, 1.0, 20_000) == pytest.approx(0.875)
    assert web.decayed(-1.0, -1.0, 10_000) == -1.0 and web.decayed(1.0, 1.0, 10_000) == 1.0


def test_bad_references_actions_and_tasks_are_clear_errors():
    with pytest.raises(web.WebError, match="no MiniWoB\\+\\+ task 'miniwob/no-such-task'"):
        web.Episode("no-such-task", seed=0).open()
    with web.Episode("click-button-v1", seed=2) as episode:
        with pytest.raises(web.WebError, match="no element 9999 on the page"):
            episode.act("CLICK", 9999)
        with pytest.raises(web.WebError, match="unknown web action 'HOVER'"):
            episode.act("HOVER", 1)
    with pytest.raises(web.WebError, match="not open"):
        episode.act("CLICK", 1)


def test_a_killed_agent_leaves_no_browser_behind(tmp_path):
    script = textwrap.dedent(
        """
        import sys, time
        from tools import web
        episode = web.Episode("click-button-v1", seed=0)
        episode.open()
        print("open", flush=True)
        time.sleep(60)
        """
    )
    agent = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
        start_new_session=True,
    )
    assert agent.stdout is not None and agent.stdout.readline().strip() == "open"
    children = subprocess.run(["pgrep", "-s", str(agent.pid)], capture_output=True, text=True).stdout.split()
    assert len(children) > 2  # the agent, chromedriver, Chromium and its helpers
    agent.send_signal(signal.SIGKILL)
    agent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        left = subprocess.run(
            ["pgrep", "-f", f"{web.cache_root()}/web/"], capture_output=True, text=True
        ).stdout
        alive = [pid for pid in children if os.path.exists(f"/proc/{pid}") and pid != str(agent.pid)]
        if not alive and not left.strip():
            break
        time.sleep(0.2)
    assert not alive, f"processes outlived the agent: {alive}"


# --- the web domain through the real graph, with scripted models ------------------------------


def web_input(environment: str) -> dict[str, str]:
    """A server caller's input: the episode alone; the run's first node frames its page."""
    return {"task": "", "domain": "web", "environment": environment}


def page_task(environment: str) -> str:
    """The task as the agent sees it: the page's instruction, then the page (of an episode of its own)."""
    try:
        return web_domain.frame_task("", environment, "peek")
    finally:
        web_domain.close(environment, "peek")


def first_page(environment: str) -> web.Page:
    """The page an episode starts on, read from an episode of its own (the runs open theirs)."""
    page = web_domain.session(environment, "peek").episode.page
    web_domain.close(environment, "peek")
    assert page is not None
    return page


def test_lumos_i_solves_login_user_through_the_real_graph_and_closes_the_browser():
    environment = "miniwob/login-user-v1?seed=5"
    task = web_input(environment)
    fields = dict(first_page(environment).fields)
    framed = page_task(environment)
    assert framed.startswith('Enter the username "') and "[7] input_text id=username" in framed
    planner = scripted(
        "Subgoal 1: Type the username.",
        "Subgoal 2: Type the password.",
        "Subgoal 3: Press login.",
        "Yes, I will stop planning.",
    )
    grounder = scripted(
        f"R1 = TYPE(7, {fields['username']})", f"R2 = TYPE(10, {fields['password']})", "R3 = CLICK(11)"
    )
    graph = iterative.build(models=ScriptedModels(planner, grounder)).compile()
    state = graph.invoke(task, context=Context(domain="web"))
    assert state["error"] is None and state["answer"].startswith("raw reward 1, reward ")
    assert f'value="{fields["username"]}"' in state["actions"][0]["observation"]
    assert state["actions"][-1]["observation"].startswith("The episode ended: raw reward 1")
    assert f'value="{fields["username"]}"' in planner.prompts[1][-1].content  # the planner saw the page
    assert web_domain.close(environment) is None  # the answer node closed it


def test_the_lumos_profile_speaks_lumos_web_protocol_and_its_queries_pick_the_elements():
    environment = "miniwob/login-user-v1?seed=5"
    task = web_input(environment)
    fields = dict(first_page(environment).fields)
    planner = scripted(
        "Subgoal 1: Type the username.",
        "No, I will keep planning. Subgoal 2: Type the password.",
        "No, I will keep planning. Subgoal 3: Click the login button.",
        "Yes, I will stop planning.",
    )
    grounder = scripted(
        f"R1 = TYPE(Env, QUERY: Type the username, TEXT: {fields['username']})",
        f"R2 = TYPE(R1, QUERY: Type the password, TEXT: {fields['password']})",
        "R3 = CLICK(R2, QUERY: Click the login button)",
    )
    graph = iterative.build(models=ScriptedModels(planner, grounder)).compile()
    state = graph.invoke(task, context=Context(domain="web", profile="lumos"))
    assert state["error"] is None and state["answer"].startswith("raw reward 1, reward ")
    # the username's label shares the query's word; the text field is what TYPE acts on
    assert state["actions"][0]["observation"].endswith("(the query picked [7] input_text id=username)")
    # Lumos's web turns, byte-exact: the feedback restates the subgoal, the grounder sees no page
    assert planner.prompts[1][-1].content == "We have already type the username. Should we stop planning?"
    assert grounder.prompts[0][0].content.startswith(prompts.GROUND_PREFIX_WEB_AGENT + "Task: ")
    assert grounder.prompts[1][-1].content == "Subgoal to be grounded: Subgoal 2: Type the password."
    gbnf = Grammar(web_domain.ground(web_domain.ACTIONS, assigned=1, state=task, profile="lumos"))
    assert gbnf.accepts("R2 = CLICK(R1, QUERY: Click the login button)")
    assert not gbnf.accepts("R2 = CLICK(11)")


def test_lumos_i_stops_when_the_episode_ends_and_acts_no_further():
    environment = "miniwob/click-button-v1?seed=4"
    task = web_input(environment)
    page = first_page(environment)
    button = find(page, "button", dict(page.fields)["target"])
    # the planner would go on and the grounder wrote a second click: neither is reached
    planner = scripted("Subgoal 1: Click the button.", "Subgoal 2: Click it again.")
    grounder = scripted(f"R1 = CLICK({button.ref}); R2 = CLICK({button.ref})")
    graph = iterative.build(models=ScriptedModels(planner, grounder)).compile()
    state = graph.invoke(task, context=Context(domain="web"))
    assert state["stop_reason"] == "environment" and state["answer"].startswith("raw reward 1")
    assert [a["name"] for a in state["actions"]] == ["CLICK"] and len(planner.prompts) == 1
    assert state["subgoal_results"][0].startswith("The episode ended: raw reward 1")


def test_lumos_o_grounds_each_subgoal_on_the_page_its_turn_finds():
    environment = "miniwob/login-user-v1?seed=5"
    task = web_input(environment)
    fields = dict(first_page(environment).fields)
    planner = scripted(
        "Subgoal 1: Type the username.; Subgoal 2: Type the password.; Subgoal 3: Press login."
    )
    grounder = scripted(
        f"R1 = TYPE(7, {fields['username']})", f"R2 = TYPE(10, {fields['password']})", "R3 = CLICK(11)"
    )
    graph = onetime.build(one_at_a_time=True, models=ScriptedModels(planner, grounder)).compile()
    state = graph.invoke(task, context=Context(domain="web"))
    assert state["error"] is None and state["answer"].startswith("raw reward 1, reward ")
    assert state["stop_reason"] == "environment" and len(planner.prompts) == 1
    assert [a["subgoal"] for a in state["actions"]] == [1, 2, 3]
    # the second turn grounds subgoal 2 alone, on the page the first action left
    second = grounder.prompts[1][-1].content
    assert "Subgoal to be grounded: Subgoal 2: Type the password." in second
    assert f'value="{fields["username"]}"' in second and "Subgoal 3" not in second
    assert web_domain.close(environment) is None


def test_a_lumos_o_plan_that_runs_out_on_an_open_episode_is_continued_once_then_says_so():
    environment = "miniwob/enter-text-v1?seed=3"
    task = web_input(environment)
    box = find(first_page(environment), "input_text")
    planner = scripted("Subgoal 1: Type the text.", "Subgoal 2: Type it again.")
    grounder = scripted(f"R1 = TYPE({box.ref}, hello)", f"R2 = TYPE({box.ref}, hello)")
    graph = onetime.build(one_at_a_time=True, models=ScriptedModels(planner, grounder)).compile()
    state = graph.invoke(task, context=Context(domain="web"))
    # the plan ran out with the episode open: the planner was told once and continued from Subgoal 2
    assert [n["after"] for n in state["nudges"]] == [1] and len(planner.prompts) == 2
    told = planner.prompts[1][-1].content
    assert "The episode is still open" in told and "Continue the plan from Subgoal 2." in told
    assert planner.calls[1]["grammar"].startswith('root ::= "Subgoal 2: "')
    assert [a["subgoal"] for a in state["actions"]] == [1, 2] and state["answer"] is None
    assert "stopped before the episode ended" in state["error"]


@pytest.mark.parametrize("style", ["integrated", "direct"])
def test_the_baselines_act_step_by_step_on_the_page_each_step_leaves(style):
    environment = "miniwob/login-user-v1?seed=5"
    task = web_input(environment)
    fields = dict(first_page(environment).fields)
    lines = [f"R1 = TYPE(7, {fields['username']})", f"R2 = TYPE(10, {fields['password']})", "R3 = CLICK(11)"]
    subgoals = ["Type the username.", "Type the password.", "Press login."]
    if style == "integrated":
        lines = [
            f"Subgoal {k}: {s}\n{line}" for k, (s, line) in enumerate(zip(subgoals, lines, strict=True), 1)
        ]
    model = scripted(*lines)
    assert pipeline.pipeline(style, Context(domain="web")).name == f"{style}-stepwise"
    graph = baselines.build_stepwise(style, models=ScriptedModels(model, scripted())).compile()
    state = graph.invoke(task, context=Context(domain="web"))
    assert state["error"] is None and state["answer"].startswith("raw reward 1, reward ")
    assert state["stop_reason"] == "environment" and state["model_calls"] == 3
    assert state["subgoals"] == (subgoals if style == "integrated" else [])
    # each call saw the page the previous step left, and the grammar admits what was written
    assert f'value="{fields["username"]}"' in model.prompts[1][-1].content
    step_state = {"task": page_task(environment), "actions": state["actions"][:1], "subgoal_results": ["x"]}
    gbnf = step.step_grammar(step_state, Context(domain="web"), web_domain.DOMAIN, style)
    assert Grammar(gbnf).accepts(lines[1]) and Grammar(gbnf).accepts("Yes, I will stop planning.")
    assert not Grammar(gbnf).accepts(lines[1].replace("TYPE(10", "TYPE(99"))


def test_an_element_not_on_the_page_is_an_error_the_planner_sees_and_the_grammar_refuses():
    environment = "miniwob/click-button-v1?seed=4"
    task = web_input(environment)
    grammar_text = web_domain.ground(web_domain.ACTIONS, assigned=0, state={"task": page_task(environment)})
    assert Grammar(grammar_text).accepts("R1 = CLICK(6)") and not Grammar(grammar_text).accepts(
        "R1 = CLICK(99)"
    )
    planner = scripted(
        "Subgoal 1: Click the button.", "Yes, I will stop planning.", "Yes, I will stop planning."
    )
    graph = iterative.build(models=ScriptedModels(planner, scripted("R1 = CLICK(99)"))).compile()
    state = graph.invoke(task, context=Context(domain="web", constrained=False))
    assert state["actions"][0]["observation"] == "Error: CLICK failed: no element 99 on the page"
    # the stop on an open episode came back once as an observation; the second stop stands
    assert state["nudges"][0]["note"] == "The episode is still open: the task is not done yet."
    assert (
        planner.prompts[2][-1].content.startswith("The episode is still open") and len(planner.prompts) == 3
    )
    assert "no element 99" in planner.prompts[1][-1].content
    assert state["answer"] is None and "stopped before the episode ended" in state["error"]


def test_lumos_o_grounding_a_whole_plan_at_once_refuses_a_live_page_and_says_which_graph_to_use():
    models = ScriptedModels(scripted("Subgoal 1: Focus into the textbox."), scripted("R1 = CLICK(4)"))
    state = onetime.build(models=models).compile().invoke(web_input("miniwob/focus-text-v1?seed=100"))
    assert "grounds one subgoal at a time" in state["error"] and "one_at_a_time=True" in state["error"]
    assert models.by_role["grounder"].calls == []  # refused before asking
    assert not [
        key for key in web_sessions._SESSIONS if "focus-text" in key[1]
    ]  # a failed run's browser closed
    assert pipeline.pipeline("onetime", Context(domain="web")).name == "lumos-onetime-stepwise"


def test_two_runs_of_the_same_episode_each_act_on_a_browser_of_their_own(monkeypatch):
    from langgraph.checkpoint.memory import InMemorySaver

    environment = "miniwob/focus-text-v1?seed=100"
    opened, acted = [], []
    real_open, real_act = web.Episode.open, web.Episode.act
    monkeypatch.setattr(web.Episode, "open", lambda self: (opened.append(id(self)), real_open(self))[1])
    monkeypatch.setattr(web.Episode, "act", lambda self, *a: (acted.append(id(self)), real_act(self, *a))[1])

    def graph():
        models = ScriptedModels(scripted("Subgoal 1: Focus into the textbox."), scripted("R1 = CLICK(4)"))
        return onetime.build(one_at_a_time=True, models=models).compile(checkpointer=InMemorySaver())

    first, second = graph(), graph()
    paused = {"configurable": {"thread_id": "a"}}
    review = Context(domain="web", review_plan=True)  # run a stops after planning, its page open
    first.invoke(web_input(environment), paused, context=review)
    assert len(opened) == 1
    state = second.invoke(
        web_input(environment), {"configurable": {"thread_id": "b"}}, context=Context(domain="web")
    )
    assert state["answer"].startswith("raw reward 1") and len(opened) == 2 and acted == [opened[1]]
    state = first.invoke(Command(resume="approve"), paused, context=review)
    assert state["answer"].startswith("raw reward 1")
    assert acted == [opened[1], opened[0]]  # run a acted on the browser it opened, untouched by run b
    assert not [key for key in web_sessions._SESSIONS if "focus-text" in key[1]]


def test_a_resumed_run_replays_its_actions_on_a_fresh_episode():
    environment = "miniwob/enter-text-v1?seed=2"
    task = web_input(environment)
    wanted = dict(web_domain.session(environment).episode.page.fields)["target"]
    text_box = next(e for e in web_domain.session(environment).episode.page.elements if e.tag == "input_text")
    first = web_domain.toolbox(None, Context(domain="web"), {**task})["TYPE"](f"{text_box.ref}, {wanted}")
    assert f'value="{wanted}"' in first
    web_domain.close(environment)  # the process that ran it is gone
    done = {
        **task,
        "actions": [
            {
                "name": "TYPE",
                "args": f"{text_box.ref}, {wanted}",
                "ok": True,
                "outputs": ["R1"],
                "observation": first,
                "subgoal": 1,
            }
        ],
    }
    tools = web_domain.toolbox(None, Context(domain="web"), done)  # a new episode, caught up
    assert web_domain.session(environment).applied == [("TYPE", f"{text_box.ref}, {wanted}")]
    submit = next(e for e in web_domain.session(environment).episode.page.elements if e.tag == "button")
    assert tools["CLICK"](str(submit.ref)).startswith("The episode ended: raw reward 1")
    web_domain.close(environment)


def test_a_run_stopped_after_each_action_and_resumed_without_its_browser_finishes_the_episode():
    from langgraph.checkpoint.memory import InMemorySaver

    environment = "miniwob/login-user-v1?seed=5"
    task = web_input(environment)
    fields = dict(first_page(environment).fields)
    planner = scripted(
        "Subgoal 1: Type the username.", "Subgoal 2: Type the password.", "Subgoal 3: Press login."
    )
    grounder = scripted(
        f"R1 = TYPE(7, {fields['username']})", f"R2 = TYPE(10, {fields['password']})", "R3 = CLICK(11)"
    )
    graph = iterative.build(models=ScriptedModels(planner, grounder)).compile(
        checkpointer=InMemorySaver(), interrupt_after=["execute"]
    )
    config = {"configurable": {"thread_id": "web"}}
    state = graph.invoke(task, config, context=Context(domain="web"))
    for _ in range(3):  # each stop loses the browser, as a killed process would
        assert web_domain.close(environment) is not None
        state = graph.invoke(None, config, context=Context(domain="web"))
        if state.get("answer") is not None:
            break
    # every resumed step replayed what the thread had executed on a fresh episode of the same seed
    assert state["answer"].startswith("raw reward 1, reward ") and state["error"] is None
    assert [a["name"] for a in state["actions"]] == ["TYPE", "TYPE", "CLICK"]


def test_lumos_run_acts_on_the_page_its_env_and_seed_name_and_saves_a_screenshot_per_step(
    monkeypatch, capsys, tmp_path
):
    planner = scripted("Subgoal 1: Focus into the textbox.", "Yes, I will stop planning.")
    grounder = scripted("R1 = CLICK(4)")
    graphs = [iterative.build(models=ScriptedModels(planner, grounder)).compile()]
    graphs += [iterative.build(models=ScriptedModels(scripted(), scripted())).compile()]
    serve_graphs(monkeypatch, *graphs)
    shots = tmp_path / "shots"
    command = ["run", "--domain", "web", "--env", "miniwob/focus-text-v1", "--seed", "100"]
    assert cli.main([*command, "--screenshots", str(shots)]) == 0
    out = capsys.readouterr().out
    assert "[frame]   Focus into the textbox." in out and "[4] input_text id=tt" in out
    assert "The episode ended: raw reward 1" in out and "Answer: raw reward 1, reward" in out
    # the page it started on and the one its action left, linked from the action's observation
    pngs = sorted((shots / "focus-text-v1-seed100").iterdir())
    assert [p.name for p in pngs] == ["00.png", "01.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG\r\n") for p in pngs)
    assert f"(screenshot {pngs[1]})" in out
    assert (
        cli.main(["run", "--domain", "web", "--env", "click-button"]) == 1
    )  # the run's first node refuses it
    assert "miniwob/<task>-v1?seed=<n>" in capsys.readouterr().out
    assert cli.main(["run", "--domain", "web", "--env", "miniwob/focus-text-v1?seed=4", "--seed", "5"]) == 2
    assert "names seed 4, and --seed 5 another" in capsys.readouterr().err
    assert cli.main(["run", "--seed", "5", "What is 2 + 2?"]) == 2
    assert "the maths domain has none" in capsys.readouterr().err


# --- demonstrations and worked examples ---------------------------------------------------------


def decay_free(results: list[str]) -> list[str]:
    """The results without the time-decayed reward, which depends on how long the episode took."""
    return [re.sub(r", reward \d\.\d\d\.", ", reward .", r) for r in results]


def test_the_worked_examples_are_solved_episodes_the_policies_reproduce():
    sources = [e["source"] for e in json.loads(web_domain.EXEMPLARS_FILE.read_text())]
    demos = web_domain.WEB[-len(sources) :]  # after the skill examples (tests/test_web_pages.py)
    assert len(sources) == 3
    for example, source in zip(demos, sources, strict=True):
        task, seed = web_domain.parse_environment(source)
        assert seed in web_demos.TRAIN_SEEDS
        again = web_demos.demonstrate(task.removeprefix("miniwob/"), seed)
        assert (again["task"], again["subgoals"], again["actions"]) == (
            example["task"],
            example["subgoals"],
            example["actions"],
        )
        assert decay_free(again["results"]) == decay_free(example["results"])
        assert example["results"][-1].startswith("The episode ended: raw reward 1")


@pytest.mark.parametrize("task", sorted(web_demos.POLICIES))
def test_each_development_tasks_policy_solves_a_training_seed(task):
    annotation = web_demos.demonstrate(task, 1002)
    assert annotation["results"][-1].startswith("The episode ended: raw reward 1")
    assert len(annotation["subgoals"]) == len(annotation["actions"]) == len(annotation["results"])


@pytest.mark.gguf
@pytest.mark.timeout(600)
def test_lumos_i_on_a_real_model_acts_only_on_elements_of_the_page(small_model_path):
    """The default preset on one real episode: it ends, every action named an element the page had."""
    spec = str(small_model_path)
    environment = "miniwob/click-button-v1?seed=4"
    task = web_input(environment)
    context = Context(domain="web", planner=spec, grounder=spec, max_subgoals=3)
    state = iterative.graph.invoke(task, context=context)
    assert state["actions"] and state["stop_reason"] in ("environment", "planner", "max_subgoals", "error")
    on_page = {int(ref) for ref in re.findall(r"^\[(\d+)\]", page_task(environment), re.M)}
    for action in state["actions"]:
        assert action["name"] in web_domain.ACTIONS
        assert int(action["args"].split(",")[0]) in on_page or not action["ok"]
    assert (state["answer"] or "").startswith("raw reward") or state["error"]
    assert web_domain.close(environment) is None  # the answer node closed the browser


# --- evaluation -----------------------------------------------------------------------------------


def test_lumos_eval_miniwob_scores_episodes_per_task_and_leaves_no_browser(monkeypatch, tmp_path, capsys):
    planner = scripted(  # the focus click ends an episode, so the planner is not asked after it
        "Subgoal 1: Focus into the textbox.",
        "Subgoal 1: Focus into the textbox.",
        "Yes, I will stop planning.",  # the third episode: the planner gives up at once
        "Yes, I will stop planning.",  # and again when told the episode is still open
    )
    grounder = scripted("R1 = CLICK(4)", "R1 = CLICK(4)")
    serve_graphs(monkeypatch, iterative.build(models=ScriptedModels(planner, grounder)).compile())
    out = tmp_path / "miniwob.jsonl"
    argv = ["eval", "miniwob", "--tasks", "focus-text", "--episodes", "3", "--seed", "100", "--out", str(out)]
    assert cli.main(argv) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == [f"miniwob/focus-text-v1?seed={s}" for s in (100, 101, 102)]
    assert [r["reward"] for r in rows] == [1.0, 1.0, 0.0] and [r["steps"] for r in rows] == [1, 1, 0]
    assert rows[0]["task"].startswith("Focus into the textbox.\nThe page:\n[4] input_text id=tt")
    assert "stopped before the episode ended" in rows[2]["error"]
    assert not [key for key in web_sessions._SESSIONS if "focus-text" in key[1]]  # every browser closed
    summary = json.loads(out.with_suffix(".summary.json").read_text())
    assert summary["metrics"]["success"] == pytest.approx(2 / 3) and summary[
        "steps_per_example"
    ] == pytest.approx(2 / 3)
    assert summary["by_group"]["focus-text"]["examples"] == 3
    assert (
        summary["command"].startswith("lumos eval miniwob --formulation iterative")
        and "--seed 100" in summary["command"]
    )
    assert "MiniWoB++" in out.with_suffix(".md").read_text()
    capsys.readouterr()
    # the exemplars' seeds are refused: an evaluated page must not be a shown one
    assert cli.main([*argv[:6], "--seed", "998", "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "episode seeds must lie in 0..999" in capsys.readouterr().err
    # CoT has nothing to act with on a page: refused, not run as a text answer
    assert cli.main([*argv[:6], "--formulation", "cot", "--out", str(tmp_path / "o.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "the web domain runs under direct, integrated, iterative, onetime only, not cot" in err
    assert not (tmp_path / "o.jsonl").exists()
