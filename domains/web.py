"""The web domain: Lumos acting on live pages in a headless browser (``tools/web.py``).

A task's ``environment`` names a MiniWoB++ task and seed, ``miniwob/click-button-v1?seed=3``, or a
user's own page: a local ``.html`` file or a URL on this machine (``tools/web_page.py``), which
reports no reward, so its run ends when the planner stops and answers with the last page.
The run owns that one episode: the toolbox opens it (a seeded reset always shows the same page),
each ``CLICK``/``TYPE``/``SELECT`` acts on an element of the current page by its ``[ref]`` and
returns the next page as its value, and the answer rule reads the reward and closes the browser.
The graph state holds only JSON: the actions, their outcomes (the rendered pages) and the reward.
A run resumed in a new process (a durable thread) replays its executed actions on a fresh
episode with the same seed before it acts again.

The ``lumos`` profile speaks Lumos's own web protocol byte-exact, as its released web checkpoints
need: Lumos's web grounding prefix, the planner feedback that restates the subgoal as done, and
actions that name a query rather than an element; the instruct profile's grounder names elements by
their refs. Both syntaxes and their grammars are in ``domains/web_actions.py``.
"""

import json
import re
from pathlib import Path

from domains.web_actions import (
    ACTIONS,
    element_lines,
    ground,
    line_ref,
    parse_args,
    parse_query,
    ranked_line,
    unchanged,
)
from domains.web_sessions import Session, close, episode_name, is_page, parse_environment, session
from models.registry import ModelProvider
from nodes.context import Context
from nodes.domain import Annotation, Domain, Formulation, Outcome
from nodes.state import LumosState
from tools import MemoryTool, Toolbox
from tools import web as webtool

TRAIN_SEEDS = range(1000, 2000)  # the exemplars' and demonstrations' episodes; evaluation seeds are below
DEV_TASKS = (  # the development tasks (issue 20); others are held out for checking what generalises
    "click-button",
    "click-link",
    "enter-text",
    "login-user",
    "click-tab",
    "focus-text",
    "click-checkboxes",
    "choose-list",
    "click-dialog",
    "enter-password",
    "search-engine",
    "click-option",
)
GROUND_PREFIX_WEB = (
    "Please ground the given subgoal to corresponding executable actions for solving the given task. "
    "The grounded actions must be the one in available action list.\n\n"
    "The available action list is 'CLICK', 'TYPE', 'SELECT'.\n"
    "CLICK(ref): Click the element [ref] of the current page; TYPE(ref, text): Type text into the "
    "element [ref]; SELECT(ref, text): Select the option text of the selection box [ref].\n\n"
)


def seeded(environment: str, seed: int) -> str:
    """Return the environment's episode with this seed (``lumos run --seed``); a user's page has one."""
    if is_page(episode_name(environment)):
        return environment
    task, given = parse_environment(environment)
    if "?seed=" in environment and given != seed:
        raise ValueError(f"{environment} names seed {given}, and --seed {seed} another")
    return f"{task}?seed={seed}"


ENDED = "The episode ended:"


def outcome(page: webtool.Page) -> str:
    """Return what an action left: the next page, or how the episode ended."""
    if page.done:
        return f"{ENDED} raw reward {page.raw_reward:g}, reward {page.reward:.2f}."
    return "The page:\n" + webtool.render(page)


def _act(opened: Session, name: str, args: str) -> tuple[webtool.Page, str | None]:
    """Run one action on the episode; return the page after it and, for a query, the line it picked."""
    page, picked = opened.episode.page, None
    if (query := parse_query(name, args)) is not None and page is not None:
        picked = ranked_line(page, name, *query)
        ref, text = line_ref(picked), query[1]
    else:
        ref, text = parse_args(name, args)
    try:
        after = opened.episode.act(name, ref, text)
    except webtool.WebError as err:
        raise ValueError(str(err)) from None
    opened.applied.append((name, args))
    return after, picked


MAX_CHANGED_LINES = 6  # element lines a change summary quotes; the rest are counted


def page_lines(text: str) -> dict[str, str]:
    """Return a rendered page's element lines by ref (``"7"`` -> ``[7] input_text ...``)."""
    return {line[1 : line.index("]")]: line for line in element_lines(text)}


def changes(before: str, after: str) -> str:
    """Return what an action changed on the page: elements that changed, appeared or went."""
    if after.startswith(ENDED):
        return after
    old, new = page_lines(before), page_lines(after)
    parts = []
    for label, lines in (
        ("changed", [line for ref, line in new.items() if ref in old and old[ref] != line]),
        ("new", [line for ref, line in new.items() if ref not in old]),
    ):
        if lines:
            quoted = "; ".join(lines[:MAX_CHANGED_LINES])
            more = f" and {len(lines) - MAX_CHANGED_LINES} more" if len(lines) > MAX_CHANGED_LINES else ""
            parts.append(f"{len(lines)} {label}: {quoted}{more}")
    if gone := [ref for ref in old if ref not in new]:
        parts.append(f"{len(gone)} gone: {', '.join(f'[{ref}]' for ref in gone[:MAX_CHANGED_LINES])}")
    return "What changed on the page: " + (". ".join(parts) if parts else "nothing") + "."


def unfinished(state: LumosState) -> str | None:
    """Return what the episode says while it is open (its task not done yet), or None once it ended.

    A step that left the page as it was is named as such: a planner that repeats it stays stuck.
    """
    try:
        parse_environment(state.get("environment"))
    except ValueError:
        return None  # not an episode that reports when its task is done
    results = state.get("subgoal_results", [])
    if results and results[-1].startswith(ENDED):
        return None
    note = "The episode is still open: the task is not done yet."
    before = results[-2] if len(results) > 1 else state.get("task", "")
    if results and unchanged(before, results[-1]):
        note += " The last step changed nothing on the page: doing it again will not help."
    return note


def history(state: LumosState) -> list[tuple[str, str]]:
    """Return the web actions the run executed without error, in order."""
    return [(a["name"], a["args"]) for a in state.get("actions", []) if a["name"] in ACTIONS and a["ok"]]


def catch_up(opened: Session, done: list[tuple[str, str]]) -> Session:
    """Bring the episode to where the run is: replay what it ran and the browser has not seen."""
    if opened.applied == done[: len(opened.applied)]:
        for name, args in done[len(opened.applied) :]:
            _act(opened, name, args)
        return opened
    opened.episode.close()  # another history: start over from the seeded reset
    opened.episode.open()
    opened.applied = []
    return catch_up(opened, done)


def shot_path(directory: str, environment: str | None, step: int) -> Path:
    """Return where the page after ``step`` actions is saved: ``<dir>/<task>-seed<n>/<step>.png``."""
    name = episode_name(environment)
    if is_page(name):  # a user's page: its file or path name
        folder = re.sub(r"[^A-Za-z0-9._-]+", "-", name.split("://", 1)[1]).strip("-")[-60:]
        return Path(directory) / folder / f"{step:02d}.png"
    task, seed = parse_environment(name)
    return Path(directory) / f"{task.removeprefix('miniwob/')}-seed{seed}" / f"{step:02d}.png"


def save_shot(opened: Session, directory: str | None) -> str:
    """Save the page as a PNG when screenshots are asked for; return the line that links it."""
    if directory is None:
        return ""
    path = shot_path(directory, opened.environment, len(opened.applied))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        opened.episode.screenshot(path)
    except (webtool.WebError, OSError) as err:
        return f"\n(no screenshot: {err})"
    return f"\n(screenshot {path})"


class WebAction(MemoryTool):
    """One of CLICK, TYPE and SELECT on the run's episode.

    A memory tool, so that Lumos's environment argument (``R1`` in ``CLICK(R1, QUERY: ...)``)
    stays a name: it stands for the current page, whose text must not be pasted into the arguments.
    """

    def __init__(self, opened: Session, name: str, screenshots: str | None = None) -> None:
        self.opened, self.name, self.screenshots = opened, name, screenshots

    def __call__(self, args: str, memory: object = None, subgoal: str = "") -> str:
        """Act on the page; return the page after it (or how the episode ended)."""
        page, picked = _act(self.opened, self.name, args)
        shot = save_shot(self.opened, self.screenshots)
        return outcome(page) + (f"\n(the query picked {picked})" if picked else "") + shot


def toolbox(models: ModelProvider, context: Context, state: LumosState | None = None) -> Toolbox:
    """Return the web actions over the run's episode, caught up with what the run executed."""
    if state is None:
        raise ValueError("the web tools act on a run's episode: they need the run's state")
    opened = catch_up(session(state.get("environment"), state.get("run_key", "")), history(state))
    if context.screenshots is not None and not opened.applied:
        save_shot(opened, context.screenshots)  # the page the run starts on
    return {name: WebAction(opened, name, context.screenshots) for name in sorted(ACTIONS)}


def frame_task(task: str, environment: str | None, run_key: str = "") -> str:
    """Return the task as the agent sees it: the page's instruction (or ``task``), then the page."""
    page = session(environment, run_key).episode.page
    assert page is not None  # an open episode has a page
    return f"{task.strip() or page.utterance}\n{outcome(page)}"


_REWARD = re.compile(r"raw reward (-?\d+(?:\.\d+)?), reward (-?\d+(?:\.\d+)?)")


def answer(state: LumosState, context: Context, models: ModelProvider, formulation: Formulation) -> Outcome:
    """Return how the episode ended (its reward), read from the run's state, and close the browser.

    The state is what counts: a run resumed after the browser went (a killed process) still has
    the observation of the action that ended the episode.
    """
    page = close(state.get("environment"), state.get("run_key", ""))
    for action in reversed(state.get("actions", [])):
        if action["name"] in ACTIONS and action["ok"] and (found := _REWARD.search(action["observation"])):
            if action["observation"].startswith(ENDED):
                return f"raw reward {found[1]}, reward {found[2]}", None
    if page is None and not state.get("actions"):
        return None, "the web episode was never opened"
    if page is not None and is_page(episode_name(state.get("environment"))):  # it reports no reward
        acted = len(history(state))
        return (
            f"Stopped after {acted} action{'s' * (acted != 1)}; the page now:\n{webtool.render(page)}",
            None,
        )
    return None, "the run stopped before the episode ended (reward 0)"


def release(state: LumosState) -> None:
    """Close the run's episode: a run that failed leaves no browser open."""
    close(state.get("environment"), state.get("run_key", ""))


# The instruct profile's worked examples: first three skills on pages of this project's own
# (training/web_skills.py: a row found by its neighbouring text, a form of several fields, navigation
# before acting), then solved episodes on training seeds made by training/web_demos.py's DOM-reading
# policies. tests/test_web.py and tests/test_web_pages.py re-run both.
SKILLS_FILE = Path(__file__).with_name("web_skills.json")
EXEMPLARS_FILE = Path(__file__).with_name("web_exemplars.json")
WEB: list[Annotation] = [
    Annotation(task=e["task"], subgoals=e["subgoals"], actions=e["actions"], results=e["results"])
    for e in json.loads(SKILLS_FILE.read_text(encoding="utf-8"))
] + [
    Annotation(
        task=e["task"],
        subgoals=e["subgoals"],
        actions=e["actions"],
        results=e["results"],
        environment=f"miniwob/{e['source']}",  # an episode says when it is still open
    )
    for e in json.loads(EXEMPLARS_FILE.read_text(encoding="utf-8"))
]

DOMAIN = Domain(
    name="web",
    actions=ACTIONS,
    toolbox=toolbox,
    answer=answer,
    prompts="web_agent",
    exemplars=tuple(WEB),
    shots=len(WEB),  # every skill and demonstration: four would leave demonstrations out
    ground_grammar=ground,
    ground_prefix=GROUND_PREFIX_WEB,
    ground_sees_results=True,
    frame_task=frame_task,
    environment_help=(
        "a MiniWoB++ task and seed (miniwob/<task>-v1?seed=<n>), or your own page: a local .html file "
        "or a URL on 127.0.0.1/localhost"
    ),
    seeded=seeded,
    # CoT has no actions to take on a page: refused rather than run as a text answer
    formulations=frozenset({"iterative", "onetime", "integrated", "direct"}),
    interactive=True,  # Lumos-O grounds each subgoal on its page; the baselines act step by step
    ended=lambda observation: observation.startswith(ENDED),
    release=release,
    unfinished=unfinished,
    changes=changes,
)
