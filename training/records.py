"""The unified data format: annotated tasks and training conversations, read and written as JSONL.

An annotated task (:class:`Record`) is the domain-independent unit Lumos converts every dataset into:
the task, its natural-language subgoals, the grounded actions of each subgoal and each subgoal's
result. Training conversations (:class:`Conversation`) use the layout of the released Lumos datasets
(``{"dataset", "id", "messages": [{"role", "content"}, ...]}``), so files downloaded from
huggingface.co/ai2lumos and files written by ``lumos data render`` are read the same way.
"""

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal, NotRequired

from typing_extensions import TypedDict

from common.jsonl import read_jsonl
from nodes import protocol

DOMAINS = ("maths", "complex_qa", "web_agent")
Module = Literal["plan", "ground", "cot", "integrated"]
# what a training conversation teaches: Lumos's planner or grounder, or one of the paper's baselines
MODULES: tuple[Module, ...] = ("plan", "ground", "cot", "integrated")


class Record(TypedDict):
    """One annotated task in the unified format."""

    id: str
    domain: str  # "maths", "complex_qa" or "web_agent"
    task: str
    subgoals: list[str]  # descriptions, without the "Subgoal k: " head
    actions: list[list[str]]  # the grounded actions of each subgoal, e.g. ["R1 = Calculator(48 / 2)"]
    results: list[str]  # each subgoal's result: the value of its last action
    answer: NotRequired[str]  # the gold final answer, when the source has one
    solution: NotRequired[str]  # the source's worked solution, when it has one (CoT training)
    source: NotRequired[str]  # how the annotation was made, e.g. "gsm8k-steps" or "llm:<model spec>"


class Message(TypedDict):
    """One turn of a training conversation."""

    role: Literal["user", "assistant"]
    content: str


class Conversation(TypedDict):
    """One training conversation, as in the released Lumos datasets."""

    dataset: str
    id: str
    messages: list[Message]


class FormatError(ValueError):
    """A JSONL line is not a valid record or conversation; the message names the file and line."""


def check_record(record: Record) -> Record:
    """Return the record if it is consistent (one action list and one result per subgoal), else raise."""
    for key in ("id", "domain", "task", "subgoals", "actions", "results"):
        if key not in record:
            raise ValueError(f"missing field {key!r}")
    if record["domain"] not in DOMAINS:
        raise ValueError(f"unknown domain {record['domain']!r}; expected one of {', '.join(DOMAINS)}")
    if not record["task"].strip():
        raise ValueError("the task is empty")
    n = len(record["subgoals"])
    if n == 0 or len(record["actions"]) != n or len(record["results"]) != n:
        raise ValueError(
            f"{n} subgoals, {len(record['actions'])} action lists and {len(record['results'])} results: "
            "expected one action list and one result per subgoal, and at least one subgoal"
        )
    for actions in record["actions"]:
        if not actions:
            raise ValueError("a subgoal has no actions")
        for action in actions:
            protocol.parse_action(action)  # raises ParseError (a ValueError) on malformed actions
    return record


def check_conversation(conversation: Conversation) -> Conversation:
    """Return the conversation if its turns alternate user/assistant from a user turn, else raise."""
    messages = conversation.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ValueError("`messages` must be a non-empty list")
    for index, message in enumerate(messages):
        expected = "user" if index % 2 == 0 else "assistant"
        if message.get("role") != expected or not isinstance(message.get("content"), str):
            raise ValueError(f"message {index} must be a {expected} turn with string content")
    if messages[-1]["role"] != "assistant":
        raise ValueError("the last message must be an assistant turn (the training target)")
    return conversation


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        yield from read_jsonl(path)
    except ValueError as err:
        raise FormatError(str(err)) from err


def read_records(path: Path) -> Iterator[Record]:
    """Yield the annotated tasks of a JSONL file, checking each."""
    for line_no, row in _read_jsonl(path):
        try:
            yield check_record(row)  # type: ignore[arg-type]
        except ValueError as err:
            raise FormatError(f"{path}:{line_no}: not an annotated task: {err}") from err


def read_conversations(path: Path) -> Iterator[Conversation]:
    """Yield the training conversations of a JSONL file (ours or a released Lumos dataset file)."""
    for line_no, row in _read_jsonl(path):
        row.setdefault("dataset", path.stem)
        row.setdefault("id", f"{path.stem}_{line_no}")
        try:
            yield check_conversation(row)  # type: ignore[arg-type]
        except ValueError as err:
            raise FormatError(f"{path}:{line_no}: not a training conversation: {err}") from err


def write_jsonl(path: Path, rows: Iterable[Record] | Iterable[Conversation]) -> int:
    """Write rows to a JSONL file (parent folders created) and return how many were written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as sink:
        for row in rows:
            sink.write(json.dumps(row) + "\n")  # ASCII, as Lumos wrote its datasets: no raw U+2028 in a line
            count += 1
    return count
