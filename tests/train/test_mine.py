"""The miner finds answered question turns, cleans them, and splits by document."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from podium.errors import PodiumError
from podium.train.cli import _mined
from podium.train.mine import (
    build_examples,
    clean_question,
    is_validation,
    last_sentence,
    qa_turns,
    read_documents,
    stands_alone,
)

BRIEFING = "\n\n".join([
    "Press Briefing on Zebras",
    "MS. PIERRE:  Good afternoon, everyone. Today we announce a zebra crossing program.",
    "Q  Thanks, Karine. My question is: how many zebra crossings will the program build in "
    "Ohio this year?",
    "MS. PIERRE:  The program will build 4,200 zebra crossings in Ohio this year, paid for by "
    "the infrastructure law.",
    "Q  And on that?",
    "MS. PIERRE:  We will have more details for you later in the week on all of that work.",
    "Q  Hi, Jake. What does the administration say about the report on giraffe smuggling in "
    "Kenya?",
    "MS. PIERRE:  I don't have anything for you on that report; I'd refer you to the "
    "Department of the Interior.",
]) + "\n"

INTERVIEW = "\n\n".join([
    "QUESTION:  Mr. Secretary, what did the alliance decide about the air defense systems for "
    "the eastern flank?",
    "SECRETARY BLINKEN:  The alliance decided to send two more air defense batteries to the "
    "eastern flank before winter begins.",
    "QUESTION:  Why does the alliance think the eastern flank needs more air defense now?",
    "SECRETARY BLINKEN:  Because the attacks on energy infrastructure have grown every month "
    "since the summer.",
]) + "\n"


def _corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "briefing.txt").write_text(BRIEFING, encoding="utf-8")
    (folder / "interview.txt").write_text(INTERVIEW, encoding="utf-8")
    return folder


def test_question_turns_answered_by_another_speaker_are_mined(tmp_path: Path) -> None:
    docs = {d.doc_id: d for d in read_documents([_corpus(tmp_path)])}
    briefing = qa_turns(docs["briefing.txt"])
    # "And on that?" cannot stand alone; the greeting and preamble are stripped
    assert [t.question for t in briefing] == [
        "How many zebra crossings will the program build in Ohio this year?",
        "What does the administration say about the report on giraffe smuggling in Kenya?"]
    assert briefing[0].answer.startswith("The program will build 4,200 zebra crossings")
    assert not briefing[0].deflects and briefing[1].deflects
    interview = qa_turns(docs["interview.txt"])
    assert len(interview) == 2 and interview[1].answer.startswith("Because the attacks")
    assert interview[0].question.startswith("What did the alliance decide")


def test_cleaning_and_short_questions() -> None:
    assert clean_question("Q  Thank you so much, Karine. A quick question on trade: will the "
                          "tariffs stay?") == "Will the tariffs stay?"
    assert not stands_alone("And on that?")
    assert not stands_alone("What about the tariffs on Canada?")
    assert not stands_alone("And what about the ones you mentioned before?")
    assert stands_alone("Will the administration keep the tariffs on steel from Canada?")
    assert last_sentence("The report came out today. Will the administration keep the "
                         "tariffs on steel?") == (
        "Will the administration keep the tariffs on steel?")


def test_examples_have_same_document_and_retrieved_negatives(tmp_path: Path) -> None:
    turns = [t for d in read_documents([_corpus(tmp_path)]) for t in qa_turns(d)]
    examples = build_examples(turns)
    first = next(e for e in examples if e.positive and "zebra crossings" in e.question)
    assert first.positive is not None and first.positive not in first.negatives
    assert any("refer you" in n for n in first.negatives)  # the same briefing's other answer
    deflected = next(e for e in examples if "giraffe" in e.question)
    assert deflected.positive is None and "refer you" in deflected.negatives[0]


def test_the_validation_split_is_sha1_of_the_doc_id() -> None:
    ids = [f"doc-{n}" for n in range(200)]
    held = [i for i in ids if is_validation(i)]
    assert held == [i for i in ids if hashlib.sha1(i.encode()).hexdigest()[-1] == "0"]
    assert 0 < len(held) < 40


def test_a_corpus_without_question_turns_stops_with_a_message(tmp_path: Path) -> None:
    (tmp_path / "speech.jsonl").write_text(json.dumps(
        {"id": "un:1", "text": "Mr. President, the climate crisis is the defining issue."}) + "\n")
    with pytest.raises(PodiumError, match="no question turns"):
        _mined([tmp_path / "speech.jsonl"], tmp_path / "out")
    assert not (tmp_path / "out" / "turns.jsonl.gz").exists()
