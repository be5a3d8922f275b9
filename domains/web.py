"""The web domain: Lumos acting on live MiniWoB++ pages in a headless browser (``tools/web.py``).

A task's ``environment`` names a MiniWoB++ task and seed, ``miniwob/click-button-v1?seed=3``.
The run owns that one episode: the toolbox opens it (a seeded reset always shows the same page),
each ``CLICK``/``TYPE``/``SELECT`` acts on an element of the current page by its ``[ref]`` and
returns the next page as its value, and the answer rule reads the reward and closes the browser.
The graph state holds only JSON: the actions, their outcomes (the rendered pages) and the reward.
A run resumed in a new process (a durable thread) replays its executed actions on a fresh
episode with the same seed before it acts again.

Lumos's Mind2Web actions name a candidate list and a query that a cross-encoder ranks
(``CLICK(Env, QUERY: ...)``); a MiniWoB++ page is small enough to show whole, so the grounder
names the element itself (``R1 = CLICK(6)``, ``R2 = TYPE(7, keneth)``) and the grammar admits
only the refs on the current page. The grounding prefix is therefore this project's, in Lumos's
wording, not Lumos's web prefix.
"""

import atexit
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from models.registry import ModelProvider
from nodes import grammar
from nodes.context import Context
from nodes.domain import Annotation, Domain, Formulation, Outcome
from nodes.state import LumosState
from tools import Toolbox
from tools import web as webtool

ACTIONS = frozenset(webtool.ACTIONS)
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
_ENVIRONMENT = re.compile(r"(?P<task>(?:miniwob/)?[a-z0-9-]+-v\d+)(?:\?seed=(?P<seed>\d+))?")
_REF = re.compile(r"^\[(-?\d+)\]", re.M)


def parse_environment(environment: str | None) -> tuple[str, int]:
    """Return the MiniWoB++ task and seed an environment names, or raise ValueError saying how."""
    found = _ENVIRONMENT.fullmatch(environment or "")
    if not found:
        raise ValueError(
            f"a web task needs its environment as miniwob/<task>-v1?seed=<n>, not {environment!r}"
        )
    task = found["task"] if found["task"].startswith("miniwob/") else f"miniwob/{found['task']}"
    return task, int(found["seed"] or 0)


@dataclass
class Session:
    """An open episode and the actions applied to it since its reset."""

    episode: webtool.Episode
    applied: list[tuple[str, str]] = field(default_factory=list)


_SESSIONS: dict[str, Session] = {}  # one open episode per environment in this process


def session(environment: str | None) -> Session:
    """Return the open episode of an environment, opening (resetting) it when there is none."""
    task, seed = parse_environment(environment)
    key = f"{task}?seed={seed}"
    if key not in _SESSIONS:
        episode = webtool.Episode(task, seed)
        try:
            episode.open()
        except webtool.WebError as err:
            raise ValueError(str(err)) from None
        _SESSIONS[key] = Session(episode)
    return _SESSIONS[key]


def close(environment: str | None) -> webtool.Page | None:
    """Close an environment's episode; return its last page (None when none was open)."""
    try:
        task, seed = parse_environment(environment)
    except ValueError:
        return None
    opened = _SESSIONS.pop(f"{task}?seed={seed}", None)
    if opened is None:
        return None
    opened.episode.close()
    return opened.episode.page


@atexit.register
def _close_all() -> None:
    for key in list(_SESSIONS):
        _SESSIONS.pop(key).episode.close()


def parse_args(name: str, args: str) -> tuple[int, str]:
    """Return the element ref and text of a web action's arguments (``6`` or ``7, keneth``)."""
    ref, _, text = args.partition(",")
    try:
        number = int(ref.strip().strip("[]"))
    except ValueError:
        raise ValueError(f"{name} needs an element ref from the page, like {name}(6), not {args!r}") from None
    text = text.strip().strip("'\"")
    if name != "CLICK" and not text:
        raise ValueError(f"{name} needs a text after the element ref: {name}({number}, text)")
    return number, text


ENDED = "The episode ended:"


def outcome(page: webtool.Page) -> str:
    """Return what an action left: the next page, or how the episode ended."""
    if page.done:
        return f"{ENDED} raw reward {page.raw_reward:g}, reward {page.reward:.2f}."
    return "The page:\n" + webtool.render(page)


def _act(opened: Session, name: str, args: str) -> webtool.Page:
    ref, text = parse_args(name, args)
    try:
        page = opened.episode.act(name, ref, text)
    except webtool.WebError as err:
        raise ValueError(str(err)) from None
    opened.applied.append((name, args))
    return page


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


class WebAction:
    """One of CLICK, TYPE and SELECT on the run's episode."""

    def __init__(self, opened: Session, name: str) -> None:
        self.opened, self.name = opened, name

    def __call__(self, args: str) -> str:
        """Act on the page; return the page after it (or how the episode ended)."""
        return outcome(_act(self.opened, self.name, args))


def toolbox(models: ModelProvider, context: Context, state: LumosState | None = None) -> Toolbox:
    """Return the web actions over the run's episode, caught up with what the run executed."""
    if state is None:
        raise ValueError("the web tools act on a run's episode: they need the run's state")
    opened = catch_up(session(state.get("environment")), history(state))
    return {name: WebAction(opened, name) for name in sorted(ACTIONS)}


def frame_task(task: str, environment: str | None) -> str:
    """Return the task as the agent sees it: the page's instruction (or ``task``), then the page."""
    page = session(environment).episode.page
    assert page is not None  # an open episode has a page
    return f"{task.strip() or page.utterance}\n{outcome(page)}"


def answer(state: LumosState, context: Context, models: ModelProvider, formulation: Formulation) -> Outcome:
    """Return how the episode ended (its reward), and close the browser."""
    page = close(state.get("environment"))
    if page is None:
        return None, "the web episode was never opened"
    if not page.done:
        return None, "the run stopped before the episode ended (reward 0)"
    return f"raw reward {page.raw_reward:g}, reward {page.reward:.2f}", None


def current_refs(state: LumosState | None) -> list[int]:
    """Return the element refs of the page the run is on: the last action's page, else the task's."""
    if state is None:
        return []
    for action in reversed(state.get("actions", [])):
        if action["name"] in ACTIONS and action["ok"]:
            return [int(r) for r in _REF.findall(action["observation"])]
    return [int(r) for r in _REF.findall(state.get("task", ""))]


def ground(
    actions: object, *, assigned: int = 0, max_actions: int = 8, state: LumosState | None = None
) -> str:
    """Return the grammar of a web grounder output: numbered actions on the current page's refs."""
    refs = current_refs(state)
    ref_rule = " | ".join(grammar.literal(str(r)) for r in refs) if refs else '"-"? [0-9]+'
    text = "[^()\\n;,]+"
    rules = [
        f'root ::= s{assigned + 1} "\\n"?',
        f"ref ::= {ref_rule}",
        f"text ::= {text}",
        'act ::= "CLICK(" ref ")" | "TYPE(" ref ", " text ")" | "SELECT(" ref ", " text ")"',
    ]
    first, top = assigned + 1, assigned + min(max_actions, 8)
    for k in range(first, top + 1):
        more = f" ({grammar.literal(grammar.SEPARATOR)} s{k + 1})?" if k < top else ""
        rules.append(f"s{k} ::= {grammar.literal(f'R{k} = ')} act{more}")
    return "\n".join(rules) + "\n"


# Solved episodes on training seeds, made by training/web_demos.py's DOM-reading policies
# (tests/test_web.py re-runs them): the instruct profile's worked examples.
EXEMPLARS_FILE = Path(__file__).with_name("web_exemplars.json")
WEB: list[Annotation] = [
    Annotation(task=e["task"], subgoals=e["subgoals"], actions=e["actions"], results=e["results"])
    for e in json.loads(EXEMPLARS_FILE.read_text(encoding="utf-8"))
]

DOMAIN = Domain(
    name="web",
    actions=ACTIONS,
    toolbox=toolbox,
    answer=answer,
    prompts="web_agent",
    exemplars=tuple(WEB),
    ground_grammar=ground,
    ground_prefix=GROUND_PREFIX_WEB,
    ground_sees_results=True,
    frame_task=frame_task,
    environment_help="the MiniWoB++ task and seed: miniwob/<task>-v1?seed=<n>",
    # CoT has no actions to take on a page: refused rather than run as a text answer
    formulations=frozenset({"iterative", "onetime", "integrated", "direct"}),
    interactive=True,  # Lumos-O grounds each subgoal on its page; the baselines act step by step
    ended=lambda observation: observation.startswith(ENDED),
)
