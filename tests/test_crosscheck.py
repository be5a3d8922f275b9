"""Cross-checking (graphs/crosscheck.py): rerun while the executed answer disagrees with the reasoning."""

from types import SimpleNamespace

import pytest
from fakes import ScriptedModels, scripted
from langgraph.checkpoint.memory import InMemorySaver
from test_graphs import TASK, TOOLS

import cli
from cli import terminal
from evaluation import harness
from graphs import crosscheck, onetime, options, persistence, pipeline
from graphs.crosscheck import CrossCheckContext
from graphs.voting import VotingContext
from nodes import protocol, reason
from nodes.context import Context

PLAN = "Subgoal 1: Calculate the clips sold in May.; Subgoal 2: Calculate the total."
RIGHT = protocol.render_reasoning("May: 48 / 2 = 24, so 48 + 24 = 72 in all. The answer is 72.", PLAN)
GROUND_RIGHT = "R1 = Calculator(48 / 2); R2 = Calculator(48 + R1)"
GROUND_WRONG = "R1 = Calculator(48 / 2); R2 = Calculator(R1)"  # drops a term of the reasoning: 24


def checked(planner_replies, grounder_replies, **context):
    models = ScriptedModels(scripted(*planner_replies), scripted(*grounder_replies))
    inner = onetime.build(models=models, tools=TOOLS).compile(name="lumos-onetime")
    settings = {"plan_reasoning": "sketch", "plan_retries": 2} | context
    return crosscheck.compiled(inner).invoke({"task": TASK}, context=CrossCheckContext(**settings)), models


def test_a_run_that_agrees_with_its_reasoning_is_not_rerun():
    state, models = checked([RIGHT], [GROUND_RIGHT])
    assert state["answer"] == "72" and state["agreed"] is True
    assert len(state["attempts"]) == 1 and state["model_calls"] == 2
    assert all("temperature" not in call for call in models.by_role["planner"].calls)


def test_a_disagreeing_run_is_rerun_sampled_until_one_agrees():
    state, models = checked(
        [RIGHT, RIGHT], [GROUND_WRONG, GROUND_RIGHT], vote_temperature=0.9, sampling_seed=10
    )
    assert [a["answer"] for a in state["attempts"]] == ["24", "72"]
    assert state["answer"] == "72" and state["agreed"] is True
    assert state["actions"][-1]["observation"] == "72"  # the agreeing run's trace, not the greedy one's
    assert state["model_calls"] == 4
    options = [(call.get("temperature", 0.0), call.get("seed")) for call in models.by_role["planner"].calls]
    assert options == [(0.0, None), (0.9, 11)]


def test_concurrent_retries_send_every_rerun_at_once_and_keep_the_sequential_answer():
    sequential, _ = checked(
        [RIGHT] * 4, [GROUND_WRONG, GROUND_RIGHT, GROUND_RIGHT, GROUND_RIGHT], plan_retries=3
    )
    concurrent, models = checked(
        [RIGHT] * 4,
        [GROUND_WRONG, GROUND_RIGHT, GROUND_RIGHT, GROUND_RIGHT],
        plan_retries=3,
        concurrent_retries=True,
    )
    assert len(sequential["attempts"]) == 2 and len(concurrent["attempts"]) == 4  # every rerun ran
    assert concurrent["answer"] == sequential["answer"] == "72" and concurrent["chosen"] == 1
    seeds = sorted(call.get("seed") for call in models.by_role["planner"].calls if "seed" in call)
    assert seeds == [1, 2, 3] and concurrent["model_calls"] == 8


def test_when_no_run_agrees_the_greedy_runs_executed_answer_stands():
    state, _ = checked([RIGHT] * 3, [GROUND_WRONG] * 3)
    assert len(state["attempts"]) == 3  # the greedy run and plan_retries=2 more, then it stops
    assert state["answer"] == "24" and state["agreed"] is False  # executed, never the reasoning's 72


def test_the_majority_fallback_keeps_the_commonest_executed_answer_when_no_run_agrees():
    wrong_sum = protocol.render_reasoning("48 / 2 = 24, so 48 + 24 = 70. The answer is 70.", PLAN)
    grounded = [GROUND_WRONG, GROUND_RIGHT, GROUND_RIGHT]
    state, _ = checked([wrong_sum] * 3, grounded, crosscheck_fallback="majority")
    assert [a["answer"] for a in state["attempts"]] == ["24", "72", "72"]
    assert state["answer"] == "72" and state["agreed"] is False and state["chosen"] == 1
    state, _ = checked([wrong_sum] * 3, grounded)  # the default keeps the greedy run
    assert state["answer"] == "24" and state["chosen"] == 0


def test_the_majority_fallback_breaks_ties_towards_the_greedy_run():
    wrong_sum = protocol.render_reasoning("48 / 2 = 24, so 48 + 24 = 70. The answer is 70.", PLAN)
    state, _ = checked(
        [wrong_sum] * 2, [GROUND_WRONG, GROUND_RIGHT], plan_retries=1, crosscheck_fallback="majority"
    )
    assert state["answer"] == "24" and state["chosen"] == 0


GROUND_DOUBLED = "R1 = Calculator(48 * 2); R2 = Calculator(48 + R1)"  # misreads "half": 144


def test_the_reasoning_fallback_answers_with_the_reasoning_when_the_runs_scatter():
    grounded = [GROUND_WRONG, GROUND_DOUBLED, GROUND_WRONG]
    state, _ = checked([RIGHT] * 3, grounded, crosscheck_fallback="reasoning")
    assert [a["answer"] for a in state["attempts"]] == ["24", "144", "24"]
    assert state["answer"] == "72" and state["answer_source"] == "reasoning"
    assert state["agreed"] is False and state["chosen"] == 0  # the greedy run's trace is kept
    assert state["actions"][-1]["observation"] == "24"


def test_the_reasoning_fallback_keeps_an_answer_every_run_executed():
    # three groundings execute 72 and the sketch added wrongly (70): the calculator's 72 stands
    wrong_sum = protocol.render_reasoning("48 / 2 = 24, so 48 + 24 = 70. The answer is 70.", PLAN)
    state, _ = checked([wrong_sum] * 3, [GROUND_RIGHT] * 3, crosscheck_fallback="reasoning")
    assert state["answer"] == "72" and state["answer_source"] == "execution" and state["agreed"] is False


def test_the_reasoning_fallback_without_a_stated_answer_keeps_the_greedy_run():
    unstated = protocol.render_reasoning("May: 48 / 2 = 24, then add the two months.", PLAN)
    grounded = [GROUND_WRONG, GROUND_DOUBLED, GROUND_RIGHT]
    state, _ = checked([unstated] * 3, grounded, crosscheck_fallback="reasoning")
    assert state["answer"] == "24" and state["answer_source"] == "execution"


def test_the_answer_is_an_executed_one_under_the_greedy_fallback():
    # the reasoning states 70, the plan executes to 72: they never agree, and 70 is never answered
    wrong_sum = protocol.render_reasoning("48 / 2 = 24, so 48 + 24 = 70. The answer is 70.", PLAN)
    state, _ = checked([wrong_sum] * 2, [GROUND_RIGHT] * 2, plan_retries=1)
    assert state["answer"] == "72" and state["agreed"] is False and len(state["attempts"]) == 2


def test_a_failing_run_is_rerun():
    state, _ = checked([RIGHT, RIGHT], ["this is not an action", GROUND_RIGHT])
    assert state["attempts"][0]["answer"] is None and state["attempts"][0]["error"]
    assert state["answer"] == "72" and state["agreed"] is True


SOLUTION = "In May she sold 48 / 2 = 24 clips.\nIn all she sold 48 + 24 = 72 clips.\nThe answer is 72."


def lever_context(**settings):
    """Return the wrapper context the settings are for (the CLI refuses both kinds of rerun at once)."""
    if "votes" in settings and "plan_retries" in settings:
        return options.run_of(SimpleNamespace(**settings))[1]
    return (VotingContext if "votes" in settings else CrossCheckContext)(**settings)


def checked_steps(solutions, planner_replies, grounder_replies, **context):
    models = ScriptedModels(scripted(*planner_replies), scripted(*grounder_replies))
    models.by_role[reason.ROLE] = scripted(*solutions)
    inner = onetime.build(models=models, tools=TOOLS).compile(name="lumos-onetime")
    settings = {"plan_reasoning": "steps", "plan_retries": 2} | context
    return crosscheck.compiled(inner).invoke({"task": TASK}, context=CrossCheckContext(**settings)), models


def test_keep_reasoning_reruns_only_the_plan_and_grounding_under_the_greedy_solution():
    state, models = checked_steps([SOLUTION], [PLAN, PLAN], [GROUND_WRONG, GROUND_RIGHT], keep_reasoning=True)
    assert [a["answer"] for a in state["attempts"]] == ["24", "72"]
    assert state["answer"] == "72" and state["agreed"] is True and state["reasoning"] == SOLUTION
    assert len(models.by_role[reason.ROLE].calls) == 1  # the solution was written once, greedily
    assert state["model_calls"] == 5  # reasoner, planner, grounder; then planner and grounder again
    rerun_prompt = models.by_role["planner"].prompts[1][-1].content
    assert rerun_prompt.endswith(f"Step-by-step solution: {SOLUTION}")
    options = [(call.get("temperature", 0.0), call.get("seed")) for call in models.by_role["planner"].calls]
    assert options == [(0.0, None), (0.7, 1)]


def test_without_keep_reasoning_the_reruns_write_a_new_solution():
    resampled = SOLUTION.replace("72", "70")
    state, models = checked_steps(
        [SOLUTION, resampled, SOLUTION], [PLAN] * 3, [GROUND_WRONG, GROUND_RIGHT, GROUND_RIGHT]
    )
    assert len(models.by_role[reason.ROLE].calls) == 3  # each rerun asked for a new (sampled) solution
    assert [a["state"]["reasoning"] for a in state["attempts"]] == [SOLUTION, resampled, SOLUTION]
    assert state["answer"] == "72" and state["chosen"] == 2


def test_a_reasoning_given_with_the_task_is_what_every_run_plans_under():
    models = ScriptedModels(scripted(PLAN, PLAN), scripted(GROUND_WRONG, GROUND_RIGHT))
    models.by_role[reason.ROLE] = scripted()  # never asked
    inner = onetime.build(models=models, tools=TOOLS).compile(name="lumos-onetime")
    context = CrossCheckContext(plan_reasoning="steps", plan_retries=2)
    state = crosscheck.compiled(inner).invoke({"task": TASK, "reasoning": SOLUTION}, context=context)
    assert state["answer"] == "72" and [a["answer"] for a in state["attempts"]] == ["24", "72"]
    assert all(
        p[-1].content.endswith(f"Step-by-step solution: {SOLUTION}")
        for p in models.by_role["planner"].prompts
    )
    assert models.by_role[reason.ROLE].calls == []


def test_a_given_reasoning_needs_the_steps_mode():
    models = ScriptedModels(scripted(RIGHT), scripted(GROUND_RIGHT))
    graph = onetime.build(models=models, tools=TOOLS).compile()
    state = graph.invoke({"task": TASK, "reasoning": SOLUTION}, context=Context(plan_reasoning="sketch"))
    assert state["error"] == "a given reasoning needs plan_reasoning steps (instruct profile)"
    assert models.by_role["planner"].calls == []


def test_cli_keep_reasoning_flag():
    argv = ["run", "x", "--plan-reasoning", "steps", "--plan-retries", "3", "--keep-reasoning"]
    assert options.run_of(cli.parser().parse_args(argv))[1].keep_reasoning is True
    assert options.run_of(cli.parser().parse_args(argv[:-1]))[1].keep_reasoning is False
    for name in ("majority", "reasoning"):
        fallback = options.run_of(cli.parser().parse_args([*argv, "--crosscheck-fallback", name]))[1]
        assert fallback.crosscheck_fallback == name


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"keep_reasoning": True, "plan_retries": 1, "plan_reasoning": "sketch"},
            "needs plan_reasoning steps",
        ),
        ({"keep_reasoning": True, "plan_reasoning": "steps"}, "needs plan_reasoning steps and plan_retries"),
        ({"plan_retries": 1}, "needs plan_reasoning sketch or steps"),
        (
            {"crosscheck_fallback": "best"},
            r"crosscheck_fallback: Input should be 'greedy', 'majority' or 'reasoning'",
        ),
        ({"plan_retries": 1, "plan_reasoning": "sketch", "votes": 3}, "choose one"),
        ({"plan_retries": -1}, r"plan_retries: Input should be greater than or equal to 0"),
        (
            {"plan_retries": 9, "plan_reasoning": "sketch"},
            r"plan_retries: Input should be less than or equal to 8",
        ),
    ],
)
def test_bad_settings_are_clear_errors(settings, message):
    with pytest.raises(ValueError, match=message):
        lever_context(**settings)


def test_cli_wraps_the_formulation_and_prints_each_run(capsys):
    args = cli.parser().parse_args(["run", "x", "--plan-reasoning", "sketch", "--plan-retries", "3"])
    context = options.run_of(args)[1]
    assert context.plan_retries == 3
    assert pipeline.pipeline("onetime", context).name == "lumos-onetime-crosscheck"
    assert pipeline.pipeline("onetime", Context()) is pipeline.compiled("onetime")
    models = ScriptedModels(scripted(RIGHT, RIGHT), scripted(GROUND_WRONG, GROUND_RIGHT))
    inner = onetime.build(models=models, tools=TOOLS).compile(name="lumos-onetime")
    graph = persistence.with_checkpointer(crosscheck.compiled(inner), InMemorySaver())
    context = CrossCheckContext(plan_reasoning="sketch", plan_retries=2)
    assert terminal.run(graph, context, task=TASK, thread_id="t", durable=False) == 0
    printed = capsys.readouterr().out
    assert "[attempt]  run 1 (greedy): 24" in printed and "[attempt]  run 2 (sample 1): 72" in printed
    assert "[settle]  cross-check: 72 (run 2 agrees with its reasoning)" in printed
    assert printed.rstrip().endswith("Answer: 72  (executed: R2 = Calculator(48 + R1))")


def test_the_terminal_says_which_module_answered(capsys):
    models = ScriptedModels(scripted(*[RIGHT] * 3), scripted(GROUND_WRONG, GROUND_DOUBLED, GROUND_WRONG))
    inner = onetime.build(models=models, tools=TOOLS).compile(name="lumos-onetime")
    graph = persistence.with_checkpointer(crosscheck.compiled(inner), InMemorySaver())
    context = CrossCheckContext(plan_reasoning="sketch", plan_retries=2, crosscheck_fallback="reasoning")
    assert terminal.run(graph, context, task=TASK, thread_id="t", durable=False) == 0
    printed = capsys.readouterr().out
    assert "[settle]  cross-check: 72 (the reasoning's: no run agrees with it" in printed
    assert printed.rstrip().endswith(
        "Answer: 72  (the planner's own statement: no executed answer agreed with its solution)"
    )


def test_eval_traces_record_every_runs_answer_and_the_cross_check(tmp_path):
    models = ScriptedModels(scripted(RIGHT, RIGHT), scripted(GROUND_WRONG, GROUND_RIGHT))
    graph = crosscheck.compiled(onetime.build(models=models, tools=TOOLS).compile(name="lumos-onetime"))
    context = CrossCheckContext(plan_reasoning="sketch", plan_retries=2)
    [row] = harness.run(graph, [{"id": "1", "task": TASK, "gold": "72"}], context, tmp_path / "t.jsonl")
    assert row["correct"] and row["vote_answers"] == ["24", "72"]
    assert (row["agreed"], row["chosen"], row["model_calls"]) == (True, 1, 4)
    assert row["answer_source"] == "execution"
    assert row["reasoning"].endswith("The answer is 72.")


@pytest.mark.parametrize("settings", [{"votes": 3}, {"plan_retries": 2, "plan_reasoning": "sketch"}])
def test_a_bare_formulation_graph_refuses_rerun_settings_it_cannot_honour(settings):
    # e.g. a `langgraph dev` client setting them on lumos_onetime: an error, not a silent single run
    models = ScriptedModels(scripted(RIGHT), scripted(GROUND_RIGHT))
    graph = onetime.build(models=models, tools=TOOLS).compile()
    state = graph.invoke({"task": TASK}, context=lever_context(**settings))
    assert "wrap the graph in graphs.voting or graphs.crosscheck" in state["error"]
    assert models.by_role["planner"].calls == []
