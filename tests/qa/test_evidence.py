"""Evidence passages are cut from the stored text of the very document version a chunk came
from: the guarantee behind every citation's quote."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from podium.app import Podium
from podium.qa.evidence import select_evidence

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
