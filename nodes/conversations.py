"""The conversations the planner and grounder are sent, built from the prompt strings.

A conversation is a list of ``(role, text)`` turns; the model layer renders it with the Lumos
``<|user|>``/``<|assistant|>`` template or with the model's own chat template. Where Lumos's own
scripts differ between task families (what a grounding turn restates), the builders follow the
family's script: a builder's ``domain`` is the Lumos prompt family a domain speaks
(``Domain.prompt_family``: its own name for maths and complex QA).
"""

from collections.abc import Sequence

from nodes import protocol
from nodes.context import PlanReasoning
from nodes.domain import Annotation, programs_of, reasoning_of
from nodes.prompts import (
    ANSWER_MARK,
    GROUND_FIRST,
    GROUND_NEXT,
    GROUND_ONETIME,
    GROUND_PREFIX,
    GROUND_RESULT,
    GROUND_RESULTS,
    INSTRUCT_GROUND_REASONING,
    INSTRUCT_PLAN_SOLUTION,
    NUDGE_ITERATIVE,
    NUDGE_ONETIME,
    PLAN_FEEDBACK,
    PLAN_FEEDBACK_WEB,
    PLAN_FEEDBACK_WEB_END,
    PLAN_FIRST,
    Formulation,
    Rendering,
    Turn,
)
from nodes.state import Nudge


def plan_feedback(index: int, result: str, *, rendering: Rendering) -> str:
    """Render the planner's feedback turn for an executed subgoal."""
    if rendering == "train":
        # training targets carry the bare result, without a QA result's question or the period
        result = result.rpartition(ANSWER_MARK)[2].strip().removesuffix(".")
    return PLAN_FEEDBACK.format(index=index, result=result)


def web_feedback(subgoal: str) -> str:
    """Return the web agent's planner feedback: the subgoal restated as done, as Lumos builds it."""
    done = subgoal[:1].lower() + subgoal[1:]
    return PLAN_FEEDBACK_WEB.format(done=done).strip(".").strip() + PLAN_FEEDBACK_WEB_END


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
    family: str = "",
    nudges: Sequence[Nudge] = (),
) -> list[Turn]:
    """Return the planner's turns for a task given the subgoals planned and executed so far.

    For Lumos-I the conversation alternates subgoal and execution-result turns and ends on a user
    turn, ready for the next subgoal; with ``stopped`` (exemplars) it ends with the stop line.
    ``terse`` (the instruct profile) drops the "No, I will keep planning." prefix: chat models
    tend to end their turn right after it, before writing the subgoal. A Lumos-O plan is preceded
    by its ``reasoning`` line when one is given (``--plan-reasoning sketch``); a ``solution``
    follows the task turn (``--plan-reasoning steps``). In Lumos's web family (``family``
    ``web_agent``) the feedback restates the subgoal as done instead of showing its result, except in
    the instruct profile, whose planner is shown the page each subgoal left. ``nudges``: stops fed
    back while the task was unmet (``nudge_turns``, ``onetime_plan_turns``).
    """
    first = PLAN_FIRST.format(task=task.strip())
    if solution is not None:
        first += INSTRUCT_PLAN_SOLUTION.format(solution=solution.strip())
    turns: list[Turn] = [("user", first)]
    told = {nudge["after"]: nudge for nudge in nudges}
    if formulation == "onetime":
        return turns + onetime_plan_turns(list(subgoals), reasoning, told)
    turns += nudge_turns(told.get(0))
    for index, (subgoal, result) in enumerate(zip(subgoals, results, strict=False), start=1):
        line = protocol.render_subgoal(index, subgoal) if terse else protocol.render_plan_step(index, subgoal)
        turns.append(("assistant", line))
        if family == "web_agent" and not terse:
            turns.append(("user", web_feedback(subgoal)))
        else:
            turns.append(("user", plan_feedback(index, result, rendering=rendering)))
        turns += nudge_turns(told.get(index))
    if stopped:
        turns.append(("assistant", protocol.STOP_LINE))
    return turns


def nudge_turns(nudge: Nudge | None) -> list[Turn]:
    """Return a Lumos-I stop fed back: the stop line as the planner said it, then the observation."""
    return [] if nudge is None else [("assistant", nudge["said"]), ("user", NUDGE_ITERATIVE.format(**nudge))]


def onetime_plan_turns(subgoals: list[str], reasoning: str | None, told: dict[int, Nudge]) -> list[Turn]:
    """Return a Lumos-O plan's turns: the plan, and where it ran out unfinished, the rest asked for."""
    if not subgoals:
        return []
    cut = min(told) if told else len(subgoals)
    plan = protocol.render_plan(subgoals[:cut])
    turns: list[Turn] = [
        ("assistant", plan if reasoning is None else protocol.render_reasoning(reasoning, plan))
    ]
    if told:
        turns.append(("user", NUDGE_ONETIME.format(note=told[cut]["note"], first=cut + 1)))
    if told and subgoals[cut:]:
        turns.append(("assistant", protocol.render_plan(subgoals[cut:], first=cut + 1)))
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
    prefix: str | None = None,
    latest_only: bool = False,
) -> list[Turn]:
    """Return the grounder's turns: every subgoal so far, each answered by its grounding but the last.

    ``groundings`` holds the rendered action line of each subgoal already grounded; the last
    subgoal without one is the one to ground now (all subgoals at once for Lumos-O). In complex QA,
    ``results`` (each executed subgoal's result) are restated in every later Lumos-I turn; other
    domains restate them only with ``show_results`` (an instruct-profile option, not Lumos's maths).
    A Lumos-O grounder is shown the planner's ``reasoning`` after the task when one is given.
    ``prefix`` replaces the family's Lumos grounding prefix (a domain Lumos wrote none for).
    ``latest_only`` restates only the newest result (a live page: the page the turn acts on).
    """
    prefix = GROUND_PREFIX[domain] if prefix is None else prefix
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
        elif show_results:  # every earlier result, as complex-QA training data shows them; or the newest
            first = index - 1 if latest_only else 1
            restated = ground_results(results[first - 1 : index - 1], "train", first=first)
            turns.append(("user", GROUND_NEXT.format(subgoal=shown) + restated))
        else:
            turns.append(("user", GROUND_NEXT.format(subgoal=shown)))
        if index <= len(groundings):
            turns.append(("assistant", groundings[index - 1]))
    return turns


def ground_results(results: Sequence[str], rendering: Rendering, first: int = 1) -> str:
    """Render earlier subgoals' results (numbered from ``first``) for a grounding turn.

    Lumos's eval keeps only QA results, shown by their answer; its training data shows every
    subgoal's annotated result.
    """
    text = GROUND_RESULTS
    for index, result in enumerate(results, start=first):
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
    prefix: str | None = None,
    programs: bool = False,
    latest_only: bool = False,
) -> list[Turn]:
    """Render worked examples as complete grounder conversations (for the `instruct` profile).

    With ``programs`` each example is grounded with its programs (``R1 = Code(...)``) instead.
    """
    turns: list[Turn] = []
    for ex in exemplars:
        lines = programs_of(ex) if programs else ex["actions"]
        groundings = lines if formulation == "iterative" else ["; ".join(lines)]
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
            prefix=prefix,
            latest_only=latest_only,
        )
    return turns


def mind2web_plan_turns(task: str, done: Sequence[str]) -> list[Turn]:
    """Return Lumos's teacher-forced Mind2Web planner turns: the task, then each gold step as done.

    Lumos's eval (``eval/mind2web/run_eval.py``) extends the planner prompt with the gold history
    phrased as subgoals (``done``), not with the model's own: ``Subgoal i: <step>`` and the feedback
    ``We have already <step>. Should we stop planning?``, with no "keep planning" prefix.
    """
    turns: list[Turn] = [("user", PLAN_FIRST.format(task=task.strip()))]
    for index, step in enumerate(done, start=1):
        turns.append(("assistant", protocol.render_subgoal(index, step)))
        turns.append(
            ("user", PLAN_FEEDBACK_WEB.format(done=step[:1].lower() + step[1:]) + PLAN_FEEDBACK_WEB_END)
        )
    return turns


def mind2web_ground_turns(task: str, shown: Sequence[str], groundings: Sequence[str]) -> list[Turn]:
    """Return Lumos's Mind2Web grounder turns: each planner output shown, answered by its grounding.

    ``shown`` holds each step's planner output after its "No, I will keep planning." (Lumos shows
    it as written, ``Subgoal k: ...`` included); the last one without a grounding is grounded now.
    """
    turns: list[Turn] = []
    for index, subgoal in enumerate(shown):
        if index == 0:
            prefix = GROUND_PREFIX["web_agent"]
            turns.append(("user", GROUND_FIRST.format(prefix=prefix, task=task.strip(), subgoal=subgoal)))
        else:
            turns.append(("user", GROUND_NEXT.format(subgoal=subgoal)))
        if index < len(groundings):
            turns.append(("assistant", groundings[index]))
    return turns
