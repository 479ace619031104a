"""Sentence-level evidence: re-score retrieved chunks by their sentences, decide abstention.

Each fused chunk is split into sentence units (a short sentence joins the next one). A unit
is scored by its own embedding similarity to the question, its chunk's similarity, and the
share of the question's weighted key terms it contains. An optional second model (the
rescorer) then re-ranks the best few by its own sentence similarity, the chunk's similarity and
the same term overlap. The best units become the numbered passages the model sees and the
quotes a citation can show.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from podium.config import RetrievalSettings
from podium.qa.guard import addresses_the_model
from podium.qa.premise import unmentioned
from podium.text import quoted_phrases, says_phrase, sentences, terms
from podium.vectorstore.chroma import Hit
from podium.vectorstore.docstore import DocumentStore, StoredDocument

MIN_UNIT_WORDS = 8
OVERLAP_WEIGHT = 0.5
PART_UNITS = 2  # each part of a multi-part question keeps its best units
QUOTED = 2  # units saying the words a question quotes that come first
CONTEXT_UNITS = 2  # the best passages that run on into the sentences after them
CONTEXT_WORDS = 70
_LABEL = re.compile(r"\s*:\s*")
Vectors = list[list[float]] | np.ndarray  # one row per text
Embed = Callable[[list[str]], Vectors]
Rescore = Callable[[str, list[str]], np.ndarray]  # (question, texts) -> one similarity each


class Rerank(Protocol):
    """A reranker: the probability that each text answers the question."""

    name: str
    threshold: float  # below it, no passage answers: abstain

    def probabilities(self, question: str, passages: list[str]) -> np.ndarray:
        """One calibrated probability per passage."""
        ...


@dataclass(frozen=True)
class Passage:
    """One evidence unit (a sentence, or a few short ones) at exact offsets in its document."""

    doc_id: str
    title: str
    date: str | None
    speaker: str | None
    start: int
    end: int
    text: str
    similarity: float
    overlap: float
    sentence_similarity: float = 0.0
    content_hash: str = ""  # the document version it was cut from ("" when not known)
    probability: float | None = None  # that it answers the question (the reranker's)

    @property
    def score(self) -> float:
        """The reranker's probability that it answers; without one, sentence and chunk
        similarity plus weighted key-term overlap with the question."""
        if self.probability is not None:
            return self.probability
        return (0.5 * (self.sentence_similarity + self.similarity)
                + OVERLAP_WEIGHT * self.overlap)


@dataclass(frozen=True)
class Evidence:
    """The passages chosen for a question and the figures the abstention rule reads."""

    passages: list[Passage]
    best_similarity: float
    coverage: float
    # one unit-length embedding row per passage, for the citation checks
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32),
                                compare=False)
    # names in the question that no transcript of the passages mentions (podium.qa.premise)
    unmentioned: tuple[str, ...] = ()
    # with a reranker: the best passage's probability of answering, and the threshold below
    # which none does (retrieval.min_answer_probability)
    answer_probability: float | None = None
    answer_threshold: float = 0.0

    def should_abstain(self, settings: RetrievalSettings) -> bool:
        """True when the transcripts do not hold the answer, judged from the evidence alone:
        no passage is likely enough to answer (with a reranker and a threshold), or the best
        similarity and the key-term coverage are too low."""
        if not self.passages or self.unmentioned:
            return True
        if self.answer_probability is not None and (
                self.answer_probability < self.answer_threshold):
            return True
        if self.best_similarity < settings.min_similarity:
            return True
        return (self.best_similarity < settings.strong_similarity
                and self.coverage < settings.min_term_overlap)


@dataclass(frozen=True)
class Reranking:
    """How the reranker is used: the units it scores and how many passages to show."""

    model: Rerank
    candidates: int = 24
    confident: float = 0.8
    fewest: int = 4


def select_evidence(question: str, hits: list[Hit], docstore: DocumentStore, limit: int,
                    embed: Embed, question_embedding: list[float],
                    parts: Sequence[tuple[str, list[float]]] = (),
                    rescore: Rescore | None = None, candidates: int = 16,
                    rerank: Reranking | None = None, grouped: bool = False) -> Evidence:
    """Split the hits into sentence units, score them against the question, keep the best.
    Units that say words the question quotes come first. With parts (a multi-part question's
    parts and their embeddings), each part's best units are kept next, so that every part has
    evidence. With a reranker, the best `rerank.candidates` units are re-ranked by its
    probability of answering (blended with the key-term overlap and the chunk's similarity),
    which also sets how many are shown and whether any answers; without one, a rescorer
    re-ranks the best `candidates` the same way by its similarity. Grouped: each document's
    passages together, in the order of its best (_by_document)."""
    docs = {doc_id: docstore.get(doc_id) for doc_id in dict.fromkeys(h.doc_id for h in hits)}
    texts = {doc_id: doc.text for doc_id, doc in docs.items() if doc is not None}
    units = _units(hits, docs)
    if not units:
        return Evidence([], -1.0, 0.0)
    vectors = normalised(embed([u.text for u in units]))
    bags = [set(terms(u.text)) for u in units]
    scored, weights = _scored(question, question_embedding, units, vectors, bags)
    ranked = sorted(range(len(units)), key=lambda i: scored[i].score, reverse=True)
    probability: float | None = None
    if rerank is not None:
        ranked, scored, limit, probability = _reranked(question, ranked, scored, rerank, limit)
    elif rescore is not None:
        ranked = _rescored(question, ranked[:candidates], scored, rescore) + ranked[candidates:]
    # a sentence saying words the question quotes ('who said "…"?') is the evidence asked for
    quoted = quoted_phrases(question)
    first = [i for i in ranked if any(says_phrase(units[i].text, q) for q in quoted)][:QUOTED]
    chosen = list(first)
    if len(parts) > 1:
        for part, embedding in parts:
            by_part, _ = _scored(part, embedding, units, vectors, bags)
            order = sorted(range(len(units)), key=lambda i: by_part[i].score, reverse=True)
            chosen += [i for i in order if i not in chosen][:PART_UNITS]
        limit += len(parts)
    chosen += [i for i in ranked if i not in chosen][: limit - len(chosen)]
    position = {i: n for n, i in enumerate(ranked)}
    chosen.sort(key=lambda i: (i not in first, position[i]))
    found: set[str] = set().union(*(bags[i] for i in chosen))
    total = sum(weights.values()) or 1.0
    coverage = sum(w for t, w in weights.items() if t in found) / total if weights else 0.0
    best = max(max(h.similarity for h in hits), max(scored[i].sentence_similarity
                                                    for i in range(len(units))))
    passages, vectors = _with_context(chosen, scored, texts, vectors, embed)
    if grouped:
        passages, vectors = _by_document(passages, vectors)
    missing = unmentioned(question, (_mentions(docs[d]) for d in
                                     dict.fromkeys(p.doc_id for p in passages)))
    return Evidence(passages, best, coverage, vectors, tuple(missing), probability,
                    rerank.model.threshold if rerank else 0.0)


def _reranked(question: str, ranked: list[int], units: list[Passage], rerank: Reranking,
              limit: int) -> tuple[list[int], list[Passage], int, float]:
    """The best units re-ranked by the reranker's probability in the rescorer's blend (the
    rest after them), the units with their probabilities, how many to show (when the best
    clearly answers, those above half its probability, at least rerank.fewest; otherwise the
    limit) and the best probability. (Ordering by the probability alone showed fewer key
    facts: eval/README.md.)"""
    top = ranked[: rerank.candidates]
    probabilities = rerank.model.probabilities(question, [units[i].text for i in top])
    units = list(units)
    for i, p in zip(top, probabilities, strict=True):
        units[i] = replace(units[i], probability=float(p))
    probabilities = np.asarray(probabilities, dtype=np.float64)
    order = _blended(top, probabilities, units)
    best = float(probabilities.max()) if len(top) else 0.0
    if best >= rerank.confident:
        likely = int(np.sum(probabilities >= best / 2))
        limit = min(limit, max(rerank.fewest, likely))
    return order + ranked[len(top):], units, limit, best


def _mentions(doc: StoredDocument | None) -> str:
    """Everything a document says, for podium.qa.premise: title, speakers, metadata, text."""
    if doc is None:
        return ""
    metadata = " ".join(str(v) for v in doc.metadata.values())
    return f"{doc.title}\n{' '.join(doc.speakers)}\n{metadata}\n{doc.text}"


def _with_context(chosen: list[int], units: list[Passage], texts: dict[str, str],
                  vectors: np.ndarray, embed: Embed) -> tuple[list[Passage], np.ndarray]:
    """The chosen units; the best few run on through the sentences that follow them in the
    same turn ("three things: … Two was …"), up to CONTEXT_WORDS, unless those are chosen."""
    passages, rows = [units[i] for i in chosen], vectors[chosen].copy()
    taken = set(chosen)
    for slot, i in enumerate(chosen[:CONTEXT_UNITS]):
        p, j = passages[slot], i + 1
        while (j < len(units) and j not in taken and units[j].doc_id == p.doc_id
               and units[j].speaker == p.speaker and 0 <= units[j].start - p.end <= 3
               and len(p.text.split()) + len(units[j].text.split()) <= CONTEXT_WORDS):
            p = replace(p, end=units[j].end, text=texts[p.doc_id][p.start:units[j].end])
            taken.add(j)
            j += 1
        if p is not passages[slot]:
            passages[slot] = p
            rows[slot] = normalised(embed([p.text]))[0]
    return passages, rows


def _by_document(passages: list[Passage], rows: np.ndarray
                 ) -> tuple[list[Passage], np.ndarray]:
    """The passages of one document together (so the prompt can name each document once), the
    documents in the order of their best passage, each document's passages in rank order."""
    first = {doc_id: n for n, doc_id in reversed(list(enumerate(p.doc_id for p in passages)))}
    order = sorted(range(len(passages)), key=lambda i: first[passages[i].doc_id])
    return [passages[i] for i in order], rows[order]


def _rescored(question: str, top: list[int], units: list[Passage],
              rescore: Rescore) -> list[int]:
    """The top units re-ranked by the rescorer's similarity, the chunk's similarity (half
    weight) and the key-term overlap, each standardised over these units."""
    if len(top) < 2:
        return top
    second = np.asarray(rescore(question, [units[i].text for i in top]), dtype=np.float64)
    return _blended(top, second, units)


def _blended(top: list[int], second: np.ndarray, units: list[Passage]) -> list[int]:
    """The top units ordered by a second model's scores, the key-term overlap and the chunk's
    similarity (half weight), each standardised over these units."""
    chunk = np.array([units[i].similarity for i in top])
    overlap = np.array([units[i].overlap for i in top])
    blend = _standard(second) + _standard(overlap) + 0.5 * _standard(chunk)
    return [top[k] for k in sorted(range(len(top)), key=lambda k: -blend[k])]


def _standard(values: np.ndarray) -> np.ndarray:
    """Mean 0 and standard deviation 1 (all zeros when the values are all equal)."""
    spread = values.std()
    return (values - values.mean()) / spread if spread > 1e-9 else np.zeros_like(values)


def _scored(question: str, embedding: list[float], units: list[Passage], vectors: np.ndarray,
            bags: list[set[str]]) -> tuple[list[Passage], dict[str, float]]:
    """The units scored against one question: sentence similarity and weighted key-term
    overlap (rarer terms weigh more); and the term weights."""
    q = normalised([embedding])[0]
    overlaps, weights = term_overlaps(question, bags)
    return [replace(u, sentence_similarity=float(v @ q), overlap=overlap)
            for u, v, overlap in zip(units, vectors, overlaps, strict=True)], weights


def term_overlaps(question: str, bags: list[set[str]]) -> tuple[list[float], dict[str, float]]:
    """The weighted share of the question's key terms in each bag of terms (rarer terms
    among the bags weigh more), and the term weights."""
    q_terms = list(dict.fromkeys(terms(question)))
    doc_freq = Counter(t for bag in bags for t in set(q_terms) & bag)
    weights = {t: math.log(1 + len(bags) / (1 + doc_freq[t])) for t in q_terms}
    total = sum(weights.values()) or 1.0
    return [sum(weights[t] for t in q_terms if t in bag) / total for bag in bags], weights


def changed_since(passages: list[Passage], docstore: DocumentStore) -> set[int]:
    """1-based numbers of the passages whose document was replaced or removed since they were
    cut (an ingest running beside the page): such a passage must not be cited."""
    current = {doc_id: docstore.state(doc_id)
               for doc_id in dict.fromkeys(p.doc_id for p in passages if p.content_hash)}
    return {n for n, p in enumerate(passages, start=1)
            if p.content_hash and (current[p.doc_id] or ("",))[0] != p.content_hash}


def normalised(vectors: Vectors) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    if len(vectors) == 0:
        return np.zeros((0, 0), dtype=np.float32)
    array = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return array / np.where(norms == 0, 1.0, norms)


def _units(hits: list[Hit], docs: dict[str, StoredDocument | None]) -> list[Passage]:
    """Sentence units of every hit whose chunk still matches its stored document, except
    those that speak to the model."""
    units: list[Passage] = []
    seen: set[tuple[str, int, int]] = set()
    for hit in hits:
        doc = docs[hit.doc_id]
        if doc is None or doc.content_hash != hit.content_hash:
            continue  # stale chunk of a document being replaced: never cite it
        if doc.text[hit.start:hit.end] != hit.text:
            continue
        spans = [_unlabelled(doc.text, span, hit.speaker)
                 for span in sentences(doc.text, hit.start, hit.end)]
        for start, end in _merge_short(doc.text, spans):
            if (hit.doc_id, start, end) in seen or addresses_the_model(doc.text[start:end]):
                continue  # text that instructs the model is never evidence (podium.qa.guard)
            seen.add((hit.doc_id, start, end))
            units.append(Passage(hit.doc_id, doc.title, doc.date, hit.speaker, start, end,
                                 doc.text[start:end], hit.similarity, 0.0,
                                 content_hash=doc.content_hash))
    return units


def _unlabelled(text: str, span: tuple[int, int], speaker: str | None) -> tuple[int, int]:
    """A turn's first sentence without its "SPEAKER:" label (the passage names the speaker)."""
    start, end = span
    if speaker and text.startswith(speaker, start):
        label = _LABEL.match(text, start + len(speaker), end)
        if label and label.end() < end:
            return label.end(), end
    return span


def _merge_short(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join a short sentence to the next one in the same paragraph, so units carry meaning."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged:
            p_start, p_end = merged[-1]
            short = len(text[p_start:p_end].split()) < MIN_UNIT_WORDS
            if short and "\n\n" not in text[p_end:start]:
                merged[-1] = (p_start, end)
                continue
        merged.append((start, end))
    return merged
