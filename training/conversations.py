"""Turn annotated tasks into the planner's and grounder's training conversations, as Lumos lays them out.

The turns come from the same builders the agent prompts with (``nodes.prompts``, training rendering),
so a fine-tuned module sees at inference exactly the text it was trained on (the web agent's planner
feedback, which restates the subgoal, included). One piece exists only in training data and is added
here verbatim from Lumos: the training text closes each assistant turn with the EOS token
(``model/finetune.py::encode_with_messages_format``; lumos-reference §2.2). That token is the
model's own end-of-sequence token: ``</s>`` for Lumos's Llama-2 checkpoints, the base's EOS for
modules trained here (an adapter cannot add a token to its base's vocabulary).

The paper's two baselines train on the same annotated tasks: ``cot`` (the worked solution, its
calculator annotations removed, ending ``The answer is N.``) and ``integrated`` (one model writes
each subgoal and its actions together, as ``nodes/integrated.py`` prompts it).
"""

import re

from nodes import conversations, protocol
from nodes.integrated import integrated_prompt, render_integrated
from nodes.prompts import Formulation, Turn
from training.records import Conversation, Message, Module, Record

EOS = "</s>"  # Lumos's tokenizer.eos_token; models trained here close turns with their base's EOS
_CALCULATION = re.compile(r"<<[^<>]*>>")


def _messages(turns: list[Turn]) -> list[Message]:
    messages: list[Message] = []
    for role, text in turns:
        if role == "system":
            raise ValueError("Lumos training conversations have no system turn")
        messages.append(Message(role=role, content=text))
    return messages


def plan_messages(record: Record, formulation: Formulation) -> list[Message]:
    """Return the planner's training conversation for an annotated task."""
    turns = conversations.plan_conversation(
        record["task"],
        record["subgoals"],
        record["results"],
        formulation=formulation,
        rendering="train",
        stopped=True,
        family=record["domain"],
    )
    return _messages(turns)


def ground_messages(record: Record, formulation: Formulation) -> list[Message]:
    """Return the grounder's training conversation for an annotated task."""
    groundings = ["; ".join(actions) for actions in record["actions"]]
    if formulation == "onetime":
        groundings = ["; ".join(groundings)]
    turns = conversations.ground_conversation(
        record["task"],
        record["subgoals"],
        groundings,
        domain=record["domain"],
        formulation=formulation,
        rendering="train",
        results=record["results"],  # complex QA restates them in later turns
    )
    return _messages(turns)


def cot_solution(solution: str) -> str:
    """Return a GSM8K worked solution as CoT training text: no ``<<...>>``, ending ``The answer is N.``."""
    steps, _, gold = solution.partition("####")
    if not gold.strip():
        raise ValueError("the worked solution has no `#### answer`")
    lines = [line.strip() for line in _CALCULATION.sub("", steps).strip().splitlines() if line.strip()]
    return "\n".join([*lines, f"The answer is {gold.strip().replace(',', '')}."])


def cot_messages(record: Record) -> list[Message]:
    """Return the CoT baseline's training conversation: the bare task, then the worked solution."""
    if not record.get("solution"):
        raise ValueError(f"annotated task {record['id']!r} has no worked solution to train CoT on")
    return [
        Message(role="user", content=record["task"]),
        Message(role="assistant", content=cot_solution(record["solution"])),
    ]


def integrated_messages(record: Record) -> list[Message]:
    """Return the integrated baseline's training conversation: every subgoal followed by its actions."""
    steps = [
        (subgoal, [protocol.parse_action(action) for action in actions])
        for subgoal, actions in zip(record["subgoals"], record["actions"], strict=True)
    ]
    return [
        Message(role="user", content=integrated_prompt(record["task"], record["domain"])),
        Message(role="assistant", content=render_integrated(steps)),
    ]


def to_conversation(record: Record, module: Module, formulation: Formulation = "onetime") -> Conversation:
    """Return one module's training conversation for an annotated task, in the released-dataset layout.

    ``formulation`` matters to the planner and grounder only; the baselines answer in one turn.
    """
    if module == "plan":
        messages = plan_messages(record, formulation)
    elif module == "ground":
        messages = ground_messages(record, formulation)
    elif module == "cot":
        messages = cot_messages(record)
    else:
        messages = integrated_messages(record)
    return Conversation(dataset=record["domain"], id=record["id"], messages=messages)


def training_pieces(messages: list[Message], eos: str = EOS) -> list[tuple[str, bool]]:
    """Return the training text of a conversation as ``(piece, is_target)`` pieces, in order.

    Joined, the pieces are Lumos's ``encode_with_messages_format`` text; the targets are what the loss
    is computed on: each assistant turn's content, its EOS and the newline after it (the final
    newline is stripped, as Lumos strips the whole text). ``eos`` is always a piece of its own.
    """
    pieces: list[tuple[str, bool]] = []
    for message in messages:
        content = message["content"].strip()
        if message["role"] == "user":
            pieces.append(("<|user|>\n" + content + "\n", False))
        elif message["role"] == "assistant":
            pieces += [("<|assistant|>\n", False), (content, True), (eos, True), ("\n", True)]
        else:
            raise ValueError(f"unknown role {message['role']!r} in a training conversation")
    if pieces and pieces[-1] == ("\n", True):
        pieces.pop()
    return [(text, target) for text, target in pieces if text]


def training_text(messages: list[Message], eos: str = EOS) -> str:
    """Return the exact text a conversation is trained on (lumos-reference §2.2), EOS spelled ``eos``."""
    return "".join(text for text, _ in training_pieces(messages, eos))
