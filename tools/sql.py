"""SQL on SQLite for the InterCode-SQL task: queries run read-only, results scored as InterCode does.

The databases come from InterCode's MySQL dump, converted once (``tools/sql_dump.py``). Every
query runs on a read-only connection (``mode=ro``) behind an authorizer that allows reading and
nothing else (no ``ATTACH``, writes, ``PRAGMA`` changes, ``load_extension``), under a time limit
(SQLite's progress handler) and a text-length limit; results come back capped in rows and text.
``reward`` is InterCode's ``get_reward``: multiset intersection over union of result rows, scaled
by Kendall's tau between the orders of the shared rows.
"""

import math
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tools.errors import ToolError

STATEMENT_TIMEOUT_S = 5.0
MAX_SHOWN_ROWS = 20  # rows an observation shows; the count of all rows is stated
MAX_RESULT_ROWS = 100_000  # rows a scored result may hold
MAX_TEXT_LENGTH = 1_000_000  # SQLite's limit on one string or blob value in a query
Row = tuple[Any, ...]


def quoted(name: str) -> str:
    """Return an identifier quoted for SQLite."""
    return '"' + name.replace('"', '""') + '"'


_READ_PRAGMAS = frozenset({"table_info", "table_xinfo", "index_list", "index_info", "foreign_key_list"})
_DENIED_FUNCTIONS = frozenset({"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"})


def _authorize(action: int, arg1: str | None, arg2: str | None, db: str | None, trigger: str | None) -> int:
    """Allow reading (SELECT, table reads, functions, CTEs) and schema-reading pragmas; deny the rest."""
    if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE):
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_FUNCTION:
        return sqlite3.SQLITE_DENY if (arg2 or "").lower() in _DENIED_FUNCTIONS else sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() in _READ_PRAGMAS:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


class Database:
    """One SQLite database opened read-only, every statement bounded in time and text."""

    def __init__(self, path: Path, *, timeout_s: float = STATEMENT_TIMEOUT_S) -> None:
        if not path.is_file():
            raise ToolError(f"no database file at {path}")
        self.path, self.timeout_s = path, timeout_s
        self.connection = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
        )
        self.connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_TEXT_LENGTH)
        self.connection.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        self.connection.set_authorizer(_authorize)
        self._deadline = math.inf
        self.connection.set_progress_handler(lambda: int(time.monotonic() > self._deadline), 1000)

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()

    def run(self, sql: str, max_rows: int) -> tuple[list[str], list[Row], bool]:
        """Return (columns, rows, whether more rows were left out) of one read-only statement."""
        self._deadline = time.monotonic() + self.timeout_s
        try:
            cursor = self.connection.execute(sql)
            rows = cursor.fetchmany(max_rows + 1)
        except sqlite3.OperationalError as err:
            if str(err) == "interrupted":
                raise ToolError(f"the query ran over {self.timeout_s:g} s and was stopped") from None
            raise ToolError(str(err)) from None
        except (sqlite3.DatabaseError, sqlite3.Warning, ValueError, OverflowError) as err:
            raise ToolError(str(err)) from None
        finally:
            self._deadline = math.inf
        columns = [d[0] for d in cursor.description or ()]
        return columns, rows[:max_rows], len(rows) > max_rows

    def tables(self) -> list[str]:
        """Return the database's table names, in schema order."""
        _, rows, _ = self.run("SELECT name FROM sqlite_master WHERE type = 'table'", 10_000)
        return [str(row[0]) for row in rows]

    def describe(self, table: str) -> list[tuple[str, str]]:
        """Return (column, declared type) of a table (any letter case), or raise ToolError."""
        names = {name.lower(): name for name in self.tables()}
        if table.strip("`\"' ").lower() not in names:
            raise ToolError(f"no table {table!r}; the tables are {', '.join(names.values())}")
        name = names[table.strip("`\"' ").lower()]
        _, rows, _ = self.run(f"PRAGMA table_info({quoted(name)})", 10_000)
        return [(str(row[1]), str(row[2])) for row in rows]

    def schema(self) -> dict[str, list[str]]:
        """Return each table's column names, in schema order."""
        return {table: [name for name, _ in self.describe(table)] for table in self.tables()}

    def results(self, sql: str) -> list[Row]:
        """Return every row of a query (at most MAX_RESULT_ROWS), for scoring."""
        _, rows, more = self.run(sql, MAX_RESULT_ROWS)
        if more:
            raise ToolError(f"the query returned over {MAX_RESULT_ROWS} rows")
        return rows


def show(columns: Sequence[str], rows: Sequence[Row], more: bool) -> str:
    """Return a query result as an observation: its columns, the first rows, and how many there are."""
    shown = [tuple(row) for row in rows[:MAX_SHOWN_ROWS]]
    count = f"{len(rows)}{'+' if more else ''}"
    tail = f" (first {MAX_SHOWN_ROWS} of {count})" if len(rows) > MAX_SHOWN_ROWS or more else ""
    return f"Columns: {', '.join(columns)}; rows ({count}){tail}: {shown!r}"


def statement_tool(database: Database) -> Callable[[str], str]:
    """Return the tool that runs ``SHOW TABLES``, ``DESCRIBE t`` or a read-only query."""

    def run_statement(statement: str) -> str:
        text = statement.strip().rstrip(";").strip()
        words = text.split()
        if [w.upper() for w in words] == ["SHOW", "TABLES"]:
            return "Tables: " + ", ".join(database.tables())
        if len(words) == 2 and words[0].upper() in ("DESCRIBE", "DESC"):
            described = database.describe(words[1])
            return f"Table {words[1]}: " + ", ".join(f"{name} {kind}".strip() for name, kind in described)
        columns, rows, more = database.run(text, MAX_SHOWN_ROWS * 50)
        return show(columns, rows, more)

    return run_statement


def is_query(text: str) -> bool:
    """Return whether a statement is one the tool executes (not a partial clause kept as text)."""
    head = text.strip().split(None, 1)[0].upper() if text.strip() else ""
    return head in ("SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "VALUES", "PRAGMA", "EXPLAIN")


# --- InterCode's reward -------------------------------------------------------------------------


def _kendall_tau(x: Sequence[str], y: Sequence[str]) -> float:
    """Return Kendall's tau-b of two equal-length sequences (NaN when either is constant), as scipy."""
    import warnings

    from scipy.stats import kendalltau  # only scoring needs scipy

    with warnings.catch_warnings():  # one shared row: NaN, as InterCode expects, and a warning
        warnings.simplefilter("ignore")
        return float(kendalltau(x, y, nan_policy="omit").statistic)


def _shared_in_order(items: list[str], shared: Counter[str]) -> list[str]:
    left, kept = Counter(shared), []
    for item in items:
        if left[item] > 0:
            left[item] -= 1
            kept.append(item)
    return kept


def reward(agent: Sequence[Row] | None, gold: Sequence[Row] | None) -> float:
    """Return InterCode-SQL's reward of an agent's result rows against the gold rows.

    Rows are compared as their ``str``; the reward is 1 when both results are empty, 0 when either
    is not a result (None: the query failed), else the multiset intersection over the union, times
    Kendall's tau (when defined) between the shared rows in the agent's order and in the gold
    order, rounded to 2 places. As in InterCode, tau ranks the row strings by their text, so it
    is 1 for the same order and may be negative (-1 for two rows swapped).
    """
    if agent is None or gold is None:
        return 0.0
    mine, theirs = [str(tuple(r)) for r in agent], [str(tuple(r)) for r in gold]
    a, b = Counter(mine), Counter(theirs)
    shared, union = a & b, a | b
    if not union:
        return 1.0
    value = sum(shared.values()) / sum(union.values())
    if shared:
        tau = _kendall_tau(_shared_in_order(mine, shared), _shared_in_order(theirs, shared))
        if not math.isnan(tau):
            value = round(tau * value, 2)
    return value
