"""Worked web examples that teach a skill, on pages of this project's own (``domains/web_pages``).

The MiniWoB++ demonstrations (``training/web_demos.py``) show the development tasks; these show
three skills any page asks for, on pages no benchmark has: finding an element by the text beside
it in a list of repeated rows, filling a form of several fields (text, a list, a checkbox), and
navigating before acting (open a section, act in it, go on). Each is written as subgoals and
the element each action takes, found by reading the page as it stands; running them in the
browser records the pages the agent would see (``python -m training.web_skills`` writes
``domains/web_skills.json``; ``tests/test_web_pages.py`` re-runs them).
"""

import json
from collections.abc import Callable
from pathlib import Path

from domains import web as web_domain
from nodes.domain import Annotation
from tools import web, web_page

PAGES = Path(web_domain.__file__).with_name("web_pages")
OUT = Path(web_domain.__file__).with_name("web_skills.json")
Locate = Callable[[web.Page], int]
Step = tuple[str, str, Locate, str]  # (subgoal, action, the element it acts on, text)


def element(tag: str, text: str = "", *, near: str = "") -> Locate:
    """Return a locator: the element of ``tag`` with ``text`` (or id), in the row holding ``near``."""

    def locate(page: web.Page) -> int:
        candidates = [e for e in page.elements if e.tag == tag and (not text or text in (e.text, e.id))]
        if near:
            rows = {e.parent for e in page.elements if e.text == near}
            candidates = [e for e in candidates if e.parent in rows]
        if not candidates:
            raise LookupError(f"no {tag} {text!r}{f' beside {near!r}' if near else ''} on the page")
        return candidates[0].ref

    return locate


SKILLS: list[tuple[str, str, list[Step]]] = [
    (
        "contacts.html",
        "Send a message to the person who lives in Porto.",
        [
            (
                "Click the Message button in the row of the person who lives in Porto.",
                "CLICK",
                element("button", "Message", near="Porto"),
                "",
            )
        ],
    ),
    (
        "signup.html",
        "Create a Team account for Lea Park with the email lea@example.org, accepting the terms.",
        [
            ("Type the full name.", "TYPE", element("input_text", "name"), "Lea Park"),
            ("Type the email.", "TYPE", element("input_email", "email"), "lea@example.org"),
            ("Choose the Team plan.", "SELECT", element("select", "plan"), "Team"),
            ("Tick the box that accepts the terms.", "CLICK", element("input_checkbox", "terms"), ""),
            ("Press Create account.", "CLICK", element("button", "Create account"), ""),
        ],
    ),
    (
        "shop.html",
        "Buy black tea.",
        [
            ("Open the Tea section.", "CLICK", element("a", "Tea"), ""),
            (
                "Add Black tea to the basket.",
                "CLICK",
                element("button", "Add to basket", near="Black tea"),
                "",
            ),
            ("Check out.", "CLICK", element("button", "Check out"), ""),
        ],
    ),
]


def action_text(index: int, name: str, ref: int, text: str) -> str:
    """Return the action line the instruct grounder writes (``R2 = TYPE(7, Lea Park)``)."""
    return f"R{index} = {name}({ref}{f', {text}' if text else ''})"


def demonstrate(page_file: str, task: str, steps: list[Step]) -> Annotation:
    """Run a skill's steps on its page; return the annotation with the pages they left."""
    episode = web_page.PageEpisode(web_page.page_url(str(PAGES / page_file)) or "")
    page = episode.open()
    try:
        framed = f"{task}\n{web_domain.outcome(page)}"
        actions, results = [], []
        for index, (_, name, locate, text) in enumerate(steps, start=1):
            ref = locate(page)
            page = episode.act(name, ref, text)
            actions.append(action_text(index, name, ref, text))
            results.append(web_domain.outcome(page))
    finally:
        episode.close()
    return Annotation(task=framed, subgoals=[s[0] for s in steps], actions=actions, results=results)


def main() -> None:
    """Write the skill examples, each run in the browser, to ``domains/web_skills.json``."""
    annotations = [{**demonstrate(*skill), "source": skill[0]} for skill in SKILLS]
    OUT.write_text(json.dumps(annotations, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(annotations)} skill examples -> {OUT}")  # noqa: T201 (a command's report)


if __name__ == "__main__":
    main()
