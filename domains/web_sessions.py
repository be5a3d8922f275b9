"""Which browser belongs to which run: the web domain's open episodes, by run and environment.

An environment names a MiniWoB++ task and seed (``miniwob/click-button-v1?seed=3``) or a user's
own page (a local ``.html`` file, or a URL on this machine: ``tools/web_page.py``). Each run owns
its episode: two runs of the same task and seed each get their own browser (``LumosState.run_key``;
"" for callers outside a run), and the answer rule or ``Domain.release`` closes it.
"""

import atexit
import re
from dataclasses import dataclass, field

from tools import web as webtool
from tools import web_page as webpage

_ENVIRONMENT = re.compile(r"(?P<task>(?:miniwob/)?[a-z0-9-]+-v\d+)(?:\?seed=(?P<seed>\d+))?")


def parse_environment(environment: str | None) -> tuple[str, int]:
    """Return the MiniWoB++ task and seed an environment names, or raise ValueError saying how."""
    found = _ENVIRONMENT.fullmatch(environment or "")
    if not found:
        raise ValueError(
            "a web task needs its environment as miniwob/<task>-v1?seed=<n>, a local .html file or a URL "
            f"on 127.0.0.1, not {environment!r}"
        )
    task = found["task"] if found["task"].startswith("miniwob/") else f"miniwob/{found['task']}"
    return task, int(found["seed"] or 0)


def episode_name(environment: str | None) -> str:
    """Return the environment's canonical name: a user page's URL, or ``miniwob/<task>-v1?seed=<n>``."""
    try:
        url = webpage.page_url(environment or "")
    except webtool.WebError as err:
        raise ValueError(str(err)) from None
    if url is not None:
        return url
    task, seed = parse_environment(environment)
    return f"{task}?seed={seed}"


def is_page(name: str) -> bool:
    """Return whether a canonical environment name (``episode_name``) is a user's page, not MiniWoB++."""
    return "://" in name


def new_episode(name: str) -> "webtool.Episode | webpage.PageEpisode":
    """Return an unopened episode for a canonical environment name."""
    if is_page(name):
        return webpage.PageEpisode(name)
    task, seed = parse_environment(name)
    return webtool.Episode(task, seed)


@dataclass
class Session:
    """An open episode and the actions applied to it since its reset."""

    episode: "webtool.Episode | webpage.PageEpisode"
    environment: str  # as ``episode_name`` gives it: miniwob/<task>-v1?seed=<n>, or a page's URL
    applied: list[tuple[str, str]] = field(default_factory=list)


# the open episodes of this process, one per (run, environment): two runs of the same task and
# seed each get their own browser (LumosState.run_key; "" for callers outside a run)
_SESSIONS: dict[tuple[str, str], Session] = {}


def session(environment: str | None, run_key: str = "") -> Session:
    """Return a run's open episode of an environment, opening (resetting) it when there is none."""
    key = (run_key, episode_name(environment))
    if key not in _SESSIONS:
        episode = new_episode(key[1])
        try:
            episode.open()
        except webtool.WebError as err:
            raise ValueError(str(err)) from None
        _SESSIONS[key] = Session(episode, key[1])
    return _SESSIONS[key]


def close(environment: str | None, run_key: str | None = None) -> webtool.Page | None:
    """Close a run's episode of an environment (every run's if ``run_key`` is None); return its last page."""
    try:
        name = episode_name(environment)
    except ValueError:
        return None
    keys = [key for key in _SESSIONS if key[1] == name and run_key in (None, key[0])]
    pages = []
    for key in keys:
        opened = _SESSIONS.pop(key)
        opened.episode.close()
        pages.append(opened.episode.page)
    return pages[-1] if pages else None


@atexit.register
def _close_all() -> None:
    for key in list(_SESSIONS):
        _SESSIONS.pop(key).episode.close()
