"""InterCode's MySQL dump converted once into SQLite files in the cache, with the standard library.

InterCode serves Spider's databases from MySQL in Docker; here the same dump (``ic_spider_dbs.sql``,
a plain ``mysqldump``) becomes one SQLite file per database in the cache, keyed by the dump's
sha256, with a manifest of tables and rows. Parsing the dump needs no MySQL server: ``mysqldump``
writes one ``CREATE TABLE`` block and multi-row ``INSERT ... VALUES`` statements per table, whose
literals (numbers, ``NULL``, quoted strings with backslash escapes) are read here and inserted as
parameters, so numbers stay numbers. Keys and constraints are dropped: queries only read.
"""

import hashlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tools.sql import Row, quoted

DUMP_NAME = "ic_spider_dbs.sql"
DUMP_SHA256 = "61f6e8000cb5bb696f123fa55e111acdcd8da7eca64f452a36fd1a6e5fb1781a"

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
            columns.append(f"{quoted(column)} {declared}{nullable}")
        elif match := _PRIMARY.match(line):
            keys = re.findall(r"`([^`]+)`", match[1])  # a key may carry a prefix length: `Name`(255)
            primary = ", PRIMARY KEY (" + ", ".join(quoted(key) for key in keys) + ")"
    if not columns:
        raise DumpError(f"table {name}: no columns found")
    return f"CREATE TABLE {quoted(name)} ({', '.join(columns)}{primary})"


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
                connection.executemany(f"INSERT INTO {quoted(match[1])} VALUES ({marks})", rows)
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
