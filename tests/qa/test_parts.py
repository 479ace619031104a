"""Multi-part questions: splitting, search text per part, evidence for every part."""

from pathlib import Path

import pytest

from podium.app import Podium
from podium.qa.parts import part_queries, question_parts


@pytest.mark.parametrize(("question", "parts"), [
    ("What did Stoltenberg say, and which weapon did the U.S. supply?",
     ["What did Stoltenberg say", "which weapon did the U.S. supply?"]),
    ("Which country joined, and in what year did it first attend a meeting as a member?",
     ["Which country joined", "in what year did it first attend a meeting as a member?"]),
    ("Who were the two guests? What did each come to talk about?",
     ["Who were the two guests?", "What did each come to talk about?"]),
    ("Which summits were they preparing for in 2023, and at the April 2024 meeting?",
     ["Which summits were they preparing for in 2023", "at the April 2024 meeting?"]),
])
def test_a_question_asking_several_things_is_split(question: str, parts: list[str]) -> None:
    assert question_parts(question) == parts


@pytest.mark.parametrize("question", [
    "What did Blinken and Kuleba discuss about ammunition?",
    "Who said that Ukraine and NATO are closer than ever?",
    "How long did the meeting between Putin and Prigozhin last?",
    "What, and why?",
])
def test_a_question_asking_one_thing_stays_whole(question: str) -> None:
    assert question_parts(question) == [question]


def test_a_later_part_naming_nothing_borrows_the_first_parts_names() -> None:
    queries = part_queries(["Who were Jen Psaki's guests on July 14, 2021",
                            "what did each come to talk about?"])
    assert queries[1] == "what did each come to talk about? (Jen Psaki's July 14, 2021)"
    assert part_queries(["Who came", "which law did Biden waive?"])[1] == (
        "which law did Biden waive?")


def test_each_part_gets_evidence(fake_app: Podium, seed_copy: Path) -> None:
    fake_app.ingest([seed_copy], progress=False)
    question = ("What did Stoltenberg say the Ukrainians were not running out of, and "
                "which Nordic country attended its first ministerial as a full member?")
    answer = fake_app.ask(question)
    quotes = " ".join(s.quote for s in answer.sources)
    assert "courage" in quotes and "Sweden" in quotes
