"""The SQL domain (InterCode-SQL, an unseen task in Lumos v3): statement actions over one database.

Lumos's SQL annotations (``data/incontext.py: instruction_icode_sql``) ground subgoals such as
"Describe the columns" or "Finish the SQL query" to statements rather than calls: ``R1 = SHOW
TABLES``, ``R2 = DESCRIBE singer``, partial clauses kept as text (``R3 = Age > 20``) and the final
``R4 = SELECT ...``. The statement tool (``tools/sql.py``) runs the first two and queries on the
task's database read-only; anything else is a clause and is its own value. A clause variable may be
named inside a later statement (``SELECT Name FROM singer WHERE R3``) or extended by a later clause
(``R4 = R3 JOIN pets ON ...``, a join of three tables); results are never pasted
into SQL. Lumos released no SQL evaluation, so the grounding prefix below is written in the style
of its verbatim ones, not copied.

The task's ``environment`` names its database: a name in the converted InterCode cache
(``tools.sql_dump.databases``) or a path to a ``.sqlite`` file. The task text carries the question and
the database's tables with their columns (``task_text``), as every formulation and baseline sees
it. The answer is the last query that ran without error; InterCode's reward re-runs it.

Longer than 300 lines because the worked examples sit beside the statement semantics they show
(clauses kept, extended and named inside a later query), and a test re-runs them on the databases.
"""

import re
from collections.abc import Mapping
from contextlib import closing
from pathlib import Path

from common.paths import cache_root
from domains import sql_grammar
from models.registry import ModelProvider
from nodes import protocol
from nodes.context import Context
from nodes.domain import Annotation, Domain, Formulation, Outcome
from nodes.state import LumosState
from tools import MemoryTool, Toolbox, sql_dump
from tools import sql as sqltool
from tools.errors import ToolError

ACTIONS = frozenset({"SHOW TABLES", "DESCRIBE", "SELECT"})  # as the prompt names them
RESULT_HEADS = ("Tables: ", "Table ", "Columns: ", protocol.ERROR_PREFIX)  # values that are not clauses

GROUND_PREFIX_SQL = (
    "Please ground the given subgoal to corresponding executable actions for solving the given task. "
    "The grounded actions must be the one in available action list.\n\n"
    "The available action list is 'SHOW TABLES', 'DESCRIBE', and 'SELECT'.\n"
    "SHOW TABLES: List the tables of the database; DESCRIBE table: List the columns of the table and "
    "their types; SELECT query: Run a SQLite query and return its columns and rows; any other text "
    "is a partial SQL clause kept for a later query.\n\n"
)
INSTRUCT_DIRECT_SQL = (
    "Reply with one SQLite query that answers the question over the given tables, on a single line, "
    "with no explanation."
)
INSTRUCT_COT_SQL = (
    "Work out step by step which tables, columns, joins and conditions answer the question, then end "
    "your reply with the final SQLite query on its own last line, starting with `SELECT`."
)
_FENCE = re.compile(r"```(?:sql|sqlite)?\s*(.*?)```", re.S | re.I)


def task_text(question: str, database: str, tables: Mapping[str, list[str]]) -> str:
    """Return the task as the agent sees it: the question, then the database's tables and columns."""
    schema = "; ".join(f"{name}({', '.join(columns)})" for name, columns in tables.items())
    return f"{question.strip()}\nThe database {database} has the tables {schema}."


def frame_task(question: str, environment: str | None, run_key: str = "") -> str:
    """Return the task for a question over the environment's database: the question and its schema."""
    path = database_path(environment)
    try:
        database = sqltool.Database(path)
    except ToolError as err:
        raise ValueError(str(err)) from None
    try:
        return task_text(question, path.stem, database.schema())
    finally:
        database.close()


def database_dir() -> Path:
    """Return where the InterCode databases are once converted (``lumos eval intercode-sql`` does it)."""
    return cache_root() / "intercode_sql" / sql_dump.DUMP_SHA256[:16]


def database_path(environment: str | None) -> Path:
    """Return the SQLite file a task's environment names, or raise ValueError saying what is missing."""
    if not environment:
        raise ValueError(
            "an SQL task needs its database: the input's `environment` (a name or a .sqlite path)"
        )
    path = Path(environment).expanduser()
    if path.suffix in (".sqlite", ".db") and path.is_file():
        return path
    if re.fullmatch(r"\w+", environment) and (found := database_dir() / f"{environment}.sqlite").is_file():
        return found
    raise ValueError(
        f"no database {environment!r}: not a .sqlite file, and not in {database_dir()} "
        "(convert InterCode's dump there with `lumos eval intercode-sql --data .../dev.jsonl`)"
    )


def substitute_clauses(statement: str, memory: Mapping[str, str]) -> str:
    """Replace the variables in a statement that hold clauses by their text (results stay names)."""

    def value(match: re.Match[str]) -> str:
        text = memory.get(match[0])
        return match[0] if text is None or text.startswith(RESULT_HEADS) else text

    return protocol.VARIABLE.sub(value, statement)


class StatementTool(MemoryTool):
    """A nameless SQL action: ``SHOW TABLES``, ``DESCRIBE t`` or a query runs; a clause is its own value."""

    def __init__(self, database: sqltool.Database) -> None:
        self.run = sqltool.statement_tool(database)

    def __call__(self, args: str, memory: Mapping[str, str], subgoal: str) -> str:
        """Run the statement on the task's database, or keep the clause."""
        statement = substitute_clauses(args, memory)
        if not sqltool.is_query(statement):
            return statement
        return self.run(statement)


def toolbox(models: ModelProvider, context: Context, state: LumosState | None = None) -> Toolbox:
    """Return the statement tool over the task's database, opened read-only."""
    try:
        environment = state.get("environment") if state is not None else None
        database = sqltool.Database(database_path(environment), timeout_s=min(context.tool_timeout_s, 30.0))
    except ToolError as err:
        raise ValueError(str(err)) from None
    return {"": StatementTool(database)}


def final_query(state: LumosState) -> str | None:
    """Return the last SELECT/WITH query that ran without error, clauses filled in, or None."""
    memory = state.get("memory", {})
    for action in reversed(state.get("actions", [])):
        statement = substitute_clauses(action["args"], memory)
        head = statement.split(None, 1)[0].upper() if statement.strip() else ""
        if action["ok"] and not action["name"] and head in ("SELECT", "WITH"):
            return statement.strip().rstrip(";").strip()
    return None


def answer(state: LumosState, context: Context, models: ModelProvider, formulation: Formulation) -> Outcome:
    """Return the run's answer: the rows of its last query that ran (InterCode scores that query)."""
    query = final_query(state)
    if query is None:
        return None, "no SELECT query ran without error, so there is no answer"
    try:
        database = sqltool.Database(database_path(state.get("environment")), timeout_s=context.tool_timeout_s)
        try:
            return result_text(*database.run(query, MAX_ANSWER_ROWS)), None
        finally:
            database.close()
    except (ToolError, ValueError) as err:
        return None, f"the final query {query!r} no longer runs: {err}"


MAX_ANSWER_ROWS = 20


def result_text(columns: list[str], rows: list[tuple[object, ...]], more: bool) -> str:
    """Return a query's result as a person reads it: one value alone (``47.5``), else its rows, one a line."""
    if len(rows) == 1 and len(rows[0]) == 1 and not more:
        return str(rows[0][0])
    if not rows:
        return f"no rows (columns {', '.join(columns)})"
    lines = [" | ".join(columns), *(" | ".join(str(value) for value in row) for row in rows)]
    return "\n".join(lines) + (f"\n(first {len(rows)} rows; the query returned more)" if more else "")


def scored_query(state: dict[str, object]) -> str | None:
    """Return the query a run is scored by: its final query, or a baseline's answer (a query it wrote)."""
    query = final_query(state)  # type: ignore[arg-type]
    answer = state.get("answer")
    return query if query is not None else (answer if isinstance(answer, str) else None)


def read_baseline(text: str, style: str) -> str | None:
    """Return the query in a baseline's reply: the last fenced block, else the last line from SELECT."""
    fenced = _FENCE.findall(text)
    body = fenced[-1] if fenced else text
    lines = [line.strip().strip("`").strip() for line in body.splitlines() if line.strip()]
    for line in reversed(lines):
        found = re.search(r"\b(SELECT|WITH)\b.*", line, re.I)
        if found:
            return found[0].rstrip(";").strip()
    return None


def ground(actions: object, *, state: LumosState | None = None, profile: str = "", **limits: int) -> str:
    """Return the grammar of an SQL grounder output over the names of the run's database."""
    return sql_grammar.ground(run_schema(state), **limits)


def run_schema(state: LumosState | None) -> dict[str, list[str]] | None:
    """Return the tables and columns of the run's database, or None when it names none that opens."""
    try:
        database = sqltool.Database(database_path(state.get("environment") if state else None))
    except (ToolError, ValueError):
        return None
    with closing(database):
        return database.schema()


def answered(state: LumosState) -> bool:
    """Return whether the run has an answer: a query ran without error (a clause or DESCRIBE is none)."""
    return final_query(state) is not None


def unfinished(state: LumosState) -> str | None:
    """Return what is unmet: the last statement failed (and why), or no query has run; else None."""
    actions = state.get("actions", [])
    if actions and not actions[-1]["ok"]:
        why = actions[-1]["observation"].removeprefix(protocol.ERROR_PREFIX)
        return f"The last statement failed ({why}): the next subgoal must repair it, not repeat it."
    if not answered(state):
        return "No query has run without an error yet, so the task has no answer."
    return None


# Two worked examples from InterCode's dev slice, outside its first 100 tasks (rows 156 and 177 of
# ../shared/data/intercode_sql/dev.jsonl), with the results the statement tool returns
# (tests/test_sql.py re-runs them). Lumos's unseen-task protocol used 2 in-context examples.
SQL: list[Annotation] = [
    Annotation(
        task=task_text(
            "What are  the different countries with singers above age 20?",
            "concert_singer",
            {
                "concert": ["concert_ID", "concert_Name", "Theme", "Stadium_ID", "Year"],
                "singer": [
                    "Singer_ID",
                    "Name",
                    "Country",
                    "Song_Name",
                    "Song_release_year",
                    "Age",
                    "Is_male",
                ],
                "singer_in_concert": ["concert_ID", "Singer_ID"],
                "stadium": ["Stadium_ID", "Location", "Name", "Capacity", "Highest", "Lowest", "Average"],
            },
        ),
        subgoals=[
            "Describe the columns of the table of singers.",
            "Finish the SQL query that selects the distinct countries of the singers above age 20.",
        ],
        actions=[
            "R1 = DESCRIBE singer",
            "R2 = SELECT DISTINCT Country FROM singer WHERE Age > 20",
        ],
        results=[
            "Table singer: Singer_ID INTEGER, Name TEXT, Country TEXT, Song_Name TEXT, "
            "Song_release_year TEXT, Age INTEGER, Is_male VARCHAR(255)",
            "Columns: Country; rows (3): [('Netherlands',), ('United States',), ('France',)]",
        ],
    ),
    Annotation(
        task=task_text(
            "Return the number of likes that the high schooler named Kyle has.",
            "network_1",
            {
                "Friend": ["student_id", "friend_id"],
                "Highschooler": ["ID", "name", "grade"],
                "Likes": ["student_id", "liked_id"],
            },
        ),
        subgoals=[
            "Describe the columns of the tables of high schoolers and likes.",
            "Write the join condition between likes and high schoolers.",
            "Finish the SQL query that counts Kyle's likes.",
        ],
        actions=[
            "R1 = DESCRIBE Highschooler; R2 = DESCRIBE Likes",
            "R3 = Likes JOIN Highschooler ON Likes.student_id = Highschooler.ID",
            "R4 = SELECT count(*) FROM R3 WHERE Highschooler.name = 'Kyle'",  # R3: the clause above
        ],
        results=[
            "Table Likes: student_id INTEGER, liked_id INTEGER",
            "Likes JOIN Highschooler ON Likes.student_id = Highschooler.ID",
            "Columns: count(*); rows (1): [(1,)]",
        ],
    ),
    Annotation(  # dev row 187: a join of three tables, the second join extending the first's clause
        task=task_text(
            "What are the ids of the students who do not own cats as pets?",
            "pets_1",
            {
                "has_pet": ["StuID", "PetID"],
                "pets": ["PetID", "PetType", "pet_age", "weight"],
                "student": ["StuID", "LName", "Fname", "Age", "Sex", "Major", "Advisor", "city_code"],
            },
        ),
        subgoals=[
            "Describe the columns of the tables of pet owners and pets.",
            "Write the join condition between students and pet owners.",
            "Extend the join to pets.",
            "Finish the SQL query that selects the ids of the students who own no cat.",
        ],
        actions=[
            "R1 = DESCRIBE has_pet; R2 = DESCRIBE pets",
            "R3 = student JOIN has_pet ON student.StuID = has_pet.StuID",
            "R4 = R3 JOIN pets ON has_pet.PetID = pets.PetID",  # R3: the clause above, extended
            "R5 = SELECT StuID FROM student EXCEPT SELECT student.StuID FROM R4 WHERE pets.PetType = 'cat'",
        ],
        results=[
            "Table pets: PetID INTEGER, PetType VARCHAR(20), pet_age INTEGER, weight REAL",
            "student JOIN has_pet ON student.StuID = has_pet.StuID",
            "student JOIN has_pet ON student.StuID = has_pet.StuID JOIN pets ON has_pet.PetID = pets.PetID",
            "Columns: StuID; rows (33) (first 20 of 33): [(1002,), (1003,), (1004,), (1005,), (1006,), "
            "(1007,), (1008,), (1009,), (1010,), (1011,), (1012,), (1014,), (1015,), (1016,), (1017,), "
            "(1018,), (1019,), (1020,), (1021,), (1022,)]",
        ],
    ),
]

DOMAIN = Domain(
    name="sql",
    actions=ACTIONS,
    toolbox=toolbox,
    answer=answer,
    prompts="sql",
    exemplars=tuple(SQL),
    ground_grammar=ground,
    ground_prefix=GROUND_PREFIX_SQL,
    statements=True,
    ground_sees_results=True,
    baseline_instructions={"direct": INSTRUCT_DIRECT_SQL, "cot": INSTRUCT_COT_SQL},
    read_baseline=read_baseline,
    frame_task=frame_task,
    environment_help="the task's database: a name in the converted InterCode cache or a .sqlite path",
    unfinished=unfinished,
    answered=answered,  # a plan ending on a join clause, with no query that ran, has no answer
    # Lumos-O grounds each subgoal on the results before it (a join's clause, a table's columns), and
    # a plan whose last statement failed goes back to the planner, told why, to repair it: once, or
    # each time it runs out while no query has run
    stepwise=frozenset({"onetime"}),
)
