"""KnowledgeQuery backends: a local BM25 corpus, Wikipedia's public API, or DuckDuckGo web search.

Every backend returns what Lumos's KnowledgeQuery returned: a list of ``"{title} *** {sentence}"``
strings (the first 40 sentences of the best article; 15 per page when it fans out over search
results or a disambiguation page). Online backends fail fast with a ToolError naming the way out
(a local corpus) when the network is unreachable, so an offline run records the failure instead of
hanging.
"""

import re
import threading
from pathlib import Path
from typing import Any, Protocol

import httpx

from common.paths import cache_root
from tools.errors import ToolError
from tools.retrieval import KNOWLEDGE_SENTENCES, LocalIndex, knowledge_query

FANOUT_SENTENCES = 15  # Lumos keeps 15 sentences per page when it follows search results or links
SEARCH_FANOUT = 5  # search-results page: the top 5 titles
DISAMBIGUATION_FANOUT = 10  # disambiguation page: up to 10 links
WIKIPEDIA_API = "https://en.wikipedia.org/w/api.php"
USER_AGENT = "lumos-langgraph/0.1 (https://github.com/; research agent)"
OFFLINE_HINT = "offline? build a local corpus (`lumos corpus build`) and pass --corpus PATH"

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_SECTION_HEADING = re.compile(r"^=+ .* =+$", re.M)


class Knowledge(Protocol):
    """A KnowledgeQuery backend: a query in, ``"{title} *** {sentence}"`` lines out."""

    def __call__(self, query: str) -> list[str]:
        """Return the sentences found for ``query``; raise ToolError when nothing can be found."""
        ...


def sentences_of(title: str, text: str, limit: int) -> list[str]:
    """Return the first ``limit`` sentences of ``text`` as ``"{title} *** {sentence}"`` lines."""
    text = _SECTION_HEADING.sub(" ", text)
    parts = [" ".join(p.split()) for p in _SENTENCE_END.split(text)]
    return [f"{title} *** {p}" for p in parts if len(p.split()) > 2][:limit]


class LocalKnowledge:
    """KnowledgeQuery over a BM25 index of a local ``{title, text}`` corpus (the offline default)."""

    def __init__(self, index: LocalIndex) -> None:
        self.index = index

    def __call__(self, query: str) -> list[str]:
        """Return the first 40 sentences of the best-matching passage."""
        return knowledge_query(self.index, query)


class WikipediaKnowledge:
    """KnowledgeQuery through Wikipedia's public API, following Lumos's three page cases."""

    def __init__(self, client: httpx.Client | None = None, *, timeout: float = 10.0) -> None:
        self.client = client or httpx.Client(timeout=timeout, headers={"User-Agent": USER_AGENT})

    def __call__(self, query: str) -> list[str]:
        """Return the article's first 40 sentences, or 15 per page of a search or disambiguation fan-out."""
        if not query.strip():
            raise ToolError("KnowledgeQuery needs a non-empty query")
        page = self._page(query)
        if page is None:  # no article of that title: Lumos's search-results case
            titles = self._search(query)
            if not titles:
                raise ToolError(f"KnowledgeQuery(wikipedia) found nothing for {query!r}")
            return self._fan_out(titles)
        if "disambiguation" in page.get("pageprops", {}):
            links = [link["title"] for link in page.get("links", [])][:DISAMBIGUATION_FANOUT]
            return self._fan_out(links)
        return sentences_of(page["title"], page.get("extract", ""), KNOWLEDGE_SENTENCES)

    def _fan_out(self, titles: list[str]) -> list[str]:
        found: list[str] = []
        for title in titles:
            page = self._page(title)
            if page is not None and "disambiguation" not in page.get("pageprops", {}):
                found += sentences_of(page["title"], page.get("extract", ""), FANOUT_SENTENCES)
        if not found:
            raise ToolError(f"KnowledgeQuery(wikipedia) found no readable page among {titles}")
        return found

    def _page(self, title: str) -> dict[str, Any] | None:
        data = self._get(
            action="query",
            titles=title,
            redirects=1,
            prop="extracts|pageprops|links",
            explaintext=1,
            pllimit=DISAMBIGUATION_FANOUT,
            plnamespace=0,
        )
        pages = data.get("query", {}).get("pages", [])
        page = pages[0] if pages else None
        return None if page is None or page.get("missing") or page.get("invalid") else page

    def _search(self, query: str) -> list[str]:
        data = self._get(action="query", list="search", srsearch=query, srlimit=SEARCH_FANOUT)
        return [hit["title"] for hit in data.get("query", {}).get("search", [])]

    def _get(self, **params: Any) -> dict[str, Any]:
        params |= {"format": "json", "formatversion": 2}
        try:
            response = self.client.get(WIKIPEDIA_API, params=params)
            response.raise_for_status()
            data: dict[str, Any] = response.json()
        except httpx.TransportError as err:
            raise ToolError(
                f"KnowledgeQuery(wikipedia) cannot reach Wikipedia ({err}); {OFFLINE_HINT}"
            ) from err
        except (httpx.HTTPStatusError, ValueError) as err:
            raise ToolError(f"KnowledgeQuery(wikipedia) got a bad response: {err}") from err
        return data


class WebKnowledge:
    """KnowledgeQuery through DuckDuckGo text search (``ddgs``): each hit's title and snippet."""

    def __init__(self, *, max_results: int = SEARCH_FANOUT, timeout: int = 10) -> None:
        self.max_results = max_results
        self.timeout = timeout

    def __call__(self, query: str) -> list[str]:
        """Return the sentences of the top search hits' snippets (page text where ddgs gives it)."""
        if not query.strip():
            raise ToolError("KnowledgeQuery needs a non-empty query")
        from ddgs import DDGS  # deferred: importing ddgs is slow and this backend is optional

        try:
            hits = DDGS(timeout=self.timeout).text(query, max_results=self.max_results)
        except Exception as err:  # ddgs wraps network failures in its own exception types
            raise ToolError(f"KnowledgeQuery(web) search failed ({err}); {OFFLINE_HINT}") from err
        found: list[str] = []
        for hit in hits or []:
            found += sentences_of(hit.get("title", ""), hit.get("body", ""), FANOUT_SENTENCES)
        if not found:
            raise ToolError(f"KnowledgeQuery(web) found nothing for {query!r}")
        return found[:KNOWLEDGE_SENTENCES]


_INDEXES: dict[str, LocalIndex] = {}
_INDEXES_LOCK = threading.Lock()


def index_cache_dir() -> Path:
    """Return where indexes of corpus files are cached: next to the model cache."""
    return cache_root() / "indexes"


def open_index(corpus: str) -> LocalIndex:
    """Return the BM25 index of a corpus (once per process): an index directory or a JSONL file.

    A JSONL corpus is indexed on first use and cached on disk, keyed by its content.
    """
    with _INDEXES_LOCK:
        if corpus not in _INDEXES:
            path = Path(corpus).expanduser()
            if path.is_dir():
                _INDEXES[corpus] = LocalIndex.load(path)
            elif path.is_file():
                key = str(path.resolve()).strip("/").replace("/", "_")
                _INDEXES[corpus] = LocalIndex.open_or_build(path, index_cache_dir() / key)
            else:
                raise FileNotFoundError(
                    f"corpus {corpus} does not exist (build one with `lumos corpus build`)"
                )
        return _INDEXES[corpus]


def knowledge_backend(name: str, corpus: str | None) -> Knowledge:
    """Return the KnowledgeQuery backend a run asks for; "auto" is local with a corpus, else Wikipedia."""
    if name == "auto":
        name = "local" if corpus else "wikipedia"
    if name == "local":
        if not corpus:
            raise ValueError("the local knowledge backend needs a corpus (--corpus PATH)")
        return LocalKnowledge(open_index(corpus))
    if name == "wikipedia":
        return WikipediaKnowledge()
    if name == "web":
        return WebKnowledge()
    raise ValueError(f"unknown knowledge backend {name!r}; use auto, local, wikipedia or web")
