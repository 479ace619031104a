"""Filters: dates must be real calendar dates, text must be valid Unicode. The turns around the
best chunks join the hits."""


import pytest

from podium.app import Podium
from podium.errors import PodiumError
from podium.qa.retrieve import Filters, HybridRetriever
from podium.vectorstore.docstore import ChunkRef, Scope


@pytest.mark.parametrize(("option", "value"), [
    ("before", "2024-13-45"), ("after", "notadate"), ("after", "2023-02-29"),
    ("before", "2024-01-01\n"), ("after", "２０２４-０１-０１"), ("before", "2024-1-1"),
])
def test_impossible_or_malformed_dates_are_refused(option: str, value: str) -> None:
    with pytest.raises(PodiumError) as caught:
        Filters(**{option: value})
    assert caught.value.message.startswith(f"--{option} ")
    assert "\n" not in caught.value.message and "YYYY-MM-DD" in caught.value.hint


def test_real_dates_pass() -> None:
    assert Filters(after="2024-02-29", before="2024-12-31").active


@pytest.mark.parametrize("field", ["speaker", "docs"])
def test_filter_text_that_is_not_unicode_is_refused(field: str) -> None:
    value = "Kul\udcffeba"
    with pytest.raises(PodiumError, match="not valid text") as caught:
        Filters(**{field: (value,) if field == "docs" else value})
    assert caught.value.hint


def test_the_turns_around_the_best_chunks_join_the_hits(seeded: Podium) -> None:
    # the short reply "You've always been on the video screen prior to this" shares no word
    # with a question about Kuleba's earlier appearances; the Kuleba turn before it does
    question = "What was symbolic about Kuleba seeing Blinken at NATO in person?"
    alone = seeded.settings.retrieval.model_copy(update={"neighbours": 0})
    plain = HybridRetriever(seeded.index, seeded.docstore, alone).retrieve(question)
    best = plain.hits[0]
    assert "symbolic" in best.text
    widened = seeded.retriever.retrieve(question)
    assert widened.hits[:len(plain.hits)] == plain.hits  # the fused order stays first
    added = widened.hits[len(plain.hits):]
    assert {(h.doc_id, h.index) for h in added} >= {(best.doc_id, best.index + 1)}
    assert all(h.key not in {p.key for p in plain.hits} for h in added)
    for hit in added:  # real chunks of the current version, with their cosine
        doc = seeded.docstore.get(hit.doc_id)
        assert doc is not None and doc.content_hash == hit.content_hash
        assert doc.text[hit.start:hit.end] == hit.text
        assert -1.0 <= hit.similarity <= 1.0
    assert any("video screen" in h.text for h in added)


def test_neighbours_stay_inside_the_document_version_and_the_filters(seeded: Podium) -> None:
    store = seeded.docstore
    doc_id = next(d for d in store.doc_ids() if len(store.chunks(d)) >= 3)
    doc = store.get(doc_id)
    assert doc is not None
    first, second, third = (ChunkRef(c.doc_id, c.index, c.start, c.end, c.speaker,
                                     doc.content_hash, c.text) for c in store.chunks(doc_id)[:3])
    assert store.neighbours([first]) == [second]  # no chunk -1
    assert store.neighbours([second]) == [first, third]
    assert store.neighbours([first, second]) == [third]  # given chunks are not repeated
    old = ChunkRef(first.doc_id, first.index, first.start, first.end, first.speaker, "old",
                   first.text)
    assert store.neighbours([old]) == []  # a replaced version has no neighbours
    assert store.neighbours([second], Scope(doc_ids=frozenset({"another"}))) == []
    only = Scope(speakers=frozenset({third.speaker or ""}))
    assert all(c.speaker == third.speaker for c in store.neighbours([second], only))
