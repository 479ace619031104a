from podium.qa.citations import resolve_citations, says_no_answer
from podium.qa.evidence import Passage

TEXT = "Alpha said the summit is in July. Beta said Sweden joined. Gamma spoke of ammunition."


def _passage(quote: str, doc_id: str = "d1") -> Passage:
    start = TEXT.index(quote)
    return Passage(doc_id, "Title", None, "ALPHA", start, start + len(quote), quote, 0.5, 0.5)


PASSAGES = [_passage("Beta said Sweden joined."), _passage("Alpha said the summit is in July."),
            _passage("Gamma spoke of ammunition.")]


def _lookup(doc_id: str) -> str | None:
    return TEXT if doc_id == "d1" else None


def test_markers_are_renumbered_by_first_use_and_invalid_ones_removed() -> None:
    text, cites = resolve_citations("July [2]. Sweden joined [1, 7]. Again July. [2][9]",
                                    PASSAGES, _lookup)
    assert text == "July [1]. Sweden joined [2]. Again July [1]."
    assert [(c.n, c.quote) for c in cites] == [(1, "Alpha said the summit is in July."),
                                              (2, "Beta said Sweden joined.")]
    for c in cites:
        assert TEXT[c.start:c.end] == c.quote


def test_a_quote_that_is_not_verbatim_is_never_cited() -> None:
    forged = Passage("d1", "T", None, None, 0, 5, "Gamma", 0.5, 0.5)
    missing = _passage("Gamma spoke of ammunition.", doc_id="gone")
    text, cites = resolve_citations("Claim [1]. Other [2].", [forged, missing], _lookup)
    assert cites == [] and text == "Claim. Other."


def test_uncited_sentences_get_the_passage_that_supports_them() -> None:
    text, cites = resolve_citations("Gamma spoke about ammunition. Something unrelated entirely.",
                                    PASSAGES, _lookup)
    assert text == "Gamma spoke about ammunition [1]. Something unrelated entirely."
    assert cites[0].quote == "Gamma spoke of ammunition."


def test_no_answer_phrases() -> None:
    assert says_no_answer("The passages do not mention the 2022 World Cup.")
    assert says_no_answer("")
    assert not says_no_answer("Kuleba said Ukraine needs ammunition [1].")
