"""Which worked examples the `instruct` profile shows: the built-in ones, or a pool, fixed or by similarity.

A pool is a JSONL file of annotated tasks in the unified format (``lumos data convert`` writes them:
``task``, ``domain``, ``subgoals``, ``actions`` per subgoal, ``results``). With ``selection="similar"``
the ``shots`` pool tasks closest to the task by BM25 are shown, the closest last (nearest the
task); a pool task identical to the task is never shown, so evaluating on the pool leaks nothing.
"""

import threading

from common.jsonl import read_jsonl
from nodes.context import Context
from nodes.domain import Annotation, Domain
from tools.retrieval import Ranker

_POOLS: dict[tuple[str, str], list[Annotation]] = {}
_RANKERS: dict[tuple[str, str], Ranker] = {}
_POOLS_LOCK = threading.Lock()


def read_pool(path: str, domain: str) -> list[Annotation]:
    """Read a pool's annotations of one domain (each subgoal's actions joined into one line)."""
    pool = []
    for line_no, row in read_jsonl(path):
        try:
            if row.get("domain", domain) != domain:
                continue
            actions = ["; ".join(a) if isinstance(a, list) else a for a in row["actions"]]
            pool.append(
                Annotation(
                    task=row["task"], subgoals=row["subgoals"], actions=actions, results=row["results"]
                )
            )
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{path}:{line_no}: not an annotated task ({err})") from err
    if not pool:
        raise ValueError(f"{path} holds no {domain} annotations")
    return pool


def pool_of(path: str, domain: str) -> list[Annotation]:
    """Return a pool's annotations of one domain, read once per process."""
    with _POOLS_LOCK:
        if (path, domain) not in _POOLS:
            _POOLS[(path, domain)] = read_pool(path, domain)
        return _POOLS[(path, domain)]


def ranker_of(path: str, domain: str) -> Ranker:
    """Return the BM25 ranker over a pool's tasks, built on first use (fixed selection never needs one)."""
    pool = pool_of(path, domain)
    with _POOLS_LOCK:
        if (path, domain) not in _RANKERS:
            _RANKERS[(path, domain)] = Ranker([a["task"] for a in pool])
        return _RANKERS[(path, domain)]


def shots_for(domain: Domain, context: Context) -> int:
    """Return how many worked examples a run shows: its ``shots``, else the domain's own count."""
    return domain.shots if context.shots is None else context.shots


def exemplars_for(domain: Domain, task: str, context: Context) -> list[Annotation]:
    """Return the worked examples to show for ``task``, by the run's pool, selection and shot count."""
    shots = shots_for(domain, context)
    if shots == 0:
        return []
    if context.exemplars is None:
        builtin = list(domain.exemplars)
        if context.selection == "fixed" or not builtin:
            return builtin[:shots]
        pool, ranker = builtin, Ranker([a["task"] for a in builtin])
    else:
        pool = pool_of(context.exemplars, domain.name)
        if context.selection == "fixed":
            return pool[:shots]
        ranker = ranker_of(context.exemplars, domain.name)
    ranked = [pool[i] for i in ranker.top(task, shots + 1) if pool[i]["task"].strip() != task.strip()]
    return ranked[:shots][::-1]
