"""Question answering: retrieve → sentence evidence → abstain or generate → check citations."""

from __future__ import annotations

import logging
import time

from podium.config import RetrievalSettings
from podium.errors import PodiumError
from podium.qa.citations import resolve_citations, says_no_answer
from podium.qa.evidence import select_evidence
from podium.qa.generate import Generator
from podium.qa.schema import Answer, Citation
from podium.qa.support import drop_unsupported
from podium.vectorstore.chroma import ChunkIndex
from podium.vectorstore.docstore import DocumentStore

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000


def abstention_text(question: str) -> str:
    """What Podium says when the transcripts do not hold the answer."""
    return ("The transcripts don't say. No passage in the indexed transcripts answers: "
            f"“{question.strip()}”")


class QAEngine:
    """Answers questions from the index with verified citations."""

    def __init__(self, *, index: ChunkIndex, docstore: DocumentStore, generator: Generator,
                 settings: RetrievalSettings, models: dict[str, str]) -> None:
        self._index = index
        self._docstore = docstore
        self._generator = generator
        self._settings = settings
        self._models = models

    def ask(self, question: str) -> Answer:
        """Answer one question; an abstention carries no citations."""
        question = question.strip()
        if not question:
            raise PodiumError("the question is empty", hint='podium ask "What did Kuleba say?"')
        if len(question) > MAX_QUESTION_CHARS:
            raise PodiumError(f"the question is {len(question):,} characters long",
                              hint=f"ask in at most {MAX_QUESTION_CHARS:,} characters")
        started = time.perf_counter()
        hits = self._index.search(question, self._settings.top_k)
        evidence = select_evidence(question, hits, self._docstore,
                                   self._settings.evidence_sentences)
        retrieved = time.perf_counter()
        text, abstained = "", evidence.should_abstain(self._settings)
        citations: list[Citation] = []
        logger.info("evidence: best similarity %.3f, coverage %.2f, abstain=%s",
                    evidence.best_similarity, evidence.coverage, abstained)
        if not abstained:
            reply = self._generator.generate(question, evidence.passages)
            grounded = drop_unsupported(reply, evidence.passages, question)
            text, citations = resolve_citations(grounded, evidence.passages, self._original_text)
            abstained = says_no_answer(reply) or not text
        generated = time.perf_counter()
        if abstained:
            text, citations = abstention_text(question), []
        return Answer(
            question=question, answer=text, abstained=abstained, citations=citations,
            timings_ms={"retrieve": _ms(started, retrieved), "generate": _ms(retrieved, generated),
                        "total": _ms(started, generated)},
            models=dict(self._models),
        )

    def _original_text(self, doc_id: str) -> str | None:
        doc = self._docstore.get(doc_id)
        return doc.text if doc else None


def _ms(a: float, b: float) -> int:
    return round((b - a) * 1000)
