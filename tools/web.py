"""MiniWoB++ episodes in a headless Chromium: the web domain's environment, a plain tool.

An ``Episode`` owns one browser (Farama's ``miniwob`` package over Selenium and Debian's
``chromium``/``chromium-driver``) for one seeded task: ``open`` resets it, ``act`` runs one
``CLICK``/``TYPE``/``SELECT`` on an element of the current page and returns the next page, and
``close`` quits the browser (also from ``with``). The browser is started offline (the task pages
load from ``file://`` inside the wheel; Chromium's background networking is off) and tied to this
process: chromedriver and Chromium run under ``setpriv --pdeathsig KILL``, so a killed agent
leaves no browser behind. Each page's JavaScript episode timer is lifted, because a model step
takes longer than the 10 s it allows; the time-decayed reward is reported next to the raw one,
decayed against the task's own limit as the page would have (``decayed``). Nothing here is
imported or started until an episode opens.
"""

import dataclasses
import os
import shutil
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.paths import cache_root
from tools.errors import ToolError

ACTIONS = ("CLICK", "TYPE", "SELECT")
EPISODE_MAX_MS = 3_600_000  # the page's episode timer, lifted from 10 s to an hour
MAX_ELEMENTS = 80  # elements a rendered page lists; the count of the rest is stated
MAX_TEXT = 80  # characters of one element's text or value in a rendered page
CHROMIUM_FLAGS = (  # no calls home: no updates, metrics, sync, component or safe-browsing fetches
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--metrics-recording-only",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-client-side-phishing-detection",
    "--disable-domain-reliability",
)
INSTALL_HINT = (
    "the web domain needs Debian's chromium and chromium-driver (`make browser` installs them as root; "
    "elsewhere: sudo apt-get install chromium chromium-driver) and the miniwob package"
)


class WebError(ToolError):
    """The browser could not start, the task is unknown, or the episode is not running."""


@dataclass(frozen=True)
class Element:
    """One element of a page, as MiniWoB++ lists it (``ref`` is what actions name)."""

    ref: int
    tag: str
    text: str = ""
    value: str = ""
    id: str = ""
    classes: str = ""
    parent: int = 0
    focused: bool = False


@dataclass(frozen=True)
class Page:
    """What the agent sees after a reset or an action: the task, the elements, and the reward."""

    utterance: str
    elements: tuple[Element, ...]
    done: bool = False
    # MiniWoB++'s reward: raw, decayed by elapsed time over the task's own limit (0 until done)
    reward: float = 0.0
    raw_reward: float = 0.0  # without the time penalty: 1 solved, -1 failed (0 until done)
    reason: str = ""
    fields: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def element(self, ref: int) -> Element | None:
        """Return the element with this ref, or None when the page has none."""
        return next((e for e in self.elements if e.ref == ref), None)


def _wrapper(name: str, target: str) -> Path:
    """Write (once) a launcher that runs ``target`` killed with its parent, with the offline flags."""
    directory = cache_root() / "web"
    directory.mkdir(parents=True, exist_ok=True)
    flags = " ".join(CHROMIUM_FLAGS) if name == "chromium" else ""
    text = f'#!/bin/sh\nexec setpriv --pdeathsig KILL {target} {flags} "$@"\n'
    path = directory / f"{name}-bound"
    if not path.exists() or path.read_text() != text:
        staged = path.with_suffix(".tmp")
        staged.write_text(text)
        staged.chmod(staged.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        staged.replace(path)
    return path


def browser_paths() -> tuple[str, str]:
    """Return Chromium and chromedriver, or raise WebError saying what to install."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver or not shutil.which("setpriv"):
        raise WebError(f"no browser: {INSTALL_HINT}")
    return chromium, driver


def _element(raw: dict[str, Any]) -> Element:
    flags = raw.get("flags")
    return Element(
        ref=int(raw["ref"]),
        tag=str(raw.get("tag", "")),
        text=str(raw.get("text", "")),
        value=str(raw.get("value", "")),
        id=str(raw.get("id", "")),
        classes=str(raw.get("classes", "")),
        parent=int(raw.get("parent", 0)),
        focused=bool(flags[0]) if flags is not None and len(flags) else False,
    )


def _page(observation: dict[str, Any], info: dict[str, Any], done: bool) -> Page:
    return Page(
        utterance=str(observation.get("utterance", "")),
        elements=tuple(_element(e) for e in observation.get("dom_elements", ())),
        done=done,
        reward=float(info.get("env_reward", 0.0)),
        raw_reward=float(info.get("raw_reward", 0.0)),
        reason=str(info.get("reason") or ""),
        fields=tuple((str(k), str(v)) for k, v in observation.get("fields", ())),
    )


def decayed(lifted: float, raw: float, limit_ms: float) -> float:
    """Return the reward under the task's own time limit, from the one the lifted timer gave.

    The page decays a time-proportional reward as ``raw * max(0, 1 - elapsed / limit)``; under the
    lifted limit that gives the elapsed time back, which the task's own limit then decays.
    """
    if raw <= 0 or lifted == raw:  # a failure, or a reward the task does not decay
        return lifted
    elapsed_ms = (1 - lifted / raw) * EPISODE_MAX_MS
    return raw * max(0.0, 1 - elapsed_ms / limit_ms)


class Episode:
    """One seeded MiniWoB++ episode in its own headless browser."""

    def __init__(self, task: str, seed: int) -> None:
        self.task = task if task.startswith("miniwob/") else f"miniwob/{task}"
        self.seed = seed
        self.page: Page | None = None
        self.limit_ms = 10_000.0  # the task's own episode limit, read from its page on open
        self._env: Any = None

    def open(self) -> Page:
        """Start the browser and reset the task with the seed; return the first page."""
        try:
            import gymnasium
            import miniwob
        except ImportError as err:
            raise WebError(f"{INSTALL_HINT} ({err})") from None
        chromium, driver = browser_paths()
        gymnasium.register_envs(miniwob)
        if self.task not in gymnasium.registry:
            known = sorted(name for name in gymnasium.registry if name.startswith("miniwob/"))
            raise WebError(
                f"no MiniWoB++ task {self.task!r} ({len(known)} tasks, e.g. {', '.join(known[:3])})"
            )
        os.environ["MINIWOB_CHROME_BINARY"] = str(_wrapper("chromium", chromium))
        os.environ["MINIWOB_CHROMEDRIVER"] = str(_wrapper("chromedriver", driver))
        os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not try to download a driver
        try:
            self._env = gymnasium.make(self.task, render_mode=None)
            self._env.reset(seed=self.seed)  # loads the page, whose first episode has the 10 s timer
            self.limit_ms = float(self._driver().execute_script("return core.EPISODE_MAX_TIME;"))
            # the limit is read when an episode starts, so lift it, then start the episode over
            self._driver().execute_script(f"core.EPISODE_MAX_TIME = {EPISODE_MAX_MS};")
            observation, info = self._env.reset(seed=self.seed)
        except Exception as err:  # selenium and chromedriver raise many kinds
            self.close()
            raise WebError(f"the browser failed to start {self.task}: {type(err).__name__}: {err}") from None
        self.page = _page(observation, info, done=False)
        return self.page

    def _driver(self) -> Any:
        return self._env.unwrapped.instance.driver

    def act(self, name: str, ref: int, text: str = "") -> Page:
        """Run one action on an element of the current page; return the page after it."""
        if self._env is None or self.page is None:
            raise WebError("the episode is not open")
        if self.page.done:
            raise WebError("the episode has ended")
        if name not in ACTIONS:
            raise WebError(f"unknown web action {name!r}; the actions are {', '.join(ACTIONS)}")
        if self.page.element(ref) is None:
            raise WebError(f"no element {ref} on the page")
        from miniwob.action import ActionTypes

        unwrapped = self._env.unwrapped
        if name == "CLICK":
            action = unwrapped.create_action(ActionTypes.CLICK_ELEMENT, ref=ref)
        else:  # TYPE, and SELECT: a <select> takes its option's text typed while focused
            action = unwrapped.create_action(ActionTypes.FOCUS_ELEMENT_AND_TYPE_TEXT, ref=ref, text=text)
        try:
            observation, _, terminated, truncated, info = self._env.step(action)
        except Exception as err:
            raise WebError(
                f"the page rejected {name} on element {ref}: {type(err).__name__}: {err}"
            ) from None
        done = bool(terminated or truncated)
        page = _page(observation, info, done)
        page = dataclasses.replace(page, reward=decayed(page.reward, page.raw_reward, self.limit_ms))
        if done and not page.elements:  # a finished episode shows its last page
            page = Page(
                self.page.utterance, self.page.elements, True, page.reward, page.raw_reward, page.reason
            )
        self.page = page
        return page

    def screenshot(self, path: Path) -> Path:
        """Save the current page as a PNG."""
        if self._env is None:
            raise WebError("the episode is not open")
        self._driver().save_screenshot(str(path))
        return path

    def close(self) -> None:
        """Quit the browser (safe to call twice)."""
        env, self._env = self._env, None
        if env is not None:
            try:
                env.close()
            except Exception:  # a crashed browser: its processes die with their parent anyway
                pass

    def __enter__(self) -> "Episode":
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


def shown(element: Element) -> bool:
    """Return whether a rendered page lists the element: it has text, a value, or can be acted on."""
    acts = element.tag.startswith("input") or element.tag in _ACTABLE
    return bool(element.text.strip() or element.value or acts)


_ACTABLE = frozenset({"button", "a", "select", "textarea"})  # listed even without text
_ICON_TAGS = frozenset({"span", "i", "img", "svg"})  # inline leaves a page draws icons with


def render(page: Page, elements: Sequence[Element] | None = None) -> str:
    """Return the page as the planner and grounder see it: one ``[ref] tag "text"`` line per element.

    Text nodes (MiniWoB++'s ``t`` tags, negative refs) are folded into their parent's text, an
    input inside a label shows the label's text, empty containers are left out, an icon (an empty
    inline leaf: ``span class="share"``) is named by its class, and an id and value follow.
    """
    elements = page.elements if elements is None else elements
    own = [e for e in elements if e.ref >= 0 and e.tag != "t"]
    texts, tags = {e.ref: e.text for e in own}, {e.ref: e.tag for e in own}
    containers = {e.parent for e in own}
    for node in elements:  # text nodes read as their parent's text ("Close" on a dialog's button)
        if (node.ref < 0 or node.tag == "t") and node.text.strip() and node.parent in texts:
            texts[node.parent] = f"{texts[node.parent]} {node.text}".strip()
    lines = []
    for element in own:
        text = texts[element.ref]
        # an icon (reply, share) is often an empty leaf only its class names; inside a named element
        # (a button's "Close") it adds nothing
        icon = element.tag in _ICON_TAGS and bool(element.classes.strip()) and not text.strip()
        icon = icon and element.ref not in containers and not texts.get(element.parent, "").strip()
        if not (icon or shown(dataclasses.replace(element, text=text))):
            continue
        line = f"[{element.ref}] {element.tag}"
        if text.strip():
            line += f' "{_clip(text)}"'
        elif tags.get(element.parent) == "label" and texts.get(element.parent):  # a checkbox's label
            line += f' label="{_clip(texts[element.parent])}"'
        elif icon:
            line += f' class="{_clip(element.classes)}"'
        if element.id:
            line += f" id={element.id}"
        if element.value:
            line += f' value="{_clip(element.value)}"'
        if element.focused:
            line += " (focused)"
        lines.append(line)
    more = len(lines) - MAX_ELEMENTS
    body = "\n".join(lines[:MAX_ELEMENTS])
    return body + (f"\n... {more} more elements" if more > 0 else "")
