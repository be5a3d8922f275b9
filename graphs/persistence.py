"""Durable threads for `lumos run --thread`: a checkpointer, and what each thread was started with.

LangGraph checkpoints every step of a thread (``durability="sync"``: before the next step starts), so
a run stopped by a crash or Ctrl-C resumes from its last completed step. Checkpoints do not hold the
run's formulation and context, so the same database keeps them in its own table, and a resumed
thread runs with exactly the settings it started with. The database is an SQLite file (one
machine), or a PostgreSQL server named by a ``postgresql://`` URL (``langgraph-checkpoint-postgres``),
whose threads several machines share: a thread started on one resumes on another.
"""

import dataclasses
import json
import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
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
# PostgreSQL: the same table, with a sequence for the creation order SQLite's rowid gives
_SCHEMA_POSTGRES = """CREATE TABLE IF NOT EXISTS lumos_threads (
    seq BIGSERIAL,
    thread_id TEXT PRIMARY KEY,
    formulation TEXT NOT NULL,
    task TEXT NOT NULL,
    context TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
)"""
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
CONNECT_TIMEOUT_S = 10


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


def is_postgres(db: str | Path) -> bool:
    """Return whether a thread database names a PostgreSQL server rather than an SQLite file."""
    return str(db).startswith(POSTGRES_SCHEMES)


def shown(db: str | Path) -> str:
    """Return a database name fit for a message: a URL's password replaced by ``***``."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", str(db))


@contextmanager
def open_threads(db: str | Path) -> Iterator[BaseCheckpointSaver[Any]]:
    """Open (creating if needed) a thread database: an SQLite file, or a ``postgresql://`` URL."""
    if is_postgres(db):
        with _open_postgres(str(db)) as saver:
            yield saver
        return
    with _open_sqlite(Path(db)) as sqlite_saver:
        yield sqlite_saver


@contextmanager
def _open_postgres(url: str) -> Iterator[BaseCheckpointSaver[Any]]:
    import psycopg
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row

    try:  # the settings PostgresSaver needs: autocommit, no prepared statements, rows as dicts
        conn = psycopg.connect(
            url, autocommit=True, prepare_threshold=0, row_factory=dict_row, connect_timeout=CONNECT_TIMEOUT_S
        )
    except psycopg.Error as err:
        raise ValueError(f"cannot open the thread database {shown(url)}: {err}".strip()) from None
    try:
        saver = PostgresSaver(conn)
        try:
            saver.setup()  # LangGraph's own tables and migrations
            conn.execute(_SCHEMA_POSTGRES)
        except psycopg.Error as err:
            raise ValueError(f"the thread database {shown(url)} cannot be used: {err}") from None
        yield saver
    finally:
        conn.close()


@contextmanager
def _open_sqlite(path: Path) -> Iterator[SqliteSaver]:
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


def _query(saver: BaseCheckpointSaver[Any], sql: str, params: Sequence[str] = ()) -> list[tuple[Any, ...]]:
    """Run one statement on the thread table of either database; return its rows as tuples."""
    conn: Any = getattr(saver, "conn")  # noqa: B009 (both savers keep their connection and lock)
    lock: Any = getattr(saver, "lock")  # noqa: B009
    if isinstance(saver, SqliteSaver):
        with lock, conn:
            return list(conn.execute(sql, params).fetchall())
    with lock:  # psycopg: %s placeholders, rows as dicts, autocommit
        cursor = conn.execute(sql.replace("?", "%s"), params)
        return [tuple(row.values()) for row in cursor.fetchall()] if cursor.description else []


_COLUMNS = "thread_id, formulation, task, context, created_at"


def save_thread(
    saver: BaseCheckpointSaver[Any], thread_id: str, formulation: str, task: str, context: Context
) -> None:
    """Record how a new thread is started."""
    _query(
        saver,
        "INSERT INTO lumos_threads (thread_id, formulation, task, context) VALUES (?, ?, ?, ?)",
        (thread_id, formulation, task, json.dumps(dataclasses.asdict(context))),
    )


def _info(row: tuple[Any, ...]) -> ThreadInfo:
    thread_id, formulation, task, context, created_at = row
    return ThreadInfo(
        thread_id=thread_id,
        formulation=formulation,
        task=task,
        context=json.loads(context),
        created_at=str(created_at),
    )


def load_thread(saver: BaseCheckpointSaver[Any], thread_id: str) -> ThreadInfo | None:
    """Return how a thread was started, or None if the database has no such thread."""
    rows = _query(saver, f"SELECT {_COLUMNS} FROM lumos_threads WHERE thread_id = ?", (thread_id,))
    return _info(rows[0]) if rows else None


def list_threads(saver: BaseCheckpointSaver[Any]) -> list[ThreadInfo]:
    """Return every thread in the database, oldest first."""
    order = "rowid" if isinstance(saver, SqliteSaver) else "seq"
    return [_info(row) for row in _query(saver, f"SELECT {_COLUMNS} FROM lumos_threads ORDER BY {order}")]


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
