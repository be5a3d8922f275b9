import json
from pathlib import Path

import pytest

from tools.corpus import Passage, passages_from_hotpot, read_jsonl_corpus, write_jsonl_corpus

HOTPOT_MINI = Path(__file__).parent / "data" / "hotpot_mini.jsonl"


def _examples() -> list[dict]:
    return [json.loads(line) for line in HOTPOT_MINI.read_text(encoding="utf-8").splitlines()]


def test_jsonl_round_trip_keeps_unicode_and_order(tmp_path):
    passages = [Passage(title="Ærø", text="An island. It is Danish."), Passage(title="B", text="")]
    path = tmp_path / "corpus.jsonl"
    write_jsonl_corpus(passages, path)
    assert read_jsonl_corpus(path) == passages
    assert "Ærø" in path.read_text(encoding="utf-8")


def test_read_skips_blank_lines_and_extra_keys(tmp_path):
    path = tmp_path / "corpus.jsonl"
    path.write_text('{"title": "A", "text": "a", "id": 7}\n\n{"title": "B", "text": "b"}\n', encoding="utf-8")
    assert read_jsonl_corpus(path) == [{"title": "A", "text": "a"}, {"title": "B", "text": "b"}]


@pytest.mark.parametrize(
    "bad",
    ['{"title": "B"}', '{"title": 3, "text": "x"}', '["B", "x"]', "{not json"],
)
def test_read_names_the_bad_line(tmp_path, bad):
    path = tmp_path / "corpus.jsonl"
    path.write_text('{"title": "A", "text": "a"}\n' + bad + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"corpus\.jsonl:2: "):
        read_jsonl_corpus(path)


def test_hotpot_union_holds_every_context_paragraph_once():
    examples = _examples()
    passages = passages_from_hotpot(HOTPOT_MINI)
    titles = [p["title"] for p in passages]
    assert len(titles) == len(set(titles))
    assert set(titles) == {title for ex in examples for title, _ in ex["context"]}
    for ex in examples:
        assert {title for title, _ in ex["supporting_facts"]} <= set(titles)


def test_hotpot_text_joins_sentences_with_their_own_spaces():
    by_title = {p["title"]: p["text"] for p in passages_from_hotpot(HOTPOT_MINI)}
    sentences = dict(_examples()[2]["context"])["Huernia"]
    assert sentences[1].startswith(" ")  # the data carries the separator itself
    assert by_title["Huernia"] == "".join(sentences)
    assert "  " not in by_title["Huernia"] and not by_title["Huernia"].startswith(" ")


def test_hotpot_dedup_keeps_the_first_occurrence(tmp_path):
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"context": [["Huernia", ["Another text."]], ["New", ["New text."]]]}) + "\n")
    once = passages_from_hotpot(HOTPOT_MINI)
    union = passages_from_hotpot(HOTPOT_MINI, other, HOTPOT_MINI)
    assert union == [*once, Passage(title="New", text="New text.")]


def test_hotpot_rejects_a_malformed_context(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"context": [["Title", "not a list"]]}) + "\n")
    with pytest.raises(ValueError, match=r"bad\.jsonl:1: 'context'"):
        passages_from_hotpot(path)
