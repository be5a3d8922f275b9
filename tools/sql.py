"""SQL on SQLite for the InterCode-SQL task: the shipped MySQL dump converted once, queried read-only.

InterCode serves Spider's databases from MySQL in Docker; here the same dump (``ic_spider_dbs.sql``,
a plain ``mysqldump``) becomes one SQLite file per database in the cache, keyed by the dump's
sha256, with a manifest of tables and rows. Parsing the dump needs no MySQL server: ``mysqldump``
writes one ``CREATE TABLE`` block and multi-row ``INSERT ... VALUES`` statements per table, whose
literals (numbers, ``NULL``, quoted strings with backslash escapes) are read here and inserted as
parameters, so numbers stay numbers. Keys and constraints are dropped: queries only read.

Every query runs on a read-only connection (``mode=ro``) behind an authorizer that allows reading
and nothing else (no ``ATTACH``, writes, ``PRAGMA`` changes, ``load_extension``), under a time limit
(SQLite's progress handler) and a text-length limit; results come back capped in rows and text.
``reward`` is InterCode's ``get_reward``: multiset intersection over union of result rows, scaled
by Kendall's tau between the orders of the shared rows.
"""

import hashlib
import json
import math
import os
import re
import shutil
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from tools.errors import ToolError

DUMP_NAME = "ic_spider_dbs.sql"
DUMP_SHA256 = "61f6e8000cb5bb696f123fa55e111acdcd8da7eca64f452a36fd1a6e5fb1781a"
STATEMENT_TIMEOUT_S = 5.0
MAX_SHOWN_ROWS = 20  # rows an observation shows; the count of all rows is stated
MAX_RESULT_ROWS = 100_000  # rows a scored result may hold
MAX_TEXT_LENGTH = 1_000_000  # SQLite's limit on one string or blob value in a query
Row = tuple[Any, ...]

_USE = re.compile(r"^USE `([^`]+)`;\s*$", re.M)
_CREATE = re.compile(r"CREATE TABLE `([^`]+)` \((.*?)\n\)[^;]*;", re.S)
_COLUMN = re.compile(r"^\s*`([^`]+)` ([a-z]+)(\([^)]*\))?")
_PRIMARY = re.compile(r"^\s*PRIMARY KEY \(([^)]*)\)")
_INSERT = re.compile(r"^INSERT INTO `([^`]+)` VALUES (.*);$", re.M)
_ESCAPES = {"0": "\0", "n": "\n", "r": "\r", "t": "\t", "b": "\b", "Z": "\x1a"}
# SQLite's type affinity from MySQL's type names (https://www.sqlite.org/datatype3.html)
_AFFINITY = {"int": "INTEGER", "bigint": "INTEGER", "smallint": "INTEGER", "tinyint": "INTEGER"}
_AFFINITY |= {"double": "REAL", "float": "REAL", "decimal": "NUMERIC"}


class DumpError(ValueError):
    """The MySQL dump is missing, is not the one InterCode ships, or cannot be read."""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literals(values: str) -> Iterator[Row]:
    """Yield the rows of an ``INSERT ... VALUES (..),(..)`` body as Python values."""
    i, n = 0, len(values)
    while i < n:
        if values[i] != "(":
            raise DumpError(f"expected '(' at {values[i : i + 40]!r}")
        i += 1
        row: list[Any] = []
        while True:
            if values[i] == "'":
                i += 1
                chunk: list[str] = []
                while values[i] != "'" or values.startswith("''", i):
                    if values[i] == "\\":
                        chunk.append(_ESCAPES.get(values[i + 1], values[i + 1]))
                        i += 2
                    elif values.startswith("''", i):
                        chunk.append("'")
                        i += 2
                    else:
                        chunk.append(values[i])
                        i += 1
                row.append("".join(chunk))
                i += 1
            else:
                end = i
                while values[end] not in ",)":
                    end += 1
                token = values[i:end].strip()
                row.append(None if token == "NULL" else _number(token))
                i = end
            if values[i] == ")":
                i += 1
                break
            i += 1  # the comma between values
        yield tuple(row)
        if i < n and values[i] == ",":
            i += 1


def _number(token: str) -> int | float:
    try:
        return int(token)
    except ValueError:
        try:
            return float(token)
        except ValueError:
            raise DumpError(f"not a MySQL literal: {token!r}") from None


def _create(name: str, body: str) -> str:
    """Return SQLite DDL for a mysqldump table body: its columns and primary key."""
    columns, primary = [], ""
    for line in body.splitlines():
        if match := _COLUMN.match(line):
            column, kind, size = match[1], match[2], match[3] or ""
            declared = _AFFINITY.get(kind, f"{kind.upper()}{size}" if kind in ("varchar", "char") else "TEXT")
            nullable = "" if " NOT NULL" not in line else " NOT NULL"
            columns.append(f"{_quoted(column)} {declared}{nullable}")
        elif match := _PRIMARY.match(line):
            keys = re.findall(r"`([^`]+)`", match[1])  # a key may carry a prefix length: `Name`(255)
            primary = ", PRIMARY KEY (" + ", ".join(_quoted(key) for key in keys) + ")"
    if not columns:
        raise DumpError(f"table {name}: no columns found")
    return f"CREATE TABLE {_quoted(name)} ({', '.join(columns)}{primary})"


def sections(dump_text: str) -> Iterator[tuple[str, str]]:
    """Yield (database name, its part of the dump) in dump order."""
    uses = list(_USE.finditer(dump_text))
    for k, use in enumerate(uses):
        end = uses[k + 1].start() if k + 1 < len(uses) else len(dump_text)
        yield use[1], dump_text[use.end() : end]


def convert(dump: Path, out_dir: Path) -> dict[str, dict[str, int]]:
    """Write one SQLite file per database of a mysqldump into ``out_dir``; return rows per table."""
    text = dump.read_text(encoding="utf-8")
    manifest: dict[str, dict[str, int]] = {}
    for database, part in sections(text):
        path = out_dir / f"{database}.sqlite"
        path.unlink(missing_ok=True)
        with sqlite3.connect(path) as connection:
            counts: dict[str, int] = {}
            for match in _CREATE.finditer(part):
                connection.execute(_create(match[1], match[2]))
                counts[match[1]] = 0
            for match in _INSERT.finditer(part):
                rows = list(_literals(match[2]))
                marks = ", ".join("?" * len(rows[0]))
                connection.executemany(f"INSERT INTO {_quoted(match[1])} VALUES ({marks})", rows)
                counts[match[1]] = counts.get(match[1], 0) + len(rows)
        connection.close()
        manifest[database] = counts
    if not manifest:
        raise DumpError(f"{dump}: no `USE database;` sections: not a mysqldump of databases")
    return manifest


def sha256(path: Path) -> str:
    """Return the hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def databases(dump: Path, cache: Path, *, expected: str | None = DUMP_SHA256) -> Path:
    """Return the directory of the dump's SQLite files, converting it on first use.

    The directory is keyed by the dump's sha256 and holds ``manifest.json`` (rows per table per
    database). A dump other than InterCode's (``expected``) is refused: scores would not compare.
    """
    if not dump.is_file():
        raise DumpError(f"no MySQL dump at {dump} (InterCode-SQL ships it as {DUMP_NAME})")
    digest = sha256(dump)
    if expected is not None and digest != expected:
        raise DumpError(f"{dump} has sha256 {digest}, not InterCode's {expected}: another dump")
    target = cache / "intercode_sql" / digest[:16]
    if (target / "manifest.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        manifest = convert(dump, staging)
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        os.replace(staging, target)  # atomic: a reader sees all files or none
    except OSError:
        if not (target / "manifest.json").is_file():  # not another process's finished conversion
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def manifest(directory: Path) -> dict[str, dict[str, int]]:
    """Return the rows per table per database of a converted directory."""
    data: dict[str, dict[str, int]] = json.loads((directory / "manifest.json").read_text())
    return data


# --- read-only execution ------------------------------------------------------------------------

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
        _, rows, _ = self.run(f"PRAGMA table_info({_quoted(name)})", 10_000)
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
