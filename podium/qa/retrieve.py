"""Hybrid retrieval: vector search and keyword (FTS5 BM25) search, fused by reciprocal rank.

Names, dates and numbers that an embedding blurs ("Kuleba", "3 April 2024", "500 days") are
found by the keyword index; paraphrases are found by the vectors. Every fused chunk carries
its cosine similarity to the question, looked up in Chroma for chunks only the keywords found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np

from podium.config import RetrievalSettings
from podium.embedcache import EmbeddingCache
from podium.errors import PodiumError
from podium.qa.dates import named_period
from podium.text import STOPWORDS, lone_surrogate, quoted_phrases, shorten
from podium.vectorstore.chroma import ChunkIndex, Hit
from podium.vectorstore.docstore import ChunkRef, DocumentStore, Scope

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TOKEN = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True)
class Filters:
    """Restrict answers to some transcripts: speaker (part of the label), ISO dates, documents."""

    speaker: str | None = None
    after: str | None = None
    before: str | None = None
    docs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("after", "before"):
            value = getattr(self, name)
            if value is not None and not _is_date(value):
                raise PodiumError(f"--{name} {shorten(repr(value), 40)} is not a date",
                                  hint="write dates as YYYY-MM-DD, e.g. --after 2023-01-01")
        for name, text in (("speaker", self.speaker or ""), *(("doc", d) for d in self.docs)):
            if lone_surrogate(text) is not None:
                raise PodiumError(f"--{name} {shorten(repr(text), 40)} is not valid text "
                                  "(bytes that are not UTF-8)",
                                  hint="retype it, or set the terminal to UTF-8")

    @property
    def active(self) -> bool:
        """True when any filter is set."""
        return bool(self.speaker or self.after or self.before or self.docs)

    def describe(self) -> str:
        """The filters in words, for messages."""
        parts = []
        if self.speaker:
            parts.append(f"speaker {self.speaker}")
        if self.after:
            parts.append(f"on or after {self.after}")
        if self.before:
            parts.append(f"on or before {self.before}")
        if self.docs:
            parts.append("document " + " or ".join(self.docs))
        return ", ".join(parts) or "no filters"


def _is_date(value: str) -> bool:
    """True for a real calendar date written YYYY-MM-DD (2024-13-45 is not one)."""
    if not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Retrieval:
    """The fused chunks for a question, and the question's embedding."""

    hits: list[Hit]
    embedding: list[float]
    scope: Scope | None


def keyword_terms(question: str) -> list[str]:
    """What the keyword search matches: the words a question quotes, each as one phrase (the
    rarest of strings, so the search keeps it); then its words worth matching: no stopwords,
    no lone letters."""
    words = (w.lower() for w in _TOKEN.findall(question))
    return [*quoted_phrases(question),
            *(w for w in dict.fromkeys(words)
              if w not in STOPWORDS and (len(w) > 1 or w.isdigit()))]


class HybridRetriever:
    """Vector + keyword retrieval over one index, fused by reciprocal rank."""

    def __init__(self, index: ChunkIndex, docstore: DocumentStore,
                 settings: RetrievalSettings) -> None:
        self._index = index
        self._docstore = docstore
        self._settings = settings
        self._cache = EmbeddingCache()

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embeddings of passages (for sentence-level evidence), kept for the next question."""
        return self._cache.embed(texts, self._index.embed_texts)

    def scope(self, filters: Filters | None) -> Scope | None:
        """The documents and speakers the filters allow, or None for everything."""
        if filters is None or not filters.active:
            return None
        return self._docstore.scope(speaker=filters.speaker, after=filters.after,
                                    before=filters.before, docs=filters.docs)

    def retrieve(self, question: str, filters: Filters | None = None) -> Retrieval:
        """The top_k chunks by reciprocal-rank fusion of the two searches (and of both again
        within the period the question names, with retrieval.question_dates)."""
        settings = self._settings
        scope = self.scope(filters)
        embedding = self._index.embed_query(question)
        terms = keyword_terms(question)
        dated = self._dated(question, filters)
        vectors: list[Hit] = []
        rankings: list[list[Hit] | list[ChunkRef]] = []
        for within in [scope] if dated is None else [scope, dated]:
            vector = self._index.search(embedding, settings.candidates, within)
            vectors += vector
            rankings += [vector, self._docstore.keyword_search(
                terms, settings.candidates, within, settings.keyword_max_rows)]
        fused: dict[tuple[str, str, int], float] = {}
        for ranked in rankings:
            for rank, chunk in enumerate(ranked, start=1):
                fused[chunk.key] = fused.get(chunk.key, 0.0) + 1.0 / (settings.rrf_k + rank)
        top = sorted(fused, key=lambda key: fused[key], reverse=True)[: settings.top_k]
        chunks = {c.key: c for ranked in rankings for c in ranked}
        # the turns around the best chunks: a short reply's question, a question's answer
        near = self._docstore.neighbours([chunks[k] for k in top[: settings.neighbours]], scope)
        chunks |= {c.key: c for c in near}
        top += [c.key for c in near if c.key not in top]
        by_key = {h.key: h for h in vectors}
        cosines = self._index.similarities(embedding, [k for k in top if k not in by_key])
        for key, cosine in cosines.items():
            by_key[key] = Hit.of(chunks[key], cosine)
        return Retrieval([by_key[key] for key in top if key in by_key], embedding, scope)

    def _dated(self, question: str, filters: Filters | None) -> Scope | None:
        """The transcripts of the period the question names, within the other filters; None
        when it names none, when a date filter is set, or when no transcript is of that date."""
        if not self._settings.question_dates or (filters and (filters.after or filters.before)):
            return None
        period = named_period(question)
        if period is None:
            return None
        filters = filters or Filters()
        within = self._docstore.scope(speaker=filters.speaker, after=period[0],
                                      before=period[1], docs=filters.docs)
        return None if within.empty else within
