"""Every prompt string of the agent, and the conversations the planner and grounder are sent.

The Lumos strings are interfaces: released checkpoints only work with them byte-exact, so each is
copied verbatim from allenai/lumos (``data/process_for_train.py``, ``eval/*/run_eval.py``) and pinned
by golden tests. A conversation is a list of ``(role, text)`` turns; the model layer renders it with
the Lumos ``<|user|>``/``<|assistant|>`` template or with the model's own chat template.
"""

from collections.abc import Sequence
from typing import Literal

from nodes import protocol
from nodes.context import Context, PlanReasoning, domain_of
from nodes.exemplars import Annotation
from nodes.state import LumosState

Role = Literal["system", "user", "assistant"]
Turn = tuple[Role, str]
Formulation = Literal["iterative", "onetime"]
Rendering = Literal["eval", "train"]

# verbatim: lumos data/process_for_train.py, eval/*/run_eval.py
PLAN_PREFIX = "Please provide a reasonable subgoal-based plan to solve the given task.\n"
PLAN_FIRST = PLAN_PREFIX + "Task: {task}; Initial Environment Description: None."
PLAN_FEEDBACK = "The executed result for Subgoal {index} is {result}. Should we stop planning?"

GROUND_PREFIX_COMPLEX_QA = "Please ground the given subgoal to corresponding executable actions for solving the given task. The grounded actions must be the one in available action list.\n\nThe available action list is 'KnowledgeQuery', 'ParagraphRetrieve', 'QA', 'Calculator', and 'Code'.\nCalculator(formula): Calculate the input formula; KnowledgeQuery(query): Capture the relevant webpages according to the query; ParagraphRetrieve(context, query): Given a query, retrieve the most relevant paragraphs from the given context; QA(context, query): Given context, answer the given query; Calculator(formula): Calculate the input formula; Code(pseudo_code): Generate a Python function that corresponds to the pseudo code.\n\n"  # noqa: E501

GROUND_PREFIX_MATHS = "Please ground the given subgoal to corresponding executable actions for solving the given task. The grounded actions must be the one in available action list.\n\nThe available action list is 'Calculator', 'SetEquation', 'SolveEquation', 'Count', 'SolveInequality', 'Code', and 'Define'.\nCalculator(formula): Calculate the input formula; SetEquation(equation): Set up an equation to be solved; SolveEquation(equation): Solve the previous set equation; Count(list): Count the number of elements in the given list; SolveInequality(inequality): Solve the previous set inequality; Code(pseudo_code): Generate a Python function that corresponds to the pseudo code; Define(variable/number): Define a variable or a number for latter usage.\n\n"  # noqa: E501

GROUND_PREFIX_WEB_AGENT = "Please ground the given subgoal to corresponding executable actions for solving the given task. The grounded actions must be the one in available action list.\n\nThe available action list is 'CLICK', 'TYPE', 'SELECT'.\nCLICK(Env, Query): Click the relevant html region in Env according to Query; TYPE(Env, Query, Text): Type Text into the relevant html region in Env according to Query; SELECT(Env, Query, Text): Select the value Text of the relevant selection box in Env according to Query.\n\n"  # noqa: E501

GROUND_PREFIX = {
    "maths": GROUND_PREFIX_MATHS,
    "complex_qa": GROUND_PREFIX_COMPLEX_QA,
    "web_agent": GROUND_PREFIX_WEB_AGENT,
}

GROUND_FIRST = "{prefix}Task: {task} \nSubgoal to be grounded: {subgoal}"  # note the space before \n
GROUND_NEXT = "Subgoal to be grounded: {subgoal}"
GROUND_ONETIME = "{prefix}Task: {task} \nSubgoals to be grounded: {subgoals}"
# complex QA only: later grounding turns carry the earlier subgoals' results
GROUND_RESULTS = " The grounding could be based on the following results:"
GROUND_RESULT = " The execution result for Subgoal {index} is {result}"
ANSWER_MARK = "Answer: "  # QA results read "Question: ...; Answer: ..."

# The `instruct` profile: general chat models see the same Lumos turns, after a short system
# message and worked examples in the Lumos format (zero-shot Lumos prompts only work for
# checkpoints fine-tuned on them).
INSTRUCT_PLAN_SYSTEM = (
    "You are the planning module of a modular problem-solving agent. Break the task into short, "
    "high-level subgoals written in natural language; another module turns each subgoal into "
    "executable actions. Follow the format of the examples exactly and answer with a single line."
)
INSTRUCT_PLAN_SYSTEM_ITERATIVE = (
    " Write one subgoal per turn as `Subgoal k: ...`. After each subgoal you are told its executed "
    f"result; when the results answer the task, reply exactly `{protocol.STOP_LINE}`"
)
INSTRUCT_PLAN_SYSTEM_ONETIME = (
    " Write the whole plan on one line: `Subgoal 1: ...; Subgoal 2: ...`. The last subgoal must "
    "compute the final answer."
)
INSTRUCT_PLAN_SYSTEM_SKETCH = (  # --plan-reasoning sketch
    f" Before the plan, write `{protocol.REASONING}` and a short worked solution on one line, with the "
    "task's numbers, that ends with `The answer is N.`; then write the plan on the next line."
)
INSTRUCT_PLAN_SYSTEM_STEPS = (  # --plan-reasoning steps
    " The task comes with a step-by-step solution, which may contain mistakes; write the plan that "
    "follows its steps."
)
INSTRUCT_PLAN_SYSTEM_REASONING: dict[PlanReasoning, str] = {
    "off": "",
    "sketch": INSTRUCT_PLAN_SYSTEM_SKETCH,
    "steps": INSTRUCT_PLAN_SYSTEM_STEPS,
}
INSTRUCT_PLAN_SOLUTION = "\nStep-by-step solution: {solution}"  # after the task turn, --plan-reasoning steps
INSTRUCT_GROUND_REASONING = "\nThe planner's reasoning: {reasoning}"  # after the task, --plan-reasoning
INSTRUCT_GROUND_SYSTEM = (
    "You are the grounding module of a modular problem-solving agent. Translate subgoals into "
    "executable actions from the available action list, written as `R1 = Action(arguments)` and "
    "separated by `; `. Number results R1, R2, ... across the whole task and refer to earlier "
    "results by their variables; take the numbers from the task text. Follow the format of the "
    "examples exactly and answer with a single line."
)


def plan_feedback(index: int, result: str, *, rendering: Rendering) -> str:
    """Render the planner's feedback turn for an executed subgoal."""
    if rendering == "train":
        # training targets carry the bare result, without a QA result's question or the period
        result = result.rpartition(ANSWER_MARK)[2].strip().removesuffix(".")
    return PLAN_FEEDBACK.format(index=index, result=result)


def plan_conversation(
    task: str,
    subgoals: Sequence[str],
    results: Sequence[str],
    *,
    formulation: Formulation,
    rendering: Rendering,
    stopped: bool = False,
    terse: bool = False,
    reasoning: str | None = None,
    solution: str | None = None,
) -> list[Turn]:
    """Return the planner's turns for a task given the subgoals planned and executed so far.

    For Lumos-I the conversation alternates subgoal and execution-result turns and ends on a user
    turn, ready for the next subgoal; with ``stopped`` (exemplars) it ends with the stop line.
    ``terse`` (the instruct profile) drops the "No, I will keep planning." prefix: chat models
    tend to end their turn right after it, before writing the subgoal. A Lumos-O plan is preceded
    by its ``reasoning`` line when one is given (``--plan-reasoning sketch``); a ``solution``
    follows the task turn (``--plan-reasoning steps``).
    """
    first = PLAN_FIRST.format(task=task.strip())
    if solution is not None:
        first += INSTRUCT_PLAN_SOLUTION.format(solution=solution.strip())
    turns: list[Turn] = [("user", first)]
    if formulation == "onetime":
        if subgoals:
            plan = protocol.render_plan(list(subgoals))
            if reasoning is not None:
                plan = protocol.render_reasoning(reasoning, plan)
            turns.append(("assistant", plan))
        return turns
    for index, (subgoal, result) in enumerate(zip(subgoals, results, strict=False), start=1):
        line = protocol.render_subgoal(index, subgoal) if terse else protocol.render_plan_step(index, subgoal)
        turns.append(("assistant", line))
        turns.append(("user", plan_feedback(index, result, rendering=rendering)))
    if stopped:
        turns.append(("assistant", protocol.STOP_LINE))
    return turns


def ground_conversation(
    task: str,
    subgoals: Sequence[str],
    groundings: Sequence[str],
    *,
    domain: str,
    formulation: Formulation,
    rendering: Rendering,
    terse: bool = False,
    results: Sequence[str] = (),
    show_results: bool = False,
    reasoning: str | None = None,
) -> list[Turn]:
    """Return the grounder's turns: every subgoal so far, each answered by its grounding but the last.

    ``groundings`` holds the rendered action line of each subgoal already grounded; the last
    subgoal without one is the one to ground now (all subgoals at once for Lumos-O). In complex QA,
    ``results`` (each executed subgoal's result) are restated in every later Lumos-I turn; other
    domains restate them only with ``show_results`` (an instruct-profile option, not Lumos's maths).
    A Lumos-O grounder is shown the planner's ``reasoning`` after the task when one is given.
    """
    prefix = GROUND_PREFIX[domain]
    if formulation == "onetime":
        plan = protocol.render_plan(list(subgoals))
        shown_task = task.strip()
        if reasoning is not None:
            shown_task += INSTRUCT_GROUND_REASONING.format(reasoning=reasoning)
        turns: list[Turn] = [("user", GROUND_ONETIME.format(prefix=prefix, task=shown_task, subgoals=plan))]
        return turns + [("assistant", line) for line in groundings[:1]]
    turns = []
    for index, subgoal in enumerate(subgoals, start=1):
        if rendering == "eval" and domain == "maths" and not terse:
            # Lumos's maths eval re-sends the planner's raw line, "No, I will keep planning." included
            shown = protocol.render_plan_step(index, subgoal)
        else:
            shown = protocol.render_subgoal(index, subgoal)
        if index == 1:
            turns.append(("user", GROUND_FIRST.format(prefix=prefix, task=task.strip(), subgoal=shown)))
        elif domain == "complex_qa":
            turns.append(
                ("user", GROUND_NEXT.format(subgoal=shown) + ground_results(results[: index - 1], rendering))
            )
        elif show_results:  # every earlier result, as complex-QA training data shows them
            turns.append(
                ("user", GROUND_NEXT.format(subgoal=shown) + ground_results(results[: index - 1], "train"))
            )
        else:
            turns.append(("user", GROUND_NEXT.format(subgoal=shown)))
        if index <= len(groundings):
            turns.append(("assistant", groundings[index - 1]))
    return turns


def ground_results(results: Sequence[str], rendering: Rendering) -> str:
    """Render the earlier subgoals' results for a complex-QA grounding turn.

    Lumos's eval keeps only QA results, shown by their answer; its training data shows every
    subgoal's annotated result.
    """
    text = GROUND_RESULTS
    for index, result in enumerate(results, start=1):
        if rendering == "train":
            text += GROUND_RESULT.format(index=index, result=result.rpartition(ANSWER_MARK)[2].strip())
        elif ANSWER_MARK in result:
            text += GROUND_RESULT.format(index=index, result=result.split(ANSWER_MARK)[1])
    return text


def exemplar_plan_turns(
    exemplars: Sequence[Annotation],
    *,
    formulation: Formulation,
    rendering: Rendering,
    terse: bool = False,
    reasoning: PlanReasoning = "off",
) -> list[Turn]:
    """Render worked examples as complete planner conversations (for the `instruct` profile).

    With ``reasoning`` each example shows its reasoning line: before its plan (``sketch``) or as
    the solution under its task (``steps``).
    """
    turns: list[Turn] = []
    for ex in exemplars:
        turns += plan_conversation(
            ex["task"],
            ex["subgoals"],
            ex["results"],
            formulation=formulation,
            rendering=rendering,
            stopped=True,
            terse=terse,
            reasoning=reasoning_of(ex) if reasoning == "sketch" else None,
            solution=reasoning_of(ex) if reasoning == "steps" else None,
        )
    return turns


def exemplar_ground_turns(
    exemplars: Sequence[Annotation],
    *,
    domain: str,
    formulation: Formulation,
    rendering: Rendering,
    terse: bool = False,
    show_results: bool = False,
    reasoning: bool = False,
) -> list[Turn]:
    """Render worked examples as complete grounder conversations (for the `instruct` profile)."""
    turns: list[Turn] = []
    for ex in exemplars:
        groundings = ex["actions"] if formulation == "iterative" else ["; ".join(ex["actions"])]
        turns += ground_conversation(
            ex["task"],
            ex["subgoals"],
            groundings,
            domain=domain,
            formulation=formulation,
            rendering=rendering,
            terse=terse,
            results=ex["results"],
            show_results=show_results,
            reasoning=reasoning_of(ex) if reasoning else None,
        )
    return turns


def reasoning_of(exemplar: Annotation) -> str:
    """Return a worked example's reasoning line, or raise ValueError when it has none."""
    if not exemplar.get("reasoning"):
        raise ValueError(f"the worked example {exemplar['task'][:60]!r}... has no reasoning line")
    return exemplar["reasoning"]


Style = Literal["cot", "direct"]
Kind = Literal["maths", "qa", "yes_no"]

# The baselines (nodes/baseline.py, and the planner's `steps` reasoning): Lumos's baselines send the
# bare question as the user turn; instruct models are also told the answer format.
INSTRUCT_COT = (
    "Solve the problem step by step. End your reply with `The answer is N.` where N is the final number."
)
INSTRUCT_DIRECT = "Reply with the final answer only: a single number, no words and no working."
INSTRUCT_COT_QA = (
    "Answer the question step by step. End your reply with `So the answer is X.` where X is one brief "
    "entity: a name, a date, a number or yes/no."
)
INSTRUCT_DIRECT_QA = "Reply with the answer only: one brief entity, no explanation."
INSTRUCT_COT_YES_NO = (
    "Answer the question step by step. End your reply with `So the answer is yes.` or `So the answer is no.`"
)
INSTRUCT_DIRECT_YES_NO = "Reply with yes or no only."
INSTRUCT: dict[tuple[Style, Kind], str] = {
    ("cot", "maths"): INSTRUCT_COT,
    ("direct", "maths"): INSTRUCT_DIRECT,
    ("cot", "qa"): INSTRUCT_COT_QA,
    ("direct", "qa"): INSTRUCT_DIRECT_QA,
    ("cot", "yes_no"): INSTRUCT_COT_YES_NO,
    ("direct", "yes_no"): INSTRUCT_DIRECT_YES_NO,
}


def answer_kind(state: LumosState, context: Context) -> Kind:
    """Return what the answer is: a number (maths), yes/no (StrategyQA) or a brief entity."""
    if domain_of(state, context) == "maths":
        return "maths"
    return "yes_no" if getattr(context, "yes_no", False) else "qa"
