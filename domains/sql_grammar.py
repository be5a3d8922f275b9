"""The SQL grounder's grammar: statements whose names are the task's own tables and columns.

A small model guesses names (``DESCRIBE battle_death`` in the database ``battle_death``); the
error costs it a step at best and the run at worst. So every bare word a statement writes must be
an SQL keyword or function, a table or column of the task's database (any case, as SQLite reads
them), a Spider-style alias (``T1``), or a clause variable (``R3``); a column named after its
table's name (``singer.Age``) must be one of that table's. A name after ``AS`` is free,
since it declares an alias; quoted strings and numbers are free. Words are kept apart by spaces,
punctuation or strings, so a name cannot be glued onto another (``singer`` + ``s``).
"""

import re
from collections.abc import Iterable, Mapping

from nodes import grammar

KEYWORDS = (
    "SELECT DISTINCT ALL FROM WHERE AND OR NOT IN IS NULL LIKE GLOB BETWEEN EXISTS JOIN INNER LEFT "
    "RIGHT FULL OUTER CROSS NATURAL ON USING GROUP BY ORDER ASC DESC HAVING LIMIT OFFSET UNION "
    "INTERSECT EXCEPT CASE WHEN THEN ELSE END CAST WITH COLLATE NOCASE ESCAPE TRUE FALSE "
    "INTEGER REAL TEXT NUMERIC FLOAT COUNT SUM AVG MIN MAX ABS ROUND LENGTH LOWER UPPER SUBSTR "
    "SUBSTRING TRIM LTRIM RTRIM REPLACE INSTR COALESCE IFNULL NULLIF STRFTIME DATE TIME DATETIME "
    "JULIANDAY TYPEOF TOTAL GROUP_CONCAT PRINTF IIF"
).split()
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def anycase(word: str) -> str:
    """Return GBNF matching ``word`` in any letter case (``[sS] [uU] [mM]``)."""
    parts = [f"[{c.lower()}{c.upper()}]" if c.isalpha() else grammar.literal(c) for c in word]
    return " ".join(parts)


def alternatives(words: Iterable[str]) -> str:
    """Return a GBNF alternative of words in any case, each once, longest first."""
    unique = {w.lower(): w for w in words if _IDENTIFIER.fullmatch(w)}
    return " | ".join(anycase(w) for w in sorted(unique.values(), key=lambda w: (-len(w), w.lower())))


def one_of(names: Iterable[str]) -> str:
    """Return the GBNF alternative of ``names`` (a literal no name matches when there are none)."""
    return alternatives(names) or grammar.literal("none")


def statement_rules(schema: Mapping[str, list[str]]) -> list[str]:
    """Return the GBNF rules of ``stmt``: SHOW TABLES, DESCRIBE a table, or SQL over the schema's names."""
    tables = [table for table in schema if _IDENTIFIER.fullmatch(table)]
    columns = [column for names in schema.values() for column in names]
    # a table's own name before the dot admits only that table's columns (``singer.Age``, never
    # ``concert.Age``); an alias (``T1``, ``R3``) stands for a table named later, so any column
    qualified = [f'{anycase(table)} "." ({one_of(schema[table])} | "*")' for table in tables]
    return [
        'stmt ::= "SHOW TABLES" | "DESCRIBE " table | sql',
        "sql ::= gap? word (gap word)* gap?",
        'word ::= qualified | alias "." (column | "*") | name | number | declared',
        f"qualified ::= {' | '.join(qualified) or grammar.literal('none.none')}",
        "name ::= keyword | table | column | alias",
        f"keyword ::= {alternatives(KEYWORDS)}",
        f"table ::= {one_of(tables)}",
        f"column ::= {one_of(columns)}",
        "alias ::= [TtR] [1-9] [0-9]?",
        'declared ::= [aA] [sS] " "+ [A-Za-z_] [A-Za-z0-9_]{0,30}',
        'number ::= [0-9]+ ("." [0-9]+)?',
        "gap ::= ([ ] | [(),*=<>!+/%|-] | string)+",
        'string ::= "\'" [^\'\\n]{0,200} "\'" | "\\"" [^"\\n]{0,200} "\\""',
    ]


def ground(schema: Mapping[str, list[str]] | None, *, assigned: int = 0, max_actions: int = 32) -> str:
    """Return the grammar of an SQL grounder output: ``R<k> = <statement>`` joined by ``; ``, numbered.

    Without a schema (no database to read) a statement is any text on one line, as before.
    """
    first, top = assigned + 1, assigned + max_actions
    rules = [f'root ::= s{first} "\\n"?']
    rules += statement_rules(schema) if schema else ['stmt ::= [A-Za-z(*"`] [^;\\n]*']
    for k in range(first, top + 1):
        more = f" ({grammar.literal(grammar.SEPARATOR)} s{k + 1})?" if k < top else ""
        rules.append(f"s{k} ::= {grammar.literal(f'R{k} = ')} stmt{more}")
    return "\n".join(rules) + "\n"
