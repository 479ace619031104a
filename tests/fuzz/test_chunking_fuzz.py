"""Fuzz transcript parsing and chunking: offsets exact, no chunk over the cap, no word lost."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from podium.ingest.chunking import chunk_document
from podium.ingest.parse import parse_document
from podium.text import count_tokens, word_spans
from tests.fuzz.strategies import json_values, nasty_text

turns = st.lists(st.tuples(
    st.sampled_from(["", "Q  ", "SECRETARY BLINKEN:  ", "MS. JEAN-PIERRE:  ", "QUESTION: ",
                     "A" * 60 + ": "]),
    nasty_text(surrogates=False, most=20_000)), max_size=6).map(
    lambda parts: "\n\n".join(label + body for label, body in parts))
texts = st.one_of(turns, nasty_text(surrogates=False))
metadata = st.dictionaries(st.sampled_from(["title", "date", "speaker", "x"]), json_values(),
                           max_size=3)


@given(texts, st.integers(32, 400), metadata)
@example("a" * 100_000, 200, {})
@example("First." + " " * 50_000 + "Second.\n\n" + "12:00 " * 5_000 + "\n\nThird.", 32, {})
@example("Q  " + "\U0001f600" * 3_000, 32, {"speaker": "LABEL " * 500})
@example("e\u0301" * 5_000 + "\n\n" + "日本語" * 5_000, 48, {})
def test_chunks_are_exact_capped_and_complete(text: str, max_tokens: int,
                                              metadata: dict[str, object]) -> None:
    doc = parse_document("d", text, metadata)
    assert doc.text == text
    chunks = chunk_document(doc, max_tokens)
    end = 0
    for n, chunk in enumerate(chunks):
        assert chunk.index == n and end <= chunk.start < chunk.end <= len(text)
        assert text[chunk.start:chunk.end] == chunk.text
        assert count_tokens(chunk.text) <= max_tokens, (len(chunk.text), max_tokens)
        end = chunk.end
    covered = bytearray(len(text))
    for chunk in chunks:
        covered[chunk.start:chunk.end] = b"\x01" * (chunk.end - chunk.start)
    for segment in doc.segments:  # every character of every word of the content is kept
        for start, stop in segment.spans:
            for w_start, w_end in word_spans(text, start, stop):
                assert all(covered[w_start:w_end]), text[w_start:w_end][:40]
