"""The SQL domain: dump conversion, the read-only guard, InterCode's reward, both formulations, baselines."""

import hashlib
import json
from pathlib import Path

import pytest
from clifakes import serve_graphs
from fakes import ScriptedModels, scripted
from gbnf import Grammar

import cli
from common.jsonl import read_jsonl
from domains import sql as domain
from evaluation import benchmarks, harness
from graphs import baselines, iterative, onetime, pipeline
from nodes import protocol
from nodes.context import Context
from tools import sql, sql_dump
from tools.errors import ToolError

TINY = Path(__file__).parent / "data" / "tiny_dump.sql"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "intercode_sql"
needs_shared = pytest.mark.skipif(
    not (SHARED / sql_dump.DUMP_NAME).exists(), reason="../shared/data is not here"
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """The converted tiny dump's directory."""
    return sql_dump.databases(TINY, tmp_path_factory.mktemp("cache"), expected=None)


@pytest.fixture
def singers(tiny) -> sql.Database:
    database = sql.Database(tiny / "concert_singer.sqlite")
    yield database
    database.close()


# --- conversion ---------------------------------------------------------------------------------


def test_the_dump_converts_to_one_sqlite_file_per_database_with_its_rows(tiny):
    assert sql_dump.manifest(tiny) == {
        "concert_singer": {"concert": 3, "singer": 4},
        "empty_one": {"players": 0},
    }
    assert sorted(p.name for p in tiny.glob("*.sqlite")) == ["concert_singer.sqlite", "empty_one.sqlite"]
    assert tiny.name == sql_dump.sha256(TINY)[:16]


def test_literals_keep_their_types_escapes_and_nulls(singers):
    rows = singers.results("SELECT Singer_ID, Name, Net_Worth FROM singer ORDER BY Singer_ID")
    assert rows == [
        (1, "Joe Sharp", 30.5),
        (2, "Timbaland", None),
        (3, 'O\'Brien, "Jr"', -1000.0),
        (4, "Tab\there\nnewline", 0.0),
    ]
    assert singers.results("SELECT count(*) FROM singer WHERE Age > 40") == [(2,)]  # numbers, not text


def test_a_missing_or_different_dump_is_refused_with_the_reason(tmp_path):
    with pytest.raises(sql_dump.DumpError, match=r"no MySQL dump at .*ic_spider_dbs\.sql"):
        sql_dump.databases(tmp_path / "nothing.sql", tmp_path)
    with pytest.raises(sql_dump.DumpError, match="not InterCode's 61f6e800"):
        sql_dump.databases(TINY, tmp_path)
    junk = tmp_path / "junk.sql"
    junk.write_text("SELECT 1;\n")
    with pytest.raises(sql_dump.DumpError, match="no `USE database;` sections"):
        sql_dump.databases(junk, tmp_path, expected=None)
    assert not list((tmp_path / "intercode_sql").glob("*/manifest.json"))  # nothing half-written stays


def test_a_converted_dump_is_reused(tiny):
    stamp = (tiny / "manifest.json").stat().st_mtime_ns
    assert sql_dump.databases(TINY, tiny.parent.parent, expected=None) == tiny
    assert (tiny / "manifest.json").stat().st_mtime_ns == stamp


@needs_shared
def test_intercodes_dump_gives_its_20_databases_and_every_gold_query_runs(tmp_path):
    converted = sql_dump.databases(SHARED / sql_dump.DUMP_NAME, tmp_path)
    counts = sql_dump.manifest(converted)
    assert len(counts) == 20 and sum(len(t) for t in counts.values()) == 81
    assert sum(sum(t.values()) for t in counts.values()) == 6952
    assert not any(counts["wta_1"].values())  # its tables are empty in InterCode's dump too
    for _, row in read_jsonl(SHARED / "dev.jsonl"):
        database = sql.Database(converted / f"{row['db']}.sqlite")
        database.results(row["gold"])  # raises on any error
        database.close()


# --- the read-only guard ------------------------------------------------------------------------

WRITES = [
    "INSERT INTO singer VALUES (9, 'x', 'y', 1, 1)",
    "UPDATE singer SET Age = 0",
    "DELETE FROM singer",
    "DROP TABLE singer",
    "CREATE TABLE t (a)",
    "CREATE TEMP TABLE t (a)",
    "CREATE VIEW v AS SELECT 1",
    "ALTER TABLE singer ADD COLUMN z",
    "ATTACH DATABASE '/tmp/lumos-attack.sqlite' AS other",
    "PRAGMA writable_schema = 1",
    "PRAGMA journal_mode = WAL",
    "PRAGMA query_only = 0",
    "SELECT load_extension('/tmp/evil.so')",
    "VACUUM",
    "VACUUM INTO '/tmp/lumos-copy.sqlite'",
    "REINDEX",
    "ANALYZE",
    "BEGIN IMMEDIATE",
    "REPLACE INTO singer VALUES (1, 'x', 'y', 1, 1)",
    "WITH x AS (SELECT 1) INSERT INTO singer SELECT 9, 'a', 'b', 1, 1 FROM x",
]


@pytest.mark.parametrize("statement", WRITES)
def test_every_write_attach_or_pragma_change_is_refused(tiny, statement):
    path = tiny / "concert_singer.sqlite"
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    database = sql.Database(path)
    with pytest.raises(ToolError):
        database.run(statement, 10)
    database.close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert not Path("/tmp/lumos-attack.sqlite").exists() and not Path("/tmp/lumos-copy.sqlite").exists()


def test_a_runaway_query_stops_at_the_time_limit(tiny):
    database = sql.Database(tiny / "concert_singer.sqlite", timeout_s=0.3)
    endless = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"
    with pytest.raises(ToolError, match=r"ran over 0\.3 s and was stopped"):
        database.run(endless, 10)
    assert database.run("SELECT 1", 10)[1] == [(1,)]  # the connection is usable afterwards


def test_huge_text_is_refused_and_results_are_capped(singers):
    with pytest.raises(ToolError, match="too big"):
        singers.run("SELECT hex(zeroblob(600000))", 10)
    many = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT 5000) SELECT x FROM n"
    shown = sql.statement_tool(singers)(many)
    assert shown.startswith("Columns: x; rows (1000+) (first 20 of 1000+): [(1,), (2,)")
    assert len(shown) < 400


def test_show_tables_describe_and_errors(singers):
    run = sql.statement_tool(singers)
    assert run("SHOW TABLES") == "Tables: singer, concert"
    assert run("describe SINGER") == "Table SINGER: Singer_ID INTEGER, Name TEXT, Country VARCHAR(255), " + (
        "Age INTEGER, Net_Worth REAL"
    )
    with pytest.raises(ToolError, match="no table 'singers'; the tables are singer, concert"):
        run("DESCRIBE singers")
    with pytest.raises(ToolError, match="no such column: Height"):
        run("SELECT Height FROM singer")


# --- InterCode's reward -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agent", "gold", "expected"),
    [
        ([], [], 1.0),  # both empty
        (None, [], 0.0),  # the agent's query failed: no result set
        ([(1,)], [], 0.0),
        ([], [(1,)], 0.0),
        ([(1, "a"), (2, "b")], [(1, "a"), (2, "b")], 1.0),
        ([(2,), (1,)], [(1,), (2,)], -1.0),  # the order reversed: tau = -1
        ([(1,), (3,), (2,)], [(1,), (2,), (3,)], 0.33),  # one pair of three swapped: tau = 1/3
        ([(1,), (2,), (3,)], [(1,), (2,), (4,)], 0.5),  # 2 shared of 4 in the union, in order
        ([(1,), (1,)], [(1,)], 0.5),  # duplicates count: 1 shared of 2; one shared row has no tau
        ([("1",)], [(1,)], 0.0),  # rows compare as their str: '1' is not 1
    ],
)
def test_reward_matches_intercodes_get_reward_by_hand(agent, gold, expected):
    assert sql.reward(agent, gold) == pytest.approx(expected)


# --- the domain through the graphs --------------------------------------------------------------


def sql_domain_scored(state: dict[str, object]) -> str | None:
    return domain.scored_query(state)


def sql_input(tiny: Path, question: str = "How many singers are older than 40?") -> dict[str, str]:
    return {"task": question, "domain": "sql", "environment": str(tiny / "concert_singer.sqlite")}


def test_the_task_text_lists_the_tables_and_columns(tiny):
    assert domain.frame_task(sql_input(tiny)["task"], sql_input(tiny)["environment"]) == (
        "How many singers are older than 40?\nThe database concert_singer has the tables "
        "singer(Singer_ID, Name, Country, Age, Net_Worth); concert(concert_ID, Singer_ID, Year)."
    )


def test_lumos_run_frames_the_question_with_its_databases_schema(tiny, monkeypatch, capsys):
    planner = scripted("Subgoal 1: Find who is older than 40.")
    grounder = scripted("R1 = SELECT Name FROM singer WHERE Age > 40 ORDER BY Age")
    graphs = [onetime.build(models=ScriptedModels(planner, grounder)).compile()]
    graphs += [onetime.build(models=ScriptedModels(scripted(), scripted())).compile() for _ in range(2)]
    serve_graphs(monkeypatch, *graphs)
    argv = ["run", "--domain", "sql", "--formulation", "onetime", "Who is older than 40?"]
    assert cli.main([*argv, "--env", str(tiny / "concert_singer.sqlite")]) == 0
    out = capsys.readouterr().out
    # the answer is the query's rows, and the query is shown beside it
    assert 'Answer: Name\nO\'Brien, "Jr"\nJoe Sharp  (the rows of: R1 = SELECT Name FROM singer' in out
    assert (
        "The database concert_singer has the tables singer(Singer_ID, Name" in planner.prompts[0][-1].content
    )
    # the run's first node opens the database: a missing one ends the run there, before any model call
    assert cli.main([*argv, "--env", str(tiny / "missing.sqlite")]) == 1
    assert "No answer: cannot open the environment" in capsys.readouterr().out
    assert cli.main(argv) == 1  # no database named
    assert "an SQL task needs its database" in capsys.readouterr().out
    assert cli.main(["run", "--env", "concert_singer", "What is 1 + 1?"]) == 2
    assert "the maths domain runs against no environment (--env is for: sql, web)" in capsys.readouterr().err


def test_statement_actions_parse_whole_and_clauses_substitute():
    actions = protocol.parse_actions(
        "R1 = SHOW TABLES; R2 = Age > 40; R3 = SELECT count(*) FROM singer WHERE R2", statements=True
    )
    assert [(a["name"], a["args"]) for a in actions] == [
        ("", "SHOW TABLES"),
        ("", "Age > 40"),
        ("", "SELECT count(*) FROM singer WHERE R2"),
    ]
    memory = {"R1": "Tables: singer", "R2": "Age > 40"}
    assert domain.substitute_clauses("SELECT R1 FROM t WHERE R2", memory) == "SELECT R1 FROM t WHERE Age > 40"


def test_the_task_is_framed_once_however_many_nodes_the_run_visits(tiny):
    planner = scripted("Subgoal 1: Count.", "Yes, I will stop planning.")
    models = ScriptedModels(planner, scripted("R1 = SELECT count(*) FROM singer"))
    given = sql_input(tiny)
    state = iterative.build(models=models).compile().invoke(given, context=Context(domain="sql"))
    assert state["task"] == domain.frame_task(given["task"], given["environment"]) and state["error"] is None
    assert all(prompt[-1].content.count("The database concert_singer") <= 1 for prompt in planner.prompts)


def test_lumos_i_sees_an_sql_error_and_fixes_its_query(tiny):
    planner = scripted(
        "Subgoal 1: Count the singers older than 40.",
        "Subgoal 2: Fix the query: the column is Age.",
        "Yes, I will stop planning.",
    )
    grounder = scripted(
        "R1 = SELECT count(*) FROM singer WHERE Years > 40", "R2 = SELECT count(*) FROM singer WHERE Age > 40"
    )
    graph = iterative.build(models=ScriptedModels(planner, grounder)).compile()
    state = graph.invoke(sql_input(tiny), context=Context(domain="sql"))
    assert state["actions"][0]["observation"] == "Error: statement failed: no such column: Years"
    assert "no such column: Years" in planner.prompts[1][-1].content  # the planner was told
    assert state["answer"] == "2" and state["error"] is None
    assert sql_domain_scored(state) == "SELECT count(*) FROM singer WHERE Age > 40"
    assert "rows (1): [(2,)]" in state["memory"]["R2"]


def test_lumos_o_grounds_every_statement_at_once_and_answers_with_the_last_query(tiny):
    planner = scripted(
        "Subgoal 1: Describe the singer table.; Subgoal 2: Write the condition.; Subgoal 3: Finish the query."
    )
    grounder = scripted(
        "R1 = DESCRIBE singer; R2 = Age > 40; R3 = SELECT Name FROM singer WHERE R2 ORDER BY Age"
    )
    graph = onetime.build(models=ScriptedModels(planner, grounder)).compile()
    state = graph.invoke(sql_input(tiny, "Who is older than 40?"), context=Context(domain="sql"))
    assert state["answer"] == 'Name\nO\'Brien, "Jr"\nJoe Sharp'
    assert sql_domain_scored(state) == "SELECT Name FROM singer WHERE Age > 40 ORDER BY Age"
    assert state["memory"]["R3"] == "Columns: Name; rows (2): [('O\\'Brien, \"Jr\"',), ('Joe Sharp',)]"
    ground_prompt = grounder.prompts[0][-1].content
    assert ground_prompt.startswith(domain.GROUND_PREFIX_SQL) and "Subgoals to be grounded:" in ground_prompt


def test_lumos_o_grounds_each_statement_on_the_results_before_it_and_repairs_a_failed_last_one(tiny):
    planner = scripted(
        "Subgoal 1: Describe the singer table.; Subgoal 2: Count the singers older than 40.",
        "Subgoal 3: Count them with the Age column.",
    )
    grounder = scripted(
        "R1 = DESCRIBE singer",
        "R2 = SELECT count(*) FROM singer WHERE Years > 40",
        "R3 = SELECT count(*) FROM singer WHERE Age > 40",
    )
    context = Context(domain="sql")
    graph = pipeline.Pipelines(models=ScriptedModels(planner, grounder)).for_run("onetime", context)
    state = graph.invoke(sql_input(tiny), context=context)
    described = "Table singer: Singer_ID INTEGER"  # in a worked example too: the run's adds one more
    assert str(grounder.prompts[1]).count(described) == str(grounder.prompts[0]).count(described) + 1
    told = (
        "The last statement failed (statement failed: no such column: Years): the next subgoal must repair it"
    )
    assert told in str(planner.prompts[1])  # the plan ran out on a failed query: the planner is told why
    assert state["subgoals"][-1] == "Count them with the Age column." and state["nudges"][0]["after"] == 2
    assert state["answer"] == "2" and state["error"] is None and len(grounder.prompts) == 3
    assert sql_domain_scored(state) == "SELECT count(*) FROM singer WHERE Age > 40"


@pytest.mark.parametrize(
    ("environment", "message"),
    [({}, "an SQL task needs its database"), ({"environment": "nowhere_db"}, "no database 'nowhere_db'")],
)
def test_a_run_without_its_database_ends_with_a_clear_error(environment, message):
    models = ScriptedModels(scripted("Subgoal 1: Count."), scripted("R1 = SELECT 1"))
    state = (
        onetime.build(models=models)
        .compile()
        .invoke({"task": "Count.", "domain": "sql", **environment}, context=Context(domain="sql"))
    )
    assert message in state["error"]


def test_a_run_given_an_unframed_question_and_its_database_is_shown_the_schema(tiny):
    # a server caller sends the question and the database; the run's first node frames it
    models = ScriptedModels(
        scripted("Subgoal 1: Count the singers."), scripted("R1 = SELECT count(*) FROM singer")
    )
    database = str(tiny / "concert_singer.sqlite")
    state = (
        onetime.build(models=models)
        .compile()
        .invoke(
            {"task": "How many singers?", "domain": "sql", "environment": database},
            context=Context(domain="sql"),
        )
    )
    assert state["task"].startswith("How many singers?\nThe database concert_singer has")
    assert state["task"].count("The database") == 1
    assert "singer(" in models.by_role["planner"].prompts[0][-1].content
    assert state["answer"] == "4" and state["error"] is None


def test_the_grounder_grammar_admits_numbered_statements_only():
    grammar = Grammar(domain.ground(domain.ACTIONS, assigned=2, max_actions=3))
    assert grammar.accepts("R3 = DESCRIBE singer; R4 = SELECT count(*) FROM singer\n")
    assert not grammar.accepts("R1 = SHOW TABLES")  # R1, R2 exist: the next is R3
    assert not grammar.accepts("R3 = SHOW TABLES; R4 = a; R5 = b; R6 = c")  # over max_actions
    assert not grammar.accepts("R3 = SELECT 1\nmore")
    for exemplar in domain.SQL:
        assert Grammar(domain.ground(domain.ACTIONS, max_actions=8)).accepts("; ".join(exemplar["actions"]))


@pytest.mark.parametrize(
    ("reply", "query"),
    [
        ("SELECT count(*) FROM singer", "SELECT count(*) FROM singer"),
        ("We need the singers.\n```sql\nSELECT Name\nFROM singer;\n```", "SELECT Name"),
        ("The tables...\nSo the query is: SELECT max(Age) FROM singer;", "SELECT max(Age) FROM singer"),
        ("I do not know.", None),
    ],
)
def test_baseline_replies_are_read_for_their_query(reply, query):
    assert domain.read_baseline(reply, "cot") == query


def test_the_direct_baseline_answers_with_a_query_from_the_schema(tiny):
    model = scripted("```sql\nSELECT count(*) FROM singer WHERE Age > 40\n```")
    graph = baselines.build("direct", models=ScriptedModels(model, scripted())).compile()
    state = graph.invoke(sql_input(tiny), context=Context(domain="sql"))
    assert state["answer"] == "SELECT count(*) FROM singer WHERE Age > 40"
    assert model.prompts[0][0].content == domain.INSTRUCT_DIRECT_SQL
    assert "singer(Singer_ID, Name, Country, Age, Net_Worth)" in model.prompts[0][-1].content


@needs_shared
def test_the_worked_examples_record_what_their_statements_return(tmp_path):
    converted = sql_dump.databases(SHARED / sql_dump.DUMP_NAME, tmp_path)
    for exemplar in domain.SQL:
        name = exemplar["task"].split("\nThe database ", 1)[1].split(" ", 1)[0]
        database = sql.Database(converted / f"{name}.sqlite")
        assert exemplar["task"] == domain.task_text(exemplar["task"].split("\n")[0], name, database.schema())
        tool, memory = domain.StatementTool(database), {}
        for line, result in zip(exemplar["actions"], exemplar["results"], strict=True):
            for action in protocol.parse_actions(line, statements=True):
                memory[action["outputs"][0]] = tool(action["args"], memory, "")
            assert memory[action["outputs"][0]] == result


def test_the_harness_scores_sql_by_reward_and_breaks_success_down_by_hardness(tiny, tmp_path):
    path = str(tiny / "concert_singer.sqlite")
    examples = [
        benchmarks.Example(
            id="a", task="t1", gold="SELECT count(*) FROM singer", environment=path, group="easy"
        ),
        benchmarks.Example(
            id="b",
            task="t2",
            gold="SELECT Singer_ID FROM singer ORDER BY Age",
            environment=path,
            group="hard",
        ),
    ]
    grounder = scripted(
        "R1 = SELECT count(*) FROM singer", "R1 = SELECT Singer_ID FROM singer ORDER BY Age DESC"
    )
    graph = onetime.build(
        models=ScriptedModels(scripted("Subgoal 1: Q.", "Subgoal 1: Q."), grounder)
    ).compile()
    out = tmp_path / "trace.jsonl"
    rows = list(harness.run(graph, examples, Context(domain="sql"), out, benchmark="intercode-sql"))
    assert [(r["id"], r["reward"], r["correct"]) for r in rows] == [("a", 1.0, True), ("b", -1.0, False)]
    # InterCode scores the query; the run's answer (its rows) is kept beside it
    assert (rows[0]["prediction"], rows[0]["answer"]) == ("SELECT count(*) FROM singer", "4")
    summary = harness.summarize(out, "intercode-sql", "onetime")
    assert summary["metrics"] == {"success": 0.5, "reward": 0.0}
    scored = {
        group: {key: cell[key] for key in ("examples", "success", "reward", "steps")}
        for group, cell in summary["by_group"].items()
    }
    assert scored == {
        "easy": {"examples": 1, "success": 1.0, "reward": 1.0, "steps": 1.0},
        "hard": {"examples": 1, "success": 0.0, "reward": -1.0, "steps": 1.0},
    }
    assert all(cell["seconds"] >= 0 for cell in summary["by_group"].values())
    assert json.loads(out.read_text().splitlines()[0])["environment"] == path


@needs_shared
def test_intercode_rows_become_examples_with_their_database_and_hardness(tmp_path, monkeypatch):
    monkeypatch.setenv("LUMOS_CACHE_DIR", str(tmp_path / "models"))
    benchmark, examples = benchmarks.load(SHARED / "dev.jsonl")
    assert benchmark == "intercode-sql" and len(examples) == 200
    first = examples[0]
    assert first["environment"] == "world_1" and first["group"] == "medium"
    assert first["task"].startswith("What is the average GNP and total population in all nations whose")
    # the run's first node frames the question over its database's schema
    assert "country(Code, Name, Continent, Region, SurfaceArea" in domain.frame_task(first["task"], "world_1")
    assert benchmarks.score("intercode-sql", first["gold"], first) == {"reward": 1.0, "correct": True}
    assert benchmarks.score("intercode-sql", "SELECT nonsense", first) == {"reward": 0.0, "correct": False}


@pytest.mark.gguf
@pytest.mark.timeout(600)
def test_lumos_i_on_a_real_model_runs_read_only_statements_to_an_end(tiny, small_model_path):
    """The default preset on two tiny-database tasks: every run ends, each statement ran or erred."""
    spec = str(small_model_path)
    context = Context(domain="sql", planner=spec, grounder=spec, max_subgoals=4)
    path = tiny / "concert_singer.sqlite"
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    for question in ("How many singers are there?", "What is the name of the oldest singer?"):
        state = iterative.graph.invoke(sql_input(tiny, question), context=context)
        assert state["actions"] and state["stop_reason"] in ("planner", "max_subgoals", "error")
        for action in state["actions"]:
            assert action["name"] == "" and (action["ok"] or action["observation"].startswith("Error: "))
        if state["answer"] is not None:  # the rows of a query that ran, and that query is what is scored
            assert domain.scored_query(state).upper().startswith(("SELECT", "WITH"))
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_the_grounder_grammar_writes_only_the_databases_own_names(tiny):
    state = {"environment": str(tiny / "concert_singer.sqlite")}
    grammar = Grammar(domain.ground(domain.ACTIONS, state=state, max_actions=3))
    assert grammar.accepts("R1 = DESCRIBE singer; R2 = SELECT count(*) FROM singer WHERE Age > 40")
    assert grammar.accepts("R1 = select T1.name from SINGER as T1 where T1.Country = 'France'")  # any case
    assert grammar.accepts("R1 = singer JOIN concert ON singer.Singer_ID = concert.Singer_ID")
    assert grammar.accepts("R1 = SELECT avg(Age) AS mean_age FROM singer; R2 = SELECT Name FROM R1")
    assert not grammar.accepts("R1 = DESCRIBE singers")  # a guessed table
    assert not grammar.accepts("R1 = SELECT Years FROM singer")  # a guessed column
    assert not grammar.accepts("R1 = SELECT NameFROM singer")  # names cannot be glued together
    # a column after its table's own name must be that table's; after an alias, any of the schema's
    joined = "R1 = SELECT singer.Name, concert.Year FROM singer JOIN concert ON singer.Singer_ID = concert.Singer_ID"
    assert grammar.accepts(joined) and grammar.accepts("R1 = SELECT count(singer.*), T2.Year FROM R1")
    assert not grammar.accepts("R1 = SELECT concert.Name FROM singer JOIN concert")  # concert has no Name
    assert not grammar.accepts("R1 = SELECT Name.Age FROM singer")  # a column is not a table
    # without a database to read, any one-line statement (the executor reports what is wrong)
    assert Grammar(domain.ground(domain.ACTIONS, state={}, max_actions=1)).accepts("R1 = DESCRIBE singers")


def test_a_stop_before_any_query_ran_is_fed_back_once_with_the_failed_statements_reason(tiny):
    planner = scripted(
        "Subgoal 1: Count the singers older than 40.",
        "Yes, I will stop planning.",
        "Subgoal 2: Count them with the Age column.",
        "Yes, I will stop planning.",
    )
    grounder = scripted(
        "R1 = SELECT count(*) FROM singer WHERE Years > 40", "R2 = SELECT count(*) FROM singer WHERE Age > 40"
    )
    graph = iterative.build(models=ScriptedModels(planner, grounder)).compile()
    state = graph.invoke(sql_input(tiny), context=Context(domain="sql"))
    told = (
        "The last statement failed (statement failed: no such column: Years): the next subgoal must repair it"
    )
    assert told in planner.prompts[1][-1].content  # with the result, after each subgoal
    # the stop came back as an observation, and the planner repaired the query
    assert [turn.content for turn in planner.prompts[2][-2:]] == [
        "Yes, I will stop planning.",
        f"{told}, not repeat it. Plan the next subgoal that gets it done.",
    ]
    assert state["nudges"][0]["after"] == 1 and state["answer"] == "2" and state["error"] is None
    assert len(planner.prompts) == 4  # the second stop, with a query that ran, ends the run


def test_a_lumos_i_stop_is_fed_back_every_time_while_no_query_ran(tiny):
    planner = scripted(
        "Subgoal 1: Describe the singer table.",
        "Yes, I will stop planning.",
        "Subgoal 2: Write the condition on age.",
        "Yes, I will stop planning.",
        "Subgoal 3: Count the singers that meet it.",
        "Yes, I will stop planning.",
    )
    grounder = scripted("R1 = DESCRIBE singer", "R2 = Age > 40", "R3 = SELECT count(*) FROM singer WHERE R2")
    graph = iterative.build(models=ScriptedModels(planner, grounder)).compile()
    state = graph.invoke(sql_input(tiny), context=Context(domain="sql"))
    # a DESCRIBE and a clause leave no answer: both stops come back; the one after the query stands
    assert [n["after"] for n in state["nudges"]] == [1, 2] and len(planner.prompts) == 6
    told = "No query has run without an error yet, so the task has no answer. Plan the next subgoal"
    last = [turn.content for turn in planner.prompts[4]]
    assert last[-2] == "Yes, I will stop planning." and last[-1].startswith(told)
    assert sum(turn.startswith(told) for turn in last) == 2  # the first stop's answer stays in the history
    assert state["answer"] == "2" and state["stop_reason"] == "planner"


def test_a_stop_after_a_repeated_subgoal_stands_even_without_an_answer(tiny):
    planner = scripted(
        "Subgoal 1: Write the condition on age.",
        "Yes, I will stop planning.",
        "Subgoal 2: Write  the condition on Age.",  # the same subgoal again
        "Yes, I will stop planning.",
    )
    grounder = scripted("R1 = Age > 40", "R2 = Age > 40")
    graph = iterative.build(models=ScriptedModels(planner, grounder)).compile()
    state = graph.invoke(sql_input(tiny), context=Context(domain="sql"))
    assert [n["after"] for n in state["nudges"]] == [1] and len(planner.prompts) == 4
    assert state["answer"] is None and "no SELECT query ran" in state["error"]


def test_a_lumos_o_plan_that_runs_out_without_an_answer_is_continued_again_within_max_subgoals(tiny):
    planner = scripted(
        "Subgoal 1: Describe the singer table.",
        "Subgoal 2: Write the condition on age.",
        "Subgoal 3: Count the singers that meet it.",
    )
    grounder = scripted("R1 = DESCRIBE singer", "R2 = Age > 40", "R3 = SELECT count(*) FROM singer WHERE R2")
    context = Context(domain="sql")
    graph = pipeline.Pipelines(models=ScriptedModels(planner, grounder)).for_run("onetime", context)
    state = graph.invoke(sql_input(tiny), context=context)
    assert [n["after"] for n in state["nudges"]] == [1, 2]  # told twice: neither plan left an answer
    assert "No query has run without an error yet" in str(planner.prompts[2])
    assert state["answer"] == "2" and state["subgoals"][-1] == "Count the singers that meet it."
    # within max_subgoals only: a plan that fills it ends, answered or not
    planner, grounder = scripted("Subgoal 1: Describe the singer table."), scripted("R1 = DESCRIBE singer")
    graph = pipeline.Pipelines(models=ScriptedModels(planner, grounder)).for_run("onetime", context)
    capped = Context(domain="sql", max_subgoals=1)
    state = graph.invoke(sql_input(tiny), context=capped)
    assert not state.get("nudges") and state["answer"] is None and "no SELECT query ran" in state["error"]
