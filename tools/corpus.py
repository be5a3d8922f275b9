"""Passage corpora for the offline complex-QA tools: JSONL files and HotpotQA distractor contexts."""

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from typing_extensions import TypedDict

from common.jsonl import read_jsonl

StrPath = str | os.PathLike[str]


class Passage(TypedDict):
    """One retrievable article: its title and its whole text."""

    title: str
    text: str


def read_jsonl_corpus(path: StrPath) -> list[Passage]:
    """Read passages from a JSONL file of ``{"title": ..., "text": ...}`` records (other keys are ignored).

    Raises:
        ValueError: A line is not such a record; the message names the file and line.
    """
    passages = []
    for where, record in _records(path):
        title, text = record.get("title"), record.get("text")
        if not isinstance(title, str) or not isinstance(text, str):
            raise ValueError(f"{where}: a passage needs string 'title' and 'text' fields")
        passages.append(Passage(title=title, text=text))
    return passages


def passages_from_hotpot(*paths: StrPath) -> list[Passage]:
    """Return the context paragraphs of HotpotQA JSONL files, one passage per title, the first one winning.

    Raises:
        ValueError: A line is not a HotpotQA example; the message names the file and line.
    """
    by_title: dict[str, Passage] = {}
    for path in paths:
        for where, record in _records(path):
            for title, sentences in _hotpot_context(record, where):
                # HotpotQA sentences after the first carry their own leading space, so "" rebuilds the text.
                by_title.setdefault(title, Passage(title=title, text="".join(sentences)))
    return list(by_title.values())


def encode_corpus(passages: Iterable[Passage]) -> bytes:
    """Return the exact JSONL bytes :func:`write_jsonl_corpus` writes, one record per passage."""
    lines = (
        json.dumps({"title": p["title"], "text": p["text"]}, ensure_ascii=False) + "\n" for p in passages
    )
    return "".join(lines).encode("utf-8")


def write_jsonl_corpus(passages: Iterable[Passage], path: StrPath) -> None:
    """Write passages as a JSONL corpus that :func:`read_jsonl_corpus` reads back."""
    Path(path).write_bytes(encode_corpus(passages))


def _records(path: StrPath) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``("file:line", object)`` for each non-blank line of a JSONL file."""
    for number, record in read_jsonl(path):
        yield f"{path}:{number}", record


def _hotpot_context(record: dict[str, Any], where: str) -> list[tuple[str, list[str]]]:
    """Return an example's ``context`` as checked ``(title, sentences)`` pairs."""
    context = record.get("context")
    problem = f"{where}: 'context' must be a list of [title, [sentences]] pairs"
    if not isinstance(context, list):
        raise ValueError(problem)
    pairs = []
    for item in context:
        if not (isinstance(item, list) and len(item) == 2):
            raise ValueError(problem)
        title, sentences = item
        if not isinstance(title, str) or not isinstance(sentences, list):
            raise ValueError(problem)
        if not all(isinstance(sentence, str) for sentence in sentences):
            raise ValueError(problem)
        pairs.append((title, sentences))
    return pairs
