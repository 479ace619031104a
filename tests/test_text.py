from podium.text import (
    count_tokens,
    lone_surrogate,
    paragraphs,
    quoted_phrases,
    says_phrase,
    sentences,
    shorten,
    stem,
    terms,
)


def _sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentences(text)]


def test_sentences_keep_abbreviations_and_initials_together() -> None:
    text = "Mr. Blinken met the U.S. team. Then J. Smith spoke!  “Good,” he said. Next one"
    assert _sentences(text) == ["Mr. Blinken met the U.S. team.", "Then J. Smith spoke!",
                                "“Good,” he said.", "Next one"]


def test_sentences_never_cross_paragraphs_and_offsets_are_exact() -> None:
    text = "First line without a stop\n\nSecond paragraph. Third sentence."
    spans = sentences(text)
    assert [text[a:b] for a, b in spans] == ["First line without a stop", "Second paragraph.",
                                              "Third sentence."]
    assert paragraphs(text) == [(0, 25), (27, len(text))]


def test_terms_drop_stopwords_and_stem_plurals() -> None:
    assert terms("What did the Allies say about Ukraine's munitions?") == [
        "ally", "ukraine", "munition"]
    assert stem("countries") == "country"


def test_count_tokens_uses_tiktoken_offline() -> None:
    assert count_tokens("NATO foreign ministers met in Brussels.") == 8


def test_shorten_cuts_between_words_or_not_at_all() -> None:
    assert shorten("short reason") == "short reason"
    assert shorten("Expecting property name enclosed in double quotes", 30) == (
        "Expecting property name…")
    assert shorten("x" * 100, 20) == "x" * 19 + "…"  # one long word: cut it, marked
    assert shorten("a\nb   c") == "a b c"


def test_lone_surrogate_finds_invalid_unicode_only() -> None:
    assert lone_surrogate("ok \U0001f600") is None
    assert lone_surrogate("ab\udcff") == 2 and lone_surrogate("\ud800x") == 0


def test_quoted_phrases_and_saying_them() -> None:
    question = 'Who said "our team is make-believe" and “Time is of the essence.”, not "Go"?'
    assert quoted_phrases(question) == ["our team is make believe", "time is of the essence"]
    assert quoted_phrases("Who said it's the team's call?") == []
    assert says_phrase("Although his team is real, our team is Make-Believe.",
                       "our team is make believe")
    assert not says_phrase("our team is make-believer", "our team is make believe")
