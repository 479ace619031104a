from pathlib import Path

from podium.app import Podium
from podium.qa.premise import question_names, unmentioned
from tests.qa.test_engine import _fake_llm


def _names(question: str) -> list[str]:
    return [phrase for phrase, _ in question_names(question)]


def test_names_are_runs_of_capitalised_words_with_their_words_folded() -> None:
    found = question_names("What did the White House say about the hikers at Havasu Falls in "
                           "the Grand Canyon, and Lucy McBath's son Jordan Davis in Türkiye?")
    assert found == [("White House", ["white", "house"]), ("Havasu Falls", ["havasu", "falls"]),
                     ("Grand Canyon", ["grand", "canyon"]), ("Lucy McBath's", ["lucy", "mcbath"]),
                     ("Jordan Davis", ["jordan", "davis"]), ("Türkiye", ["turkiye"])]


def test_first_words_titles_months_acronyms_and_modifiers_are_not_checked() -> None:
    assert _names("Kuleba said what? Blinken said when?") == []  # sentence starts
    assert _names("What did Secretary of State Blinken say in March?") == ["State Blinken"]
    assert _names("What did the NEC tell the U.S. TV networks?") == []
    assert _names("What did the Nordic countries and the Ted Lasso cast say?") == []
    assert _names("What did the Foreign Ministers' meeting decide?") == []
    assert question_names("What did Jean-Pierre's deputy say?") == [
        ("Jean-Pierre's", ["jean", "pierre"])]


def test_a_name_is_mentioned_by_any_word_starting_with_it_ignoring_case_and_accents() -> None:
    docs = ["The GERMANY delegation met in Ankara, Turkiye, with Jean-Pierre."]
    assert unmentioned("Did the German minister go to Türkiye with Jean-Pierre?", docs) == []
    assert unmentioned("What did the Germans say at Havasu Falls?", docs) == ["Germans",
                                                                              "Havasu Falls"]
    assert unmentioned("Who went to Ankara with Davis?", ["David went to Ankara."]) == ["Davis"]
    assert unmentioned("Who went to Ankara with Davis?", [docs[0], "Davis stayed."]) == []


def test_a_question_naming_what_no_transcript_found_mentions_abstains_before_the_model(
        seeded: Podium) -> None:
    question = "What did Kuleba say about deliveries of ammunition to Havasu Falls?"
    _, evidence = seeded.engine.evidence(question, None)
    assert evidence.passages and evidence.unmentioned == ("Havasu Falls",)
    answer = seeded.ask(question)
    assert answer.abstained and answer.citations == []
    assert answer.answer.endswith("The transcripts found never mention “Havasu Falls”.")
    assert _fake_llm(seeded).prompts == []
    named = seeded.ask("What did Kuleba say about deliveries of ammunition and weapons?")
    assert not named.abstained


def test_names_in_the_title_speakers_or_metadata_count_as_mentioned(
        fake_app: Podium, tmp_path: Path) -> None:
    doc = tmp_path / "belen.jsonl"
    doc.write_text('{"id": "b1", "title": "Remarks in Belen, New Mexico", "location": "Arcosa '
                   'plant", "text": "THE PRESIDENT:  The factory will make wind towers for the '
                   'whole country, every year, starting next spring."}\n')
    fake_app.ingest([doc], progress=False)
    _, evidence = fake_app.engine.evidence(
        "How many wind towers will the factory in Belen (New Mexico, at Arcosa) make?", None)
    assert evidence.passages and evidence.unmentioned == ()
