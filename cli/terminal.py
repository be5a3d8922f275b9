"""The terminal side of `lumos run` and `lumos history`: live steps, plan review prompts, thread history.

`lumos run` prints the graph's custom stream events (each subgoal, action and result as it happens),
optionally echoes the models' tokens (``messages`` mode) to stderr, asks the person at the terminal
for a verdict when the run pauses for review, and resumes the run with it.
"""

import re
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig
from langgraph.types import Command, Durability

from cli.history import describe
from graphs.binding import CompiledLumosGraph
from graphs.persistence import thread_config
from nodes import protocol
from nodes.context import Context
from nodes.state import LumosInput

PAUSED = 3  # exit status of a run left waiting for a review
INTERRUPTED = 130  # Ctrl-C, as a shell reports it
# Control characters (ANSI escapes among them) and lone surrogates, which model output, tool output
# or a task may hold: echoed raw they could rewrite the terminal, so they are shown escaped.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def safe(text: object) -> str:
    """Return ``text`` with control characters and lone surrogates escaped, newlines and tabs kept."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode(), str(text))


def say(text: str = "", **kwargs: Any) -> None:
    """Print one line of terminal output, escaped."""
    print(safe(text), **kwargs)


SHOWN_LINES = 24  # lines of an observation the live stream prints (a web page and its change)


def shown(text: str, width: int = 160) -> str:
    """Return an observation as the live stream prints it: its first lines indented under the action."""
    lines = [line if len(line) <= width else line[: width - 1] + "…" for line in text.splitlines() or [""]]
    more = len(lines) - SHOWN_LINES
    body = "\n".join([lines[0], *(f"          {line}" for line in lines[1:SHOWN_LINES])])
    return body + (f"\n          (+{more} more lines)" if more > 0 else "")


def show_event(event: Mapping[str, Any]) -> None:
    """Print one custom stream event (subgoal, stop, action, result); the answer is printed at the end."""
    kind = event.get("type")
    if kind == "reasoning":
        say(f"[reason]  {event['text']}")
    elif kind == "subgoal":
        say(f"[plan]    {protocol.render_subgoal(event['index'], event['subgoal'])}")
    elif kind == "stop":
        say(f"[plan]    {event['text']}")
    elif kind == "action":
        say(f"[ground]  {event['action']}")
    elif kind == "result":
        mark = "" if event["ok"] else "  (failed)"
        say(f"[execute] {event['action']} -> {shown(event['observation'])}{mark}")
    sys.stdout.flush()


def show_update(node: str, update: Any) -> None:
    """Print what an update says that no event does: a step's error, a baseline's one-pass plan."""
    if not isinstance(update, dict):
        return
    if node == "frame" and update.get("task"):  # the task over its environment, as the agent sees it
        say(f"[frame]   {shown(update['task'])}")
    if node == "integrate":  # the integrated baseline plans and grounds in one node, without events
        for index, subgoal in enumerate(update.get("subgoals", []), start=1):
            say(f"[plan]    {protocol.render_subgoal(index, subgoal)}")
    if node in ("attempt", "vote", "settle"):  # graphs/voting.py, graphs/crosscheck.py: whole runs
        for line in describe(node, update, {}):
            say(f"[{node}]  {line}")
    if update.get("error") and node != "answer":
        say(f"[{node}]  error: {update['error']}")
    sys.stdout.flush()


class TokenEcho:
    """Echo streamed model tokens to stderr, one line per model call, so the agent is seen thinking."""

    def __init__(self) -> None:
        self.current: str | None = None

    def write(self, message: BaseMessage, metadata: Mapping[str, Any]) -> None:
        """Echo one token chunk, starting a new line when another model call begins."""
        if message.id != self.current:
            self.end()
            self.current = message.id
            sys.stderr.write(f"  ({metadata.get('langgraph_node', '?')} tokens) ")
        sys.stderr.write(safe(message.text))
        sys.stderr.flush()

    def end(self) -> None:
        """Finish the current line of tokens, if any."""
        if self.current is not None:
            sys.stderr.write("\n")
            self.current = None


def stream_steps(
    graph: CompiledLumosGraph,
    payload: Any,
    config: RunnableConfig,
    context: Context,
    *,
    tokens: bool,
    durability: Durability,
) -> None:
    """Run (or resume) the graph until it ends or pauses, printing each step as it happens."""
    modes: list[Any] = ["custom", "updates", *(["messages"] if tokens else [])]
    echo = TokenEcho()
    parts: Iterator[Any] = graph.stream(
        payload, config, context=context, stream_mode=modes, durability=durability
    )
    for mode, chunk in parts:
        if mode == "messages":
            echo.write(*chunk)
            continue
        echo.end()
        if mode == "custom":
            show_event(chunk)
        else:
            for node, update in chunk.items():
                show_update(node, update)
    echo.end()


def read_lines(ask: Callable[[str], str], prompt: str) -> list[str]:
    """Read lines until an empty one."""
    lines = []
    while line := ask(prompt).strip():
        lines.append(line)
    return lines


def ask_review(request: Mapping[str, Any], ask: Callable[[str], str] = input) -> Any | None:
    """Show the plan under review and return the person's decision; None when nobody is there (EOF)."""
    if request.get("problem"):
        say(f"[review]  not a decision: {request['problem']}")
    for index, subgoal in enumerate(request["subgoals"], start=request["first"]):
        say(f"[review]  {protocol.render_subgoal(index, subgoal)}")
    try:
        while True:
            choice = ask("Approve, edit or reject? [A/e/r] ").strip().lower() or "a"
            if choice in ("a", "approve", "y", "yes"):
                return "approve"
            if choice in ("r", "reject", "n", "no"):
                return {"action": "reject", "reason": ask("Reason (optional): ").strip()}
            if choice in ("e", "edit"):
                if request["formulation"] == "iterative":
                    return {"action": "edit", "subgoals": [ask(f"Subgoal {request['first']}: ")]}
                say("Enter the plan, one subgoal per line; an empty line ends it.")
                return {"action": "edit", "subgoals": read_lines(ask, "> ")}
    except EOFError:
        return None


def answer_origin(values: Mapping[str, Any]) -> str:
    """Return where a run's answer came from: the executed action that gave it, or a model's statement."""
    answer = str(values["answer"]).strip()
    if values.get("answer_source") == "reasoning":
        return "the planner's own statement: no executed answer agreed with its solution"
    for action in reversed(values.get("actions") or []):
        seen = action["observation"].strip()
        if action["ok"] and (seen == answer or (" " in answer and answer in seen)):
            return f"executed: {protocol.render_action(action)}"
        head = action["args"].split(None, 1)[0].upper() if action["args"].strip() else ""
        if action["ok"] and not action["name"] and head in ("SELECT", "WITH"):  # SQL: the query's rows
            return f"the rows of: {protocol.render_action(action)}"
    if values.get("actions"):
        return "read from the executed actions"
    return "the model's reply: no action ran"


def show_answer(values: Mapping[str, Any]) -> int:
    """Print the run's answer and where it came from (or why there is none); return the exit status."""
    if values.get("answer") is not None:
        say(f"Answer: {values['answer']}  ({answer_origin(values)})")
        return 0
    say(f"No answer: {values.get('error')}")
    return 1


def run(
    graph: CompiledLumosGraph,
    context: Context,
    *,
    task: str,
    thread_id: str,
    durable: bool,
    tokens: bool = False,
    environment: str | None = None,
) -> int:
    """Start, resume or finish reviewing a thread's run on the terminal; return the exit status."""
    config = thread_config(thread_id, context)
    snapshot = graph.get_state(config)
    if snapshot.values and not snapshot.next:
        say(f"Thread {thread_id} has finished.")
        return show_answer(snapshot.values)
    payload: Any = LumosInput(task=task)
    if environment is not None:  # the run's first node frames the task over it (nodes/inputs.frame)
        payload |= {"environment": environment}
    if snapshot.next:
        step = (snapshot.metadata or {}).get("step", -1) + 1
        say(f"Resuming thread {thread_id} at step {step} ({', '.join(snapshot.next)}).")
        payload = None
    try:
        while True:
            if snapshot.interrupts:
                decision = ask_review(snapshot.interrupts[0].value)
                if decision is None:
                    where = f"`lumos run --thread {thread_id}` asks again" if durable else "the run is lost"
                    say(f"No reviewer on the terminal: paused for review; {where}.")
                    return PAUSED
                payload = Command(resume=decision)
            stream_steps(
                graph, payload, config, context, tokens=tokens, durability="sync" if durable else "async"
            )
            snapshot = graph.get_state(config)
            if not snapshot.interrupts:
                return show_answer(snapshot.values)
    except KeyboardInterrupt:
        resume = f" `lumos run --thread {thread_id}` resumes from the last completed step." if durable else ""
        say(f"\nInterrupted.{resume}", file=sys.stderr)
        return INTERRUPTED
