from podium.qa.evidence import Passage
from podium.qa.support import drop_unsupported

TEXT = ("That includes more ammunition for HIMARS, air defense interceptors and artillery rounds. "
        "We're building on the Wales pledge to invest 2 percent of our GDP in defense.")


def _p(quote: str, speaker: str | None = "SECRETARY BLINKEN") -> Passage:
    start = TEXT.index(quote)
    return Passage("d", "Successful NATO Ministerial", None, speaker, start, start + len(quote),
                   quote, 0.6, 0.5)


PASSAGES = [_p(TEXT.split(". ")[0] + "."), _p(TEXT.split(". ")[1])]


def test_invented_numbers_and_names_are_dropped() -> None:
    answer = ("The package is worth $1.5 billion [1]. It includes ammunition for HIMARS [1]. "
              "Allies invest 2 percent of GDP [2]. General Smith agreed [2].")
    assert drop_unsupported(answer, PASSAGES, "What is in the package?") == (
        "It includes ammunition for HIMARS [1]. Allies invest 2 percent of GDP [2].")


def test_numbers_and_names_from_the_question_speaker_or_title_are_supported() -> None:
    answer = "Secretary Blinken said at the NATO Ministerial that 10 allies buy HIMARS [1]."
    assert drop_unsupported(answer, PASSAGES, "Did 10 allies buy them?") == answer


def test_nothing_supported_leaves_nothing() -> None:
    assert drop_unsupported("Allies invest 7 percent [1].", PASSAGES, "How much?") == ""


def test_meta_sentences_are_folded_into_the_claim() -> None:
    answer = "It includes ammunition for HIMARS. This is stated in passage [1]."
    assert drop_unsupported(answer, PASSAGES, "What?") == (
        "It includes ammunition for HIMARS. [1]")
