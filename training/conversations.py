"""Turn annotated tasks into the planner's and grounder's training conversations, as Lumos lays them out.

The turns come from the same builders the agent prompts with (``nodes.prompts``, training rendering),
so a fine-tuned module sees at inference exactly the text it was trained on (the web agent's planner
feedback, which restates the subgoal, included). One piece exists only in training data and is added
here verbatim from Lumos: the training text closes each assistant turn with the EOS token
(``model/finetune.py::encode_with_messages_format``; lumos-reference §2.2).
"""

from typing import Literal

from nodes import conversations
from nodes.prompts import Formulation, Turn
from training.records import Conversation, Message, Record

Module = Literal["plan", "ground"]
EOS = "</s>"  # Lumos's tokenizer.eos_token; a single special token in every model we train


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


def to_conversation(record: Record, module: Module, formulation: Formulation) -> Conversation:
    """Return one module's training conversation for an annotated task, in the released-dataset layout."""
    build = plan_messages if module == "plan" else ground_messages
    return Conversation(dataset=record["domain"], id=record["id"], messages=build(record, formulation))


def training_pieces(messages: list[Message]) -> list[tuple[str, bool]]:
    """Return the training text of a conversation as ``(piece, is_target)`` pieces, in order.

    Joined, the pieces are Lumos's ``encode_with_messages_format`` text; the targets are what the loss
    is computed on: each assistant turn's content, its EOS and the newline after it (the final
    newline is stripped, as Lumos strips the whole text). ``EOS`` is always a piece of its own.
    """
    pieces: list[tuple[str, bool]] = []
    for message in messages:
        content = message["content"].strip()
        if message["role"] == "user":
            pieces.append(("<|user|>\n" + content + "\n", False))
        elif message["role"] == "assistant":
            pieces += [("<|assistant|>\n", False), (content, True), (EOS, True), ("\n", True)]
        else:
            raise ValueError(f"unknown role {message['role']!r} in a training conversation")
    if pieces and pieces[-1] == ("\n", True):
        pieces.pop()
    return [(text, target) for text, target in pieces if text]


def training_text(messages: list[Message]) -> str:
    """Return the exact text a conversation is trained on (lumos-reference §2.2), EOS spelled ``</s>``."""
    return "".join(text for text, _ in training_pieces(messages))
