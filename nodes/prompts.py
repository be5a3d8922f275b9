"""Every prompt string of the agent: Lumos's verbatim ones, and the instruct profile's own.

The Lumos strings are interfaces: released checkpoints only work with them byte-exact, so each is
copied verbatim from allenai/lumos (``data/process_for_train.py``, ``eval/*/run_eval.py``) and pinned
by golden tests. Lumos's grounding prefix differs per task family (``GROUND_PREFIX``); a domain says
which family it speaks. The conversations built from these strings are in ``nodes/conversations.py``.
"""

from typing import Literal

from nodes import protocol
from nodes.context import PlanReasoning

Role = Literal["system", "user", "assistant"]
Style = Literal["cot", "direct"]
Kind = Literal["maths", "qa", "yes_no"]  # what an answer is: a number, a brief entity, yes/no
Turn = tuple[Role, str]
Formulation = Literal["iterative", "onetime"]
Rendering = Literal["eval", "train"]

# verbatim: lumos data/process_for_train.py, eval/*/run_eval.py
PLAN_PREFIX = "Please provide a reasonable subgoal-based plan to solve the given task.\n"
PLAN_FIRST = PLAN_PREFIX + "Task: {task}; Initial Environment Description: None."
PLAN_FEEDBACK = "The executed result for Subgoal {index} is {result}. Should we stop planning?"
# the web agent's feedback restates the subgoal as done (data/process_for_train.py, collect_plan_data)
# instruct profile, a live environment: a stop while the task is unmet is answered once (Nudge)
NUDGE_ITERATIVE = "{note} Plan the next subgoal that gets it done."
NUDGE_ONETIME = "The plan ran out before the task was done. {note} Continue the plan from Subgoal {first}."
CHANGES_HEAD = "What changed: "
PLAN_FEEDBACK_WEB = "We have already {done}"
PLAN_FEEDBACK_WEB_END = ". Should we stop planning?"

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

# the integrated and step-by-step baselines (nodes/integrated.py, step.py), answer selection (select.py)
DIRECT_INSTRUCTION = (
    "Please ground the given task to the next executable actions. "
    "The grounded actions must be the one in available action list.\n\n"
)
INSTRUCT_STEP_SYSTEM = {
    "integrated": (
        "You are an agent that plans and acts one step at a time. Each turn, write the next subgoal as "
        "`Subgoal k: ...` and, on the next line, its executable actions from the available action list, "
        "written as `Rk = Action(arguments)` and separated by `; `. You are then told what the actions "
        f"left. When the task is done, reply exactly `{protocol.STOP_LINE}` Follow the examples' format."
    ),
    "direct": (
        "You are an agent that acts one step at a time, without writing a plan. Each turn, write one line "
        "of executable actions from the available action list, as `Rk = Action(arguments)` separated by "
        f"`; `. You are then told what they left. When the task is done, reply exactly `{protocol.STOP_LINE}`"
    ),
}

INTEGRATED_INSTRUCTION = (
    "Please provide a reasonable subgoal-based plan to solve the given task, and ground each subgoal "
    "to corresponding executable actions. The grounded actions must be the one in available action list.\n\n"
)
INTEGRATED_TASK = "{instruction}{catalogue}Task: {task}"
INSTRUCT_INTEGRATED_SYSTEM = (
    "You are a problem-solving agent that plans and acts in one pass. Write the plan as lines "
    "`Subgoal k: ...`, each followed by one line of executable actions from the available action list, "
    "written as `R1 = Action(arguments)` and separated by `; `. Number results R1, R2, ... across the "
    "whole task and refer to earlier results by their variables; the last action computes the final "
    "answer. Follow the format of the examples exactly."
)

SELECT_SYSTEM = (
    "You check the work of a problem-solving agent. You are given a task and the actions the agent "
    "executed, each with the value it computed. Reply with the name of the variable whose value "
    "answers the task's question, and nothing else. It is often the last one, but not when later "
    "actions only restate a given number or compute something the question does not ask for."
)
