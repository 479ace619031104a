"""Question answering: condense → hybrid retrieve → sentence evidence → abstain or generate →
check every sentence and citation, streaming what passes."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from podium.config import CitationSettings, RetrievalSettings
from podium.errors import PodiumError
from podium.qa.citations import MARKER, marker_numbers, says_no_answer
from podium.qa.compose import Composer
from podium.qa.evidence import (
    Evidence,
    Passage,
    Rerank,
    Reranking,
    Rescore,
    changed_since,
    select_evidence,
)
from podium.qa.generate import Generator, Turn, quote
from podium.qa.parts import part_queries, question_parts
from podium.qa.retrieve import Filters, HybridRetriever, Retrieval
from podium.qa.schema import (
    Answer,
    Delta,
    Done,
    Event,
    Found,
    Revised,
    Source,
    Standalone,
    final_answer,
)
from podium.qa.support import SentenceChecker
from podium.text import lone_surrogate
from podium.vectorstore.docstore import DocumentStore, Scope

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000


def abstention_text(question: str, unmentioned: Sequence[str] = ()) -> str:
    """What Podium says when the transcripts do not hold the answer (and, when it knows, the
    names in the question that the transcripts found never mention)."""
    text = ("The transcripts don't say. No passage in the indexed transcripts answers: "
            f"“{question.strip()}”")
    if unmentioned:
        text += (" The transcripts found never mention "
                 + " or ".join(f"“{name}”" for name in unmentioned) + ".")
    return text


class QAEngine:
    """Answers questions from the index with verified citations, streamed or whole."""

    def __init__(self, *, retriever: HybridRetriever, docstore: DocumentStore,
                 generator: Generator, settings: RetrievalSettings,
                 citations: CitationSettings, models: dict[str, str],
                 rescore: Rescore | None = None, rerank: Rerank | None = None) -> None:
        self._retriever = retriever
        self._rescore = rescore
        self._rerank = None if rerank is None else Reranking(
            rerank, settings.rerank_candidates, settings.confident_probability,
            settings.min_evidence_sentences)
        self._docstore = docstore
        self._generator = generator
        self._settings = settings
        self._citations = citations
        self._models = models

    def ask(self, question: str, *, history: Sequence[Turn] = (),
            filters: Filters | None = None) -> Answer:
        """Answer one question; an abstention carries no citations."""
        return final_answer(self.stream(question, history=history, filters=filters))

    def stream(self, question: str, *, history: Sequence[Turn] = (),
               filters: Filters | None = None) -> Iterator[Event]:
        """Answer one question as events: Standalone?, Found (the retrieved chunks), Found
        (the passages chosen, shown=True), Delta…, Revised?, then Done."""
        question = _checked(question)
        started = time.perf_counter()
        standalone = self._generator.condense(history, question) if history else question
        if history:
            yield Standalone(standalone)
        condensed = time.perf_counter()
        retrieval = self._retriever.retrieve(standalone, filters)
        yield Found(self._chunk_sources(retrieval))
        found = time.perf_counter()
        retrieval, parts = self._with_parts(standalone, filters, retrieval)
        evidence = self._select(standalone, retrieval, parts)
        abstained = evidence.should_abstain(self._settings)
        chosen = _sources(evidence.passages)
        yield Found(chosen, shown=True, best=None if abstained or not chosen else chosen[0])
        retrieved = time.perf_counter()
        logger.info("evidence: best similarity %.3f, coverage %.2f, answers p=%s, unmentioned "
                    "%s, abstain=%s", evidence.best_similarity, evidence.coverage,
                    evidence.answer_probability, evidence.unmentioned, abstained)
        first: float | None = None
        text, citations, reply = "", [], ""
        if not abstained:
            composer = self._composer(standalone, evidence)
            for piece in self._generator.stream(standalone, evidence.passages):
                if shown := composer.feed(piece):
                    first = first or time.perf_counter()
                    yield Delta(shown)
            if shown := composer.close():
                first = first or time.perf_counter()
                yield Delta(shown)
            reply = composer.reply
            written = composer
            composer, outcome = settle(composer, lambda: self._composer(standalone, evidence))
            if composer is not written and outcome == "answer":
                yield Revised(composer.text)  # the evidence quoted in place of the reply
            if outcome == "answer" and composer.drop(
                    changed_since(evidence.passages, self._docstore)):
                # a cited transcript was replaced while the answer was written (an ingest
                # beside the page): its sentences go, and the answer is shown again without them
                outcome = "answer" if composer.kept else "abstain"
                if composer.kept:
                    yield Revised(composer.text)
            abstained = outcome != "answer"
            text, citations = composer.text, composer.citations()
        if abstained:
            text = self._abstention(standalone, filters, retrieval.scope, evidence)
            citations = []
            yield Revised(text) if first else Delta(text)
            first = first or time.perf_counter()
        done = time.perf_counter()
        timings = {"found": _ms(started, found), "retrieve": _ms(condensed, retrieved),
                   "generate": _ms(retrieved, done),
                   "first_token": _ms(started, first or done), "total": _ms(started, done)}
        if history:
            timings["condense"] = _ms(started, condensed)
        yield Done(Answer(
            question=question, answer=text, abstained=abstained, citations=citations,
            timings_ms=timings,
            models=dict(self._models), standalone_question=standalone,
            sources=_sources(evidence.passages),
            retrieved=list(dict.fromkeys(h.doc_id for h in retrieval.hits)),
            reply=reply,
            usage=_usage(self._generator) if reply else {},
        ))

    def evidence(self, question: str, filters: Filters | None) -> tuple[Retrieval, Evidence]:
        """Retrieve for the question and, when it asks several things, for each part too;
        then pick the sentences that answer it (each part's best ones first)."""
        retrieval, parts = self._with_parts(question, filters,
                                            self._retriever.retrieve(question, filters))
        return retrieval, self._select(question, retrieval, parts)

    def _with_parts(self, question: str, filters: Filters | None, retrieval: Retrieval
                    ) -> tuple[Retrieval, list[tuple[str, list[float]]]]:
        """The question's retrieval joined by each part's hits, and the parts' embeddings."""
        hits, parts = list(retrieval.hits), []
        if len(split := question_parts(question)) > 1:
            seen = {h.key for h in hits}
            for query in part_queries(split):
                found = self._retriever.retrieve(query, filters)
                hits += [h for h in found.hits if h.key not in seen]
                seen |= {h.key for h in found.hits}
                parts.append((query, found.embedding))
        return replace(retrieval, hits=hits), parts

    def _select(self, question: str, retrieval: Retrieval,
                parts: list[tuple[str, list[float]]]) -> Evidence:
        return select_evidence(question, list(retrieval.hits), self._docstore,
                               self._settings.evidence_sentences, self._retriever.embed,
                               retrieval.embedding, parts, self._rescore,
                               self._settings.rescore_candidates, self._rerank,
                               self._settings.group_by_document)

    def _chunk_sources(self, retrieval: Retrieval) -> list[Source]:
        """The retrieved chunks as sources, score = similarity (shown before any passage is
        chosen)."""
        titles = self._docstore.titles(h.doc_id for h in retrieval.hits)
        return [Source(h.doc_id, *titles.get(h.doc_id, (h.doc_id, None)), h.speaker, h.text,
                       h.start, h.end, round(h.similarity, 4), round(h.similarity, 4))
                for h in retrieval.hits]

    def _composer(self, question: str, evidence: Evidence) -> Composer:
        # select_evidence cut every passage from its stored text: every quote is verbatim
        checker = SentenceChecker(question, evidence.passages, self._retriever.embed,
                                  evidence.vectors, self._citations)
        return Composer(checker, evidence.passages)

    @staticmethod
    def _abstention(question: str, filters: Filters | None, scope: Scope | None,
                    evidence: Evidence) -> str:
        if filters is not None and scope is not None and scope.empty:
            return (f"No indexed transcript matches the filters ({filters.describe()}). "
                    "Widen or remove them.")
        return abstention_text(question, evidence.unmentioned)


def settle(composer: Composer, fresh: Callable[[], Composer]) -> tuple[Composer, str]:
    """The outcome of a closed composer: answer; abstain; or, when the reply has no sentence
    that passed its check, or none that states the count or time the question asks for, or
    names the speaker of a passage it cites when the question asks who said it, the evidence
    quoted instead: a fresh composer fed that quote (checked the same way: a quote carries its
    speaker's name), and its outcome (answer or abstain)."""
    outcome = _outcome(composer)
    if outcome != "fallback":
        return composer, outcome
    cited = [n for m in MARKER.finditer(composer.reply) for n in marker_numbers(m)]
    n = next((n for n in cited if 1 <= n <= len(composer.passages)), 1)  # else the best
    composer = fresh()
    composer.feed(quote(n, composer.passages[n - 1]))
    composer.close()
    outcome = _outcome(composer)
    return composer, "abstain" if outcome == "fallback" else outcome


def _outcome(composer: Composer) -> str:
    """answer, abstain, or fallback (see settle)."""
    if says_no_answer(composer.reply):
        return "abstain"
    if not composer.kept:
        return "fallback" if composer.verdicts else "abstain"
    checked = [v for v in composer.verdicts if v.kept]  # one per kept sentence
    if not any(composer.checker.answers_the_kind(MARKER.sub("", s), v.cited + v.passages)
               for s, v in zip(composer.kept, checked, strict=True)):
        return "fallback"
    return "answer"


def _usage(generator: Generator) -> dict[str, int]:
    """The prompt tokens of the answer just written, where the writer reports them."""
    count = getattr(generator, "last_prompt_tokens", None)
    return {"prompt_tokens": count} if count else {}


def _sources(passages: Sequence[Passage]) -> list[Source]:
    return [Source(p.doc_id, p.title, p.date, p.speaker, p.text, p.start, p.end,
                   round(p.score, 4), round(p.similarity, 4)) for p in passages]


def _checked(question: str) -> str:
    question = question.strip()
    if not question:
        raise PodiumError("the question is empty", hint='podium ask "What did Kuleba say?"')
    if len(question) > MAX_QUESTION_CHARS:
        raise PodiumError(f"the question is {len(question):,} characters long",
                          hint=f"ask in at most {MAX_QUESTION_CHARS:,} characters")
    if (at := lone_surrogate(question)) is not None:  # bytes that were not UTF-8 (argv, stdin)
        raise PodiumError(f"the question is not valid text: character {at + 1} is not Unicode "
                          "(the terminal sent bytes that are not UTF-8)",
                          hint="retype the question, or set the terminal to UTF-8")
    return question


def _ms(a: float, b: float) -> int:
    return round((b - a) * 1000)
