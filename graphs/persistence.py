"""Durable threads for `lumos run --thread`: a SQLite checkpointer, and what each thread was started with.

LangGraph checkpoints every step of a thread (``durability="sync"``: before the next step starts), so
a run stopped by a crash or Ctrl-C resumes from its last completed step. Checkpoints do not hold the
run's formulation and context, so the same database file keeps them in its own table, and a resumed
thread runs with exactly the settings it started with.
"""

import dataclasses
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from typing_extensions import TypedDict

from graphs.binding import CompiledLumosGraph
from nodes.context import Context

DEFAULT_DB = "runs/threads.sqlite"
_SCHEMA = """CREATE TABLE IF NOT EXISTS lumos_threads (
    thread_id TEXT PRIMARY KEY,
    formulation TEXT NOT NULL,
    task TEXT NOT NULL,
    context TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
)"""


class ThreadInfo(TypedDict):
    """How a thread was started."""

    thread_id: str
    formulation: str
    task: str
    context: dict[str, Any]  # the run's Context as JSON
    created_at: str


def default_db() -> str:
    """Return the thread database path: ``$LUMOS_DB``, else ``runs/threads.sqlite``."""
    return os.environ.get("LUMOS_DB", DEFAULT_DB)


SQLITE_MAGIC = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file


def check_db_path(path: Path) -> None:
    """Raise ValueError unless ``path`` is an SQLite database or a place one can be created."""
    if path.is_dir():
        raise ValueError(f"the thread database {path} is a directory; pass a file path (--db FILE)")
    if path.exists():
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
        if head and head != SQLITE_MAGIC:
            raise ValueError(f"the thread database {path} is not an SQLite file; pass another --db path")
    elif path.parent.exists() and not path.parent.is_dir():
        raise ValueError(f"cannot create the thread database {path}: {path.parent} is not a directory")


@contextmanager
def open_threads(path: str | Path) -> Iterator[SqliteSaver]:
    """Open (creating if needed) a thread database as a LangGraph SQLite checkpointer."""
    path = Path(path)
    check_db_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), check_same_thread=False)  # LangGraph may write from a worker thread
    except (OSError, sqlite3.Error) as err:
        raise ValueError(f"cannot open the thread database {path}: {err}") from err
    try:
        try:
            with conn:
                conn.execute(_SCHEMA)
        except sqlite3.DatabaseError as err:  # e.g. a corrupt file that starts like SQLite
            raise ValueError(f"the thread database {path} cannot be used: {err}") from err
        yield SqliteSaver(conn)
    finally:
        conn.close()


def save_thread(saver: SqliteSaver, thread_id: str, formulation: str, task: str, context: Context) -> None:
    """Record how a new thread is started."""
    with saver.lock, saver.conn:
        saver.conn.execute(
            "INSERT INTO lumos_threads (thread_id, formulation, task, context) VALUES (?, ?, ?, ?)",
            (thread_id, formulation, task, json.dumps(dataclasses.asdict(context))),
        )


def _info(row: tuple[str, str, str, str, str]) -> ThreadInfo:
    thread_id, formulation, task, context, created_at = row
    return ThreadInfo(
        thread_id=thread_id,
        formulation=formulation,
        task=task,
        context=json.loads(context),
        created_at=created_at,
    )


def load_thread(saver: SqliteSaver, thread_id: str) -> ThreadInfo | None:
    """Return how a thread was started, or None if the database has no such thread."""
    with saver.lock:
        row = saver.conn.execute(
            "SELECT thread_id, formulation, task, context, created_at FROM lumos_threads WHERE thread_id = ?",
            (thread_id,),
        ).fetchone()
    return _info(row) if row else None


def list_threads(saver: SqliteSaver) -> list[ThreadInfo]:
    """Return every thread in the database, oldest first."""
    with saver.lock:
        rows = saver.conn.execute(
            "SELECT thread_id, formulation, task, context, created_at FROM lumos_threads ORDER BY rowid"
        ).fetchall()
    return [_info(row) for row in rows]


def thread_context(info: ThreadInfo) -> Context:
    """Return the context a thread was started with (fields this version no longer has are dropped)."""
    known = {field.name for field in dataclasses.fields(Context)}
    return Context(**{k: v for k, v in info["context"].items() if k in known})


def with_checkpointer(
    graph: CompiledLumosGraph, checkpointer: BaseCheckpointSaver[Any]
) -> CompiledLumosGraph:
    """Return a copy of a compiled graph that checkpoints every step into ``checkpointer``."""
    return graph.copy(update={"checkpointer": checkpointer})


def thread_config(thread_id: str, context: Context) -> RunnableConfig:
    """Return the run config of one thread, with the context's recursion limit as a backstop."""
    return {"configurable": {"thread_id": thread_id}, "recursion_limit": context.recursion_limit}
