from podium.ingest.chunking import chunk_document
from podium.ingest.parse import parse_document
from podium.text import count_tokens


def test_chunks_fit_the_token_budget_and_break_between_sentences() -> None:
    sentence = "The alliance agreed to strengthen its eastern flank with more forces. "
    text = "SECRETARY BLINKEN:  " + sentence * 40
    doc = parse_document("d", text)
    chunks = chunk_document(doc, 64)
    assert len(chunks) > 5
    for chunk in chunks:
        assert count_tokens(chunk.embedding_text()) <= 64
        assert chunk.text.endswith(".")
    assert chunks[1].embedding_text().startswith("SECRETARY BLINKEN: ")


def test_a_sentence_longer_than_the_budget_is_cut_between_words() -> None:
    text = " ".join(f"word{i}" for i in range(400))
    chunks = chunk_document(parse_document("d", text), 50)
    assert len(chunks) > 3
    assert all(count_tokens(c.text) <= 50 for c in chunks)
    assert " ".join(c.text for c in chunks) == text


def test_turns_are_not_merged_across_speakers() -> None:
    text = "QUESTION:  Short question?\n\nSECRETARY BLINKEN:  Short answer."
    chunks = chunk_document(parse_document("d", text), 200)
    assert [(c.speaker, c.text) for c in chunks] == [
        ("QUESTION", "QUESTION:  Short question?"),
        ("SECRETARY BLINKEN", "SECRETARY BLINKEN:  Short answer.")]


def _exact(text: str, chunks: list) -> None:  # type: ignore[type-arg]
    for chunk in chunks:
        assert text[chunk.start:chunk.end] == chunk.text


def test_a_word_longer_than_the_budget_is_cut_between_characters() -> None:
    """Issue 14: a 1.9 M-character line without spaces became one chunk of 60,000 tokens."""
    text = "SECRETARY BLINKEN:  Hello. " + "a" * 1_900_000 + " Bye."
    chunks = chunk_document(parse_document("d", text), 200)
    _exact(text, chunks)
    assert len(chunks) > 500
    assert max(count_tokens(c.embedding_text()) for c in chunks) <= 200
    assert "".join(c.text for c in chunks[1:-1]).count("a") >= 1_900_000 - 2_000


def test_no_chunk_spans_a_huge_gap_or_dropped_boilerplate() -> None:
    text = ("First point here." + " " * 200_000 + "Second point.\n\n" + "12:00 " * 40_000
            + "\n\nThird point.")
    chunks = chunk_document(parse_document("d", text), 64)
    _exact(text, chunks)
    assert [c.text for c in chunks] == ["First point here.", "Second point.", "Third point."]


def test_mixed_scripts_and_long_labels_stay_within_the_cap() -> None:
    text = ("Q  " + "日本語の文章" * 3000 + "\n\n" + "\U0001f600" * 5000 + "\n\n"
            + "e\u0301" * 4000)
    chunks = chunk_document(parse_document("d", text, {"speaker": "LABEL " * 300}), 48)
    _exact(text, chunks)
    assert all(count_tokens(c.text) <= 48 for c in chunks)
