"""A user's own pages in a real headless Chromium, the skill examples on them, and what prompts keep."""

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import ScriptedModels, scripted

import cli
from domains import web as web_domain
from graphs import iterative
from nodes.context import Context
from tools import web, web_page
from training import web_skills

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("browser")]
PAGES = web_skills.PAGES


def ref(page: web.Page, tag: str, text: str) -> int:
    """The ref of the first element with the tag and text (or id), read from the page."""
    return next(e.ref for e in page.elements if e.tag == tag and text in (e.text, e.id))


def test_a_local_page_lists_its_visible_elements_and_takes_each_action():
    episode = web_page.PageEpisode(web_page.page_url(str(PAGES / "signup.html")) or "")
    page = episode.open()
    try:
        rendered = web.render(page)
        assert '[8] select "options: Free / Team / Enterprise" id=plan value="Free"' in rendered
        page = episode.act("TYPE", ref(page, "input_text", "name"), "Ada")
        page = episode.act("SELECT", ref(page, "select", "plan"), "enterprise")  # any case
        page = episode.act("CLICK", ref(page, "input_checkbox", "terms"))
        page = episode.act("TYPE", ref(page, "input_email", "email"), "ada@example.org")
        page = episode.act("CLICK", ref(page, "button", "Create account"))
        assert "Account created for Ada on the Enterprise plan" in web.render(page)
        with pytest.raises(web.WebError, match="no option 'Gold' \\(its options: Free, Team, Enterprise\\)"):
            episode.act("SELECT", ref(page, "select", "plan"), "Gold")
        with pytest.raises(web.WebError, match="no element 999 on the page"):
            episode.act("CLICK", 999)
    finally:
        episode.close()


def test_an_icon_button_on_a_users_page_reads_as_its_accessible_name(tmp_path):
    path = tmp_path / "icons.html"
    path.write_text(
        '<button aria-label="Delete draft" onclick="this.remove()"></button><a title="Settings" href="#">'
        "</a>",
        encoding="utf-8",
    )
    episode = web_page.PageEpisode(web_page.page_url(str(path)) or "")
    page = episode.open()
    try:
        rendered = web.render(page)
        assert 'button "Delete draft"' in rendered and 'a "Settings"' in rendered
        page = episode.act("CLICK", ref(page, "button", "Delete draft"))
        assert "Delete draft" not in web.render(page)
    finally:
        episode.close()


def test_only_local_files_and_this_machines_pages_are_page_environments(tmp_path):
    assert web_page.page_url("miniwob/click-button-v1") is None
    assert web_page.page_url(str(PAGES / "shop.html")) == (PAGES / "shop.html").resolve().as_uri()
    with pytest.raises(web.WebError, match="only local files and pages on this machine"):
        web_page.page_url("https://example.com/")
    with pytest.raises(web.WebError, match="no such page"):
        web_page.page_url(str(tmp_path / "missing.html"))


@pytest.fixture
def served() -> Iterator[str]:
    """The project's own pages served on 127.0.0.1, as a user's local site would be."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(PAGES))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_lumos_i_acts_on_a_page_served_on_this_machine_and_answers_with_the_last_page(served):
    url = f"{served}/contacts.html"
    planner = scripted(
        "Subgoal 1: Click the Call button in the row of the person who lives in Oslo.",
        "Yes, I will stop planning.",
    )
    grounder = scripted("R1 = CLICK(13)")
    graph = iterative.build(models=ScriptedModels(planner, grounder)).compile()
    state = graph.invoke(
        {"task": "Call the person in Oslo.", "domain": "web", "environment": url},
        context=Context(domain="web"),
    )
    assert state["error"] is None and "Calling Tom Berg" in state["answer"]
    assert state["answer"].startswith("Stopped after 1 action; the page now:")
    # a user's page reports no reward, so a stop is not second-guessed; the planner saw what changed
    assert not state.get("nudges") and len(planner.prompts) == 2
    assert 'What changed on the page: 1 changed: [13] button "Call" (focused). 1 new: [24] p' in (
        planner.prompts[1][-1].content
    )
    assert web_domain.close(url) is None


def test_lumos_run_takes_a_local_html_file_as_its_environment(monkeypatch, capsys):
    from clifakes import serve_graphs

    planner = scripted("Subgoal 1: Open the Tea section.", "Yes, I will stop planning.")
    graphs = [iterative.build(models=ScriptedModels(planner, scripted("R1 = CLICK(4)"))).compile()]
    graphs += [iterative.build(models=ScriptedModels(scripted(), scripted())).compile()]
    serve_graphs(monkeypatch, *graphs)
    page = str(PAGES / "shop.html")
    assert cli.main(["run", "--domain", "web", "--env", page, "Show me the teas."]) == 0
    out = capsys.readouterr().out
    assert '[4] a "Tea" id=nav-tea' in out and '[13] button "Add to basket"' in out
    assert "Answer: Stopped after 1 action; the page now:" in out
    assert cli.main(["run", "--domain", "web", "--env", "https://example.com/", "Buy tea."]) == 1
    assert "only local files and pages on this machine" in capsys.readouterr().out


def test_the_skill_examples_are_what_their_steps_do_on_the_projects_own_pages():
    recorded = json.loads(web_skills.OUT.read_text(encoding="utf-8"))
    assert [e["source"] for e in recorded] == [page for page, _, _ in web_skills.SKILLS]
    assert web_domain.WEB[: len(recorded)] == [
        {k: e[k] for k in ("task", "subgoals", "actions", "results")} for e in recorded
    ]
    for skill, example in zip(web_skills.SKILLS, recorded, strict=True):
        again = web_skills.demonstrate(*skill)
        assert dict(again) == {k: example[k] for k in ("task", "subgoals", "actions", "results")}
    # the list row is found by its neighbour's text, not by its place in the list
    assert recorded[0]["actions"] == ["R1 = CLICK(17)"] and "Writing to Mia Chen" in recorded[0]["results"][0]
    assert "Account created for Lea Park on the Team plan" in recorded[1]["results"][-1]
    assert "Ordered: Black tea" in recorded[2]["results"][-1]
    # none is written on a benchmark's page
    assert all(Path(PAGES / e["source"]).is_file() for e in recorded)


@pytest.mark.gguf
def test_lumos_i_on_a_real_model_fills_a_form_of_this_projects_own_with_typed_actions(small_model_path):
    """The small preset on a local page: every action names an element that can take it."""
    spec, page = str(small_model_path), str(PAGES / "signup.html")
    task = "Create a Free account for Bo Lin with the email bo@example.org, accepting the terms."
    context = Context(domain="web", planner=spec, grounder=spec, max_subgoals=4)
    state = iterative.graph.invoke({"task": task, "domain": "web", "environment": page}, context=context)
    assert state["actions"] and state["stop_reason"] in ("planner", "max_subgoals", "error")
    first = web_page.PageEpisode(web_page.page_url(page) or "")
    tags = {e.ref: e.tag for e in first.open().elements}
    first.close()
    for action in state["actions"]:  # the grammar admits TYPE only on text fields, SELECT on lists
        ref = int(action["args"].split(",")[0])
        assert action["name"] != "TYPE" or tags.get(ref) in ("input_text", "input_email")
        assert action["name"] != "SELECT" or tags.get(ref) == "select"
    assert state["answer"] is None or state["answer"].startswith("Stopped after")
    assert web_domain.close(page) is None
