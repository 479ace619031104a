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
