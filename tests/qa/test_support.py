"""The sentence checker holds each number of a sentence to a passage it cites, with its unit."""

from podium.config import CitationSettings
from podium.providers.fake import FakeEmbedding
from podium.qa.compose import Composer
from podium.qa.engine import settle
from podium.qa.evidence import Passage, normalised
from podium.qa.support import SentenceChecker, Verdict

EMBED = FakeEmbedding()
FENCE = "The new border fence section cost 1,500 pounds of steel per metre to build."
RECORD = "The new border fence section cost $1,500 per metre to build."
AGE = "The youngest volunteer at the border station was a student from Lviv."
YEARS = "The border station has stood for 19 years."
AID = "The aid package is worth 1.5 billion dollars and brings 40 percent more shells."
CROWD = "Some 916000 people and three million doses reached the border station."


def _passages(*texts: str, date: str | None = None) -> list[Passage]:
    return [Passage(f"d{i}", "Remarks", date, "THE PRESIDENT", 0, len(t), t, 0.6, 0.5)
            for i, t in enumerate(texts)]


def _checker(question: str, *texts: str, date: str | None = None) -> SentenceChecker:
    passages = _passages(*texts, date=date)
    vectors = normalised(EMBED.get_text_embedding_batch(list(texts)))
    return SentenceChecker(question, passages, EMBED.get_text_embedding_batch, vectors,
                           CitationSettings())


def _check(sentence: str, cited: list[int], *texts: str, question: str = "What was said?",
           date: str | None = None) -> Verdict:
    return _checker(question, *texts, date=date).check(sentence, cited)


def test_a_cost_is_not_held_by_a_passage_that_counts_the_number_in_pounds() -> None:
    verdict = _check("The new border fence section cost $1,500 per metre", [1], FENCE)
    assert not verdict.kept and verdict.reason == "number"
    assert verdict.detail == ("the number $1,500 is not in the passage it cites "
                              "(it says 1,500 pounds)")
    assert _check("The new border fence section cost $1,500 per metre", [1], RECORD).kept


def test_a_cost_is_held_by_the_other_passage_that_states_it_in_dollars() -> None:
    verdict = _check("The new border fence section cost $1,500 per metre", [1], FENCE, RECORD)
    assert verdict.kept and verdict.passages == (1, 2)


def test_an_age_is_not_held_by_years_in_another_uncited_passage() -> None:
    sentence = "The youngest volunteer at the border station was 19 years old"
    verdict = _check(sentence, [1], AGE, YEARS)
    assert verdict.reason == "number"
    assert verdict.detail == "the number 19 years old is not in the passage it cites"
    assert _check(sentence, [1], AGE.replace("a student", "a 19-year-old student")).kept
    assert _check(sentence, [1], AGE.replace("a student", "a student aged 19")).kept


def test_a_bare_number_must_be_in_a_passage_the_sentence_cites() -> None:
    verdict = _check("The border station has stood for 19 years", [1], AGE, YEARS)
    assert verdict.kept and 2 in verdict.passages  # the passage that holds it is cited too
    alone = _check("The youngest volunteer at the border station came 19 times", [1], AGE,
                   "A list of 19 unrelated things about ports.")
    assert alone.reason == "number" and alone.detail == ("the number 19 is not in the passage "
                                                         "it cites")


def test_equivalent_forms_of_a_number_are_held() -> None:
    assert _check("The aid package is worth $1.5 billion", [1], AID).kept
    assert _check("The aid package brings 40% more shells", [1], AID).kept
    assert _check("Some 916,000 people reached the border station", [1], CROWD).kept
    assert _check("Some 3 million doses reached the border station", [1], CROWD).kept
    assert _check("The aid package is worth €1.5 billion", [1], AID).reason == "number"
    assert _check("The aid package brings 40 miles more shells", [1], AID).reason == "number"


def test_a_number_the_question_states_needs_no_citation() -> None:
    question = "What about the $1,500 figure?"
    assert _check("The new border fence section cost $1,500 per metre", [1], FENCE,
                  question=question).kept
    assert _check("The station has stood for 19 years at the border", [1], AGE,
                  question="Has the station stood 19 years?").kept


def test_the_date_of_a_cited_passage_holds_its_numbers() -> None:
    sentence = "On the 3rd, in 2024, the border station had stood for 19 years"
    assert _check(sentence, [1], YEARS, date="2024-04-03").kept
    assert not _check(sentence, [1], YEARS).kept


def test_a_sentence_whose_number_is_not_held_is_left_out_with_its_reason() -> None:
    composer = Composer(_checker("What did the fence cost?", FENCE), _passages(FENCE))
    shown = composer.feed("The new border fence section cost $1,500 per metre [1].") + \
        composer.close()
    assert composer.kept == [] and [v.reason for v in composer.verdicts] == ["number"]
    assert shown.endswith("⟨removed: the number $1,500 is not in the passage it cites "
                          "(it says 1,500 pounds)⟩")


def test_then_the_answer_falls_back_to_quoting_the_passage_it_cites() -> None:
    def fresh() -> Composer:
        return Composer(_checker("What did the fence cost?", FENCE), _passages(FENCE))

    composer = fresh()
    composer.feed("The new border fence section cost $1,500 per metre [1].")
    composer.close()
    settled, outcome = settle(composer, fresh)
    assert outcome == "answer" and settled is not composer
    assert settled.text == f"The President: “{FENCE}” [1]"
