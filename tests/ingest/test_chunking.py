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
