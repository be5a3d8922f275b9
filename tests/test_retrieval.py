import json
from pathlib import Path

import bm25s
import pytest

from tools.corpus import Passage, passages_from_hotpot, write_jsonl_corpus
from tools.errors import ToolError
from tools.retrieval import LocalIndex, knowledge_query, paragraph_retrieve

HOTPOT_MINI = Path(__file__).parent / "data" / "hotpot_mini.jsonl"


@pytest.fixture(scope="module")
def hotpot_passages() -> list[Passage]:
    return passages_from_hotpot(HOTPOT_MINI)


@pytest.fixture
def index_builds(monkeypatch) -> list[int]:
    """Count the BM25 indexes built, through the library's own entry point."""
    builds: list[int] = []
    index = bm25s.BM25.index

    def counting(self, *args, **kwargs):
        builds.append(1)
        return index(self, *args, **kwargs)

    monkeypatch.setattr(bm25s.BM25, "index", counting)
    return builds


def test_build_save_load_round_trip(tmp_path, hotpot_passages):
    built = LocalIndex.build(hotpot_passages, tmp_path / "idx")
    loaded = LocalIndex.load(tmp_path / "idx")
    assert loaded.passages == hotpot_passages
    for query in ["Lee Hazlewood", "Huernia flowering plants", "Manchester United 1995–96 season"]:
        assert loaded.search(query, k=3) == built.search(query, k=3)
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert manifest["passages"] == len(hotpot_passages)
    assert len(manifest["corpus_sha256"]) == 64


@pytest.mark.parametrize("title", ["Alex Ferguson", "Dictyosperma", "Nancy Sinatra", "Kon Kan"])
def test_search_finds_the_passage_named_by_the_query(tmp_path, hotpot_passages, title):
    index = LocalIndex.build(hotpot_passages, tmp_path)
    assert index.search(title, k=1)[0]["title"] == title


def test_search_without_a_shared_word_finds_nothing(tmp_path, hotpot_passages):
    index = LocalIndex.build(hotpot_passages, tmp_path)
    assert index.search("zyxwvut qqqq", k=3) == []
    assert index.search("the of and", k=3) == []


def test_open_or_build_rebuilds_only_when_the_corpus_changes(tmp_path, hotpot_passages, index_builds):
    corpus, cache = tmp_path / "corpus.jsonl", tmp_path / "cache"
    write_jsonl_corpus(hotpot_passages, corpus)
    first = LocalIndex.open_or_build(corpus, cache)
    second = LocalIndex.open_or_build(corpus, cache)
    assert len(index_builds) == 1
    assert second.passages == first.passages

    write_jsonl_corpus([*hotpot_passages, Passage(title="Zanzibar", text="An archipelago.")], corpus)
    third = LocalIndex.open_or_build(corpus, cache)
    assert len(index_builds) == 2
    assert third.search("Zanzibar", k=1)[0]["title"] == "Zanzibar"
    assert LocalIndex.load(cache).search("Zanzibar", k=1)[0]["title"] == "Zanzibar"


def test_build_then_open_or_build_shares_the_cache(tmp_path, hotpot_passages, index_builds):
    corpus, cache = tmp_path / "corpus.jsonl", tmp_path / "cache"
    LocalIndex.build(hotpot_passages, cache)
    write_jsonl_corpus(hotpot_passages, corpus)
    LocalIndex.open_or_build(corpus, cache)
    assert len(index_builds) == 1


def test_an_interrupted_build_is_not_a_cache(tmp_path, hotpot_passages, index_builds):
    corpus, cache = tmp_path / "corpus.jsonl", tmp_path / "cache"
    write_jsonl_corpus(hotpot_passages, corpus)
    LocalIndex.open_or_build(corpus, cache)
    (cache / "manifest.json").unlink()
    with pytest.raises(FileNotFoundError, match="no complete index"):
        LocalIndex.load(cache)
    LocalIndex.open_or_build(corpus, cache)
    assert len(index_builds) == 2


def test_build_rejects_an_empty_corpus(tmp_path):
    with pytest.raises(ValueError, match="empty corpus"):
        LocalIndex.build([], tmp_path)


def test_knowledge_query_formats_the_best_article(tmp_path, hotpot_passages):
    index = LocalIndex.build(hotpot_passages, tmp_path)
    lines = knowledge_query(index, "Lee Hazlewood")
    assert lines[0].startswith("Lee Hazlewood *** Barton Lee Hazlewood")
    assert all(line.startswith("Lee Hazlewood *** ") for line in lines)
    assert all(not line.endswith(" ") and "***  " not in line for line in lines)


def test_knowledge_query_splits_sentences_and_caps_them_at_40(tmp_path):
    text = " ".join(f"Fact number {n} about Atlantis!" if n % 2 else f"Is {n} a fact?" for n in range(60))
    index = LocalIndex.build(
        [Passage(title="Atlantis", text=text), Passage(title="Other", text="x y.")], tmp_path
    )
    lines = knowledge_query(index, "Atlantis")
    assert len(lines) == 40
    assert lines[:2] == ["Atlantis *** Is 0 a fact?", "Atlantis *** Fact number 1 about Atlantis!"]
    assert len(knowledge_query(index, "Atlantis", sentences=3)) == 3


def test_knowledge_query_errors_are_tool_errors(tmp_path, hotpot_passages):
    index = LocalIndex.build(hotpot_passages, tmp_path)
    with pytest.raises(ToolError, match="KnowledgeQuery found nothing for 'qqqq zzzz'"):
        knowledge_query(index, "qqqq zzzz")
    with pytest.raises(ToolError, match="non-empty query"):
        knowledge_query(index, "  ")


CANDIDATES = [
    "Julius Caesar *** Julius Caesar was a Roman general.",
    "Julius Caesar *** He crossed the Rubicon in 49 BC.",
    "Julius Caesar *** Caesar had three children: Julia, Caesarion and Augustus by adoption.",
    "Julius Caesar *** He was assassinated on the Ides of March.",
    "Julius Caesar *** His mother was Aurelia.",
    "Julius Caesar *** He wrote commentaries on the Gallic War.",
]


def test_paragraph_retrieve_ranks_the_relevant_candidate_first():
    evidence = paragraph_retrieve(CANDIDATES, "How many children did Julius Caesar have?")
    lines = evidence.split("\n")
    assert len(lines) == 5
    assert lines[0] == f"Evidence 1: {CANDIDATES[2]}"
    assert [line.split(": ", 1)[0] for line in lines] == [f"Evidence {n}" for n in range(1, 6)]
    assert all(line.split(": ", 1)[1] in CANDIDATES for line in lines)


def test_paragraph_retrieve_handles_fewer_candidates_than_k():
    evidence = paragraph_retrieve(CANDIDATES[3:5], "Who was his mother?")
    assert evidence == f"Evidence 1: {CANDIDATES[4]}\nEvidence 2: {CANDIDATES[3]}"


def test_paragraph_retrieve_keeps_order_when_nothing_matches():
    assert (
        paragraph_retrieve(CANDIDATES, "zzzz", k=2)
        == f"Evidence 1: {CANDIDATES[0]}\nEvidence 2: {CANDIDATES[1]}"
    )
    assert paragraph_retrieve(["the", "of a"], "what is the") == "Evidence 1: the\nEvidence 2: of a"


def test_paragraph_retrieve_errors_are_tool_errors():
    with pytest.raises(ToolError, match="no paragraphs"):
        paragraph_retrieve([], "anything")
    with pytest.raises(ToolError, match="non-empty query"):
        paragraph_retrieve(CANDIDATES, " ")
