"""KnowledgeQuery backends: Wikipedia and web through mocked transports, the real offline failure, local."""

import json
import time
from pathlib import Path

import httpx
import pytest

from cli import main
from tools import knowledge
from tools.errors import ToolError
from tools.knowledge import WebKnowledge, WikipediaKnowledge, knowledge_backend, open_index

HOTPOT_MINI = Path(__file__).parent / "data" / "hotpot_mini.jsonl"


def article(n_sentences: int, topic: str) -> str:
    return " ".join(f"{topic} fact number {i} is here." for i in range(n_sentences))


PAGES = {
    "Julius Caesar": {"title": "Julius Caesar", "extract": "== Life ==\n" + article(60, "Caesar")},
    "Mercury": {
        "title": "Mercury",
        "pageprops": {"disambiguation": ""},
        "links": [{"title": "Mercury (planet)"}, {"title": "Mercury (element)"}],
    },
    "Mercury (planet)": {"title": "Mercury (planet)", "extract": article(30, "Planet")},
    "Mercury (element)": {"title": "Mercury (element)", "extract": article(30, "Element")},
    "Caesar salad": {"title": "Caesar salad", "extract": article(20, "Salad")},
}


def wikipedia_handler(request: httpx.Request) -> httpx.Response:
    params = request.url.params
    assert request.url.host == "en.wikipedia.org" and params["format"] == "json"
    if params.get("list") == "search":
        hits = (
            [{"title": "Caesar salad"}, {"title": "Julius Caesar"}] if "salad" in params["srsearch"] else []
        )
        return httpx.Response(200, json={"query": {"search": hits}})
    title = params["titles"]
    page = PAGES.get(title, {"title": title, "missing": True})
    return httpx.Response(200, json={"query": {"pages": [page]}})


def wikipedia() -> WikipediaKnowledge:
    return WikipediaKnowledge(httpx.Client(transport=httpx.MockTransport(wikipedia_handler)))


def test_wikipedia_article_keeps_its_first_40_sentences_without_headings():
    lines = wikipedia()("Julius Caesar")
    assert len(lines) == 40
    assert lines[0] == "Julius Caesar *** Caesar fact number 0 is here."
    assert lines[-1] == "Julius Caesar *** Caesar fact number 39 is here."


def test_wikipedia_disambiguation_page_fans_out_15_sentences_per_link():
    lines = wikipedia()("Mercury")
    assert len(lines) == 30
    assert lines[0].startswith("Mercury (planet) *** ") and lines[15].startswith("Mercury (element) *** ")


def test_wikipedia_without_an_article_follows_the_search_results():
    lines = wikipedia()("caesar salad recipe")
    assert [line.split(" *** ")[0] for line in lines] == ["Caesar salad"] * 15 + ["Julius Caesar"] * 15


def test_wikipedia_with_no_result_and_bad_responses_raise_tool_errors():
    with pytest.raises(ToolError, match="found nothing"):
        wikipedia()("zzzz nothing")
    broken = WikipediaKnowledge(httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(503))))
    with pytest.raises(ToolError, match="bad response"):
        broken("Julius Caesar")


def test_wikipedia_offline_fails_fast_with_a_way_out(monkeypatch):
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Name or service not known", request=request)

    offline = WikipediaKnowledge(httpx.Client(transport=httpx.MockTransport(unreachable)))
    with pytest.raises(ToolError, match=r"cannot reach Wikipedia.*lumos corpus build"):
        offline("Julius Caesar")


def test_wikipedia_real_network_failure_is_a_clear_error_not_a_hang():
    """This sandbox has no internet: the real client must fail fast with the hint (skip if online)."""
    start = time.perf_counter()
    try:
        WikipediaKnowledge(timeout=5)("Julius Caesar")
    except ToolError as err:
        assert "--corpus" in str(err)
    else:
        pytest.skip("Wikipedia is reachable from this machine")
    assert time.perf_counter() - start < 30


class FakeDDGS:
    def __init__(self, timeout: int):
        self.timeout = timeout

    def text(self, query: str, max_results: int):
        return [
            {
                "title": "Hit one",
                "href": "https://a",
                "body": "First snippet about it. Second sentence here.",
            },
            {"title": "Hit two", "href": "https://b", "body": "Another snippet text here."},
        ][:max_results]


def test_web_backend_turns_search_hits_into_sentences(monkeypatch):
    import ddgs

    monkeypatch.setattr(ddgs, "DDGS", FakeDDGS)
    assert WebKnowledge()("anything") == [
        "Hit one *** First snippet about it.",
        "Hit one *** Second sentence here.",
        "Hit two *** Another snippet text here.",
    ]


def test_web_backend_real_offline_failure_is_a_tool_error():
    start = time.perf_counter()
    try:
        WebKnowledge(timeout=5)("Julius Caesar")
    except ToolError as err:
        assert "KnowledgeQuery(web) search failed" in str(err) and "--corpus" in str(err)
    else:
        pytest.skip("the web search is reachable from this machine")
    assert time.perf_counter() - start < 60


def test_local_backend_indexes_a_jsonl_corpus_once_and_caches_it(tmp_path, monkeypatch):
    monkeypatch.setenv("LUMOS_CACHE_DIR", str(tmp_path / "cache" / "models"))
    monkeypatch.setattr(knowledge, "_INDEXES", {})
    corpus = tmp_path / "corpus.jsonl"
    records = [
        {
            "title": "Alex Ferguson",
            "text": "Sir Alex Ferguson is a Scottish manager. He managed Manchester United.",
        },
        {"title": "Gardening", "text": "Tomatoes need sun."},
    ]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records))
    lines = knowledge_backend("auto", str(corpus))("Alex Ferguson manager")
    assert lines == [
        "Alex Ferguson *** Sir Alex Ferguson is a Scottish manager.",
        "Alex Ferguson *** He managed Manchester United.",
    ]
    assert list((tmp_path / "cache" / "indexes").iterdir()), "the index was cached on disk"


def test_corpus_build_command_round_trips_through_the_local_backend(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(knowledge, "_INDEXES", {})
    out = tmp_path / "index"
    assert main(["corpus", "build", "--hotpot", str(HOTPOT_MINI), "--out", str(out)]) == 0
    assert "passages indexed" in capsys.readouterr().out
    lines = open_index(str(out)).search("Alex Ferguson", k=1)
    assert lines and lines[0]["title"] == "Alex Ferguson"


def test_backend_choice_and_misconfiguration(tmp_path):
    assert isinstance(knowledge_backend("auto", None), WikipediaKnowledge)
    assert isinstance(knowledge_backend("web", None), WebKnowledge)
    with pytest.raises(ValueError, match="needs a corpus"):
        knowledge_backend("local", None)
    with pytest.raises(FileNotFoundError, match="lumos corpus build"):
        knowledge_backend("local", str(tmp_path / "missing.jsonl"))
    with pytest.raises(ValueError, match="unknown knowledge backend"):
        knowledge_backend("google", None)
