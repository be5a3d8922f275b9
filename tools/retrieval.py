"""Offline KnowledgeQuery and ParagraphRetrieve: BM25 (bm25s) over a local passage corpus.

Lumos scraped live Wikipedia for KnowledgeQuery and ranked sentences with a DPR reader for
ParagraphRetrieve. Here both are lexical BM25 so a run needs no network and no extra model.
"""

import hashlib
import importlib.metadata
import json
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from tools.corpus import Passage, StrPath, encode_corpus, read_jsonl_corpus, write_jsonl_corpus
from tools.errors import ToolError

__all__ = ["LocalIndex", "Passage", "knowledge_query", "paragraph_retrieve", "rank"]

KNOWLEDGE_SENTENCES = 40  # Lumos keeps the first 40 sentences of an article
EVIDENCE_COUNT = 5  # Lumos returns the top 5 paragraphs
INDEX_FORMAT = 1  # bump when the tokenization or the saved layout changes, so caches rebuild
MANIFEST = "manifest.json"
CORPUS = "corpus.jsonl"
BM25_DIR = "bm25"

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class LocalIndex:
    """A BM25 index over passages (title and text), saved to and loaded from a directory."""

    def __init__(self, retriever: Any, passages: list[Passage]) -> None:
        if retriever.scores["num_docs"] != len(passages):
            documents = retriever.scores["num_docs"]
            raise ValueError(f"the index holds {documents} documents but came with {len(passages)} passages")
        self._retriever = retriever
        self.passages = passages

    @classmethod
    def build(cls, passages: list[Passage], directory: StrPath) -> "LocalIndex":
        """Index passages and save the index, the corpus and a manifest under ``directory``."""
        digest = hashlib.sha256(encode_corpus(passages)).hexdigest()
        return cls._build(list(passages), Path(directory), digest)

    @classmethod
    def load(cls, directory: StrPath) -> "LocalIndex":
        """Load an index that :meth:`build` saved.

        Raises:
            FileNotFoundError: ``directory`` holds no complete index.
        """
        directory = Path(directory)
        if _read_manifest(directory) is None:
            raise FileNotFoundError(f"{directory} holds no complete index (no readable {MANIFEST})")
        import bm25s  # scipy behind it: imported when a corpus is searched, not with the agent

        retriever = bm25s.BM25.load(str(directory / BM25_DIR), show_progress=False)
        return cls(retriever, read_jsonl_corpus(directory / CORPUS))

    @classmethod
    def open_or_build(cls, corpus_path: StrPath, cache_dir: StrPath) -> "LocalIndex":
        """Load the index cached in ``cache_dir``, rebuilding it only when the corpus file has changed."""
        cache_dir = Path(cache_dir)
        with open(corpus_path, "rb") as corpus:
            digest = hashlib.file_digest(corpus, "sha256").hexdigest()
        manifest = _read_manifest(cache_dir)
        if manifest and manifest.get("format") == INDEX_FORMAT and manifest.get("corpus_sha256") == digest:
            return cls.load(cache_dir)
        return cls._build(read_jsonl_corpus(corpus_path), cache_dir, digest)

    @classmethod
    def _build(cls, passages: list[Passage], directory: Path, digest: str) -> "LocalIndex":
        if not passages:
            raise ValueError("cannot index an empty corpus")
        tokens = _tokenize([f"{p['title']} {p['text']}" for p in passages])
        if not any(tokens):
            raise ValueError("cannot index a corpus whose passages are all empty or stopwords")
        retriever = _bm25(tokens)
        # The manifest marks a complete index: drop it first and write it last, so an interrupted
        # build is never mistaken for a valid cache.
        directory.mkdir(parents=True, exist_ok=True)
        (directory / MANIFEST).unlink(missing_ok=True)
        shutil.rmtree(directory / BM25_DIR, ignore_errors=True)
        retriever.save(str(directory / BM25_DIR), show_progress=False)
        write_jsonl_corpus(passages, directory / CORPUS)
        # bm25s's version is only recorded: the corpus and INDEX_FORMAT alone decide a rebuild
        manifest = {"format": INDEX_FORMAT, "corpus_sha256": digest, "passages": len(passages)}
        manifest["bm25s"] = importlib.metadata.version("bm25s")
        (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        return cls(retriever, passages)

    def search(self, query: str, k: int = 1) -> list[Passage]:
        """Return up to ``k`` passages that share a word with ``query``, best BM25 score first."""
        scores = _scores(self._retriever, query, len(self.passages))
        return [self.passages[i] for i in _rank(scores, k) if scores[i] > 0]


def knowledge_query(index: LocalIndex, query: str, *, sentences: int = KNOWLEDGE_SENTENCES) -> list[str]:
    """Return the first sentences of the best-matching article, each as ``"{title} *** {sentence}"``.

    Raises:
        ToolError: The query is blank or no passage shares a word with it.
    """
    if not query.strip():
        raise ToolError("KnowledgeQuery needs a non-empty query")
    found = index.search(query, k=1)
    if not found:
        raise ToolError(f"KnowledgeQuery found nothing for {query.strip()!r}")
    passage = found[0]
    parts = [part for part in _SENTENCE_END.split(passage["text"].strip()) if part]
    return [f"{passage['title']} *** {sentence}" for sentence in parts[:sentences]]


def paragraph_retrieve(candidates: list[str], query: str, *, k: int = EVIDENCE_COUNT) -> str:
    """Return the ``k`` candidates most relevant to ``query`` as ``"Evidence n: {candidate}"`` lines.

    Candidates that share no word with the query keep their original order after the ones that do,
    so fewer than ``k`` matches still yield ``min(k, len(candidates))`` evidences, as the DPR ranking did.

    Raises:
        ToolError: There are no candidates or the query is blank.
    """
    if not candidates:
        raise ToolError("ParagraphRetrieve got no paragraphs to rank")
    if not query.strip():
        raise ToolError("ParagraphRetrieve needs a non-empty query")
    best = rank(candidates, query)[:k]
    return "\n".join(f"Evidence {n}: {candidates[i]}" for n, i in enumerate(best, start=1))


def rank(texts: list[str], query: str) -> list[int]:
    """Return every text's index, most relevant to ``query`` first by BM25.

    Ties, texts that share no word with the query and a corpus without a single word (which bm25s
    cannot index) keep their order.
    """
    if not texts:
        return []
    tokens = _tokenize(texts)
    scores = _scores(_bm25(tokens), query, len(texts)) if any(tokens) else np.zeros(len(texts))
    return _rank(scores, len(texts))


class Ranker:
    """BM25 over a fixed list of texts, built once and queried many times (e.g. exemplar selection)."""

    def __init__(self, texts: list[str]) -> None:
        tokens = _tokenize(texts)
        if not any(tokens):
            raise ValueError("cannot rank texts that are all empty or stopwords")
        self._retriever = _bm25(tokens)
        self.size = len(texts)

    def top(self, query: str, k: int) -> list[int]:
        """Return the indices of the ``k`` texts most relevant to ``query`` (ties keep text order)."""
        return _rank(_scores(self._retriever, query, self.size), min(k, self.size))


def _bm25(tokens: list[list[str]]) -> Any:
    """Return a bm25s index over tokenized documents, at least one of which has a token."""
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    return retriever


def _scores(retriever: Any, query: str, documents: int) -> np.ndarray:
    """Return every document's BM25 score for ``query``; words the index never saw score nothing."""
    ids = retriever.get_tokens_ids(_tokenize([query])[0])
    if not ids:  # only stopwords or words no document has: nothing matches
        return np.zeros(documents)
    return np.asarray(retriever.get_scores_from_ids(ids))


def _rank(scores: np.ndarray, k: int) -> list[int]:
    """Return the indices of the ``k`` best scores; a stable sort keeps ties in corpus order."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return [int(i) for i in np.argsort(-scores, kind="stable")[:k]]


def _tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-case word tokens without English stopwords, as bm25s tokenizes by default."""
    import bm25s

    tokens: list[list[str]] = bm25s.tokenize(texts, stopwords="en", return_ids=False, show_progress=False)
    return tokens


def _read_manifest(directory: Path) -> dict[str, Any] | None:
    """Return the saved manifest, or None when it is missing or unreadable."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None
