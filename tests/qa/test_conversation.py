"""Streaming, follow-up questions and filters, through the app's Python API with fakes."""

from pathlib import Path

import pytest

from podium.app import Podium
from podium.errors import PodiumError
from podium.providers.fake import FakeLLM
from podium.qa.generate import LLMGenerator
from podium.qa.retrieve import Filters, keyword_terms
from podium.qa.schema import Delta, Done, Revised, Standalone

QUESTION = "What did Kuleba say about deliveries of ammunition and weapons?"


def _llm(app: Podium) -> FakeLLM:
    assert isinstance(app.generator, LLMGenerator) and isinstance(app.generator.llm, FakeLLM)
    return app.generator.llm


def test_stream_deltas_add_up_to_the_checked_answer(seeded: Podium) -> None:
    _llm(seeded).replies.append("Kuleba discussed deliveries of ammunition and weapons [1][9].")
    events = list(seeded.stream(QUESTION))
    deltas = [e.text for e in events if isinstance(e, Delta)]
    answer = events[-1].answer if isinstance(events[-1], Done) else None
    assert answer is not None and len(deltas) > 5  # word by word, not one block
    assert "".join(deltas) == answer.answer
    assert answer.answer == "Kuleba discussed deliveries of ammunition and weapons [1]."
    assert answer.timings_ms["first_token"] <= answer.timings_ms["total"]


def test_follow_up_is_rewritten_into_a_standalone_question(seeded: Podium) -> None:
    chat = seeded.chat()
    first = chat.ask(QUESTION)
    assert first.standalone_question == QUESTION
    events = list(chat.stream("And what did he say about the birthday?"))
    assert isinstance(events[0], Standalone)
    standalone = events[0].question
    assert standalone == f"And what did he say about the birthday? (about: {QUESTION})"
    condense_prompt = _llm(seeded).prompts[-2]
    assert f"User: {QUESTION}" in condense_prompt and "Assistant: " in condense_prompt
    second = events[-1]
    assert isinstance(second, Done)
    assert second.answer.to_dict()["standalone_question"] == standalone
    assert second.answer.question == "And what did he say about the birthday?"
    chat.reset()
    assert chat.ask(QUESTION).standalone_question == QUESTION


def test_extractive_follow_up_carries_the_previous_question(tmp_path: Path,
                                                            seed_copy: Path) -> None:
    from podium.app import build_app
    from tests.conftest import fake_settings

    app = build_app(fake_settings(tmp_path / "x", llm={"provider": "extractive"}))
    app.ingest([seed_copy], progress=False)
    chat = app.chat()
    chat.ask(QUESTION)
    follow = chat.ask("And the birthday?")
    assert follow.standalone_question == f"And the birthday? (follow-up to: {QUESTION})"


def test_speaker_filter_keeps_every_source_to_that_speaker(seeded: Podium) -> None:
    answer = seeded.ask("What was said about ammunition?", filters=Filters(speaker="blinken"))
    assert answer.sources and all("BLINKEN" in (s.speaker or "") for s in answer.sources)
    assert all("BLINKEN" in (c.speaker or "") for c in answer.citations)


def test_date_and_document_filters(seeded: Podium) -> None:
    dated = {d: seeded.docstore.get(d).date for d in seeded.docstore.doc_ids()}  # type: ignore[union-attr]
    first = min(v for v in dated.values() if v)
    answer = seeded.ask("What was said about NATO?", filters=Filters(before=first))
    assert {s.doc_id for s in answer.sources} <= {d for d, v in dated.items() if v == first}
    only = "002_7b008eafdf267012.txt"
    answer = seeded.ask("What was said about NATO?", filters=Filters(docs=("002_7b008",)))
    assert {s.doc_id for s in answer.sources} == {only}


def test_filters_that_match_nothing_say_so(seeded: Podium) -> None:
    answer = seeded.ask(QUESTION, filters=Filters(after="2031-01-01"))
    assert answer.abstained and "No indexed transcript matches the filters" in answer.answer
    assert "on or after 2031-01-01" in answer.answer
    assert _llm(seeded).prompts == []
    with pytest.raises(PodiumError, match="YYYY-MM-DD"):
        Filters(after="last year")


def test_names_and_dates_are_found_by_keyword(seeded: Podium) -> None:
    store = seeded.docstore
    dated = [d for d in store.doc_ids() if store.get(d).date == "2024-04-03"]  # type: ignore[union-attr]
    assert dated
    hits = store.keyword_search(keyword_terms("What happened on 3 April 2024?"), 5)
    assert hits and hits[0].doc_id in dated
    hits = store.keyword_search(keyword_terms("What did Kuleba say?"), 3)
    assert any(h.speaker == "FOREIGN MINISTER KULEBA" for h in hits)


def test_keyword_index_survives_a_restart_and_is_rebuilt_when_missing(
        seeded: Podium, seed_copy: Path) -> None:
    from podium.app import build_app

    count = seeded.docstore.keyword_count()
    seeded.docstore._conn.execute("DELETE FROM chunks")  # an index from before keyword search
    assert seeded.docstore.keyword_count() == 0
    report = seeded.ingest([seed_copy], progress=False)
    assert len(report.unchanged) == 5 and report.chunks_written == 0
    seeded.docstore.close()
    again = build_app(seeded.settings)
    assert again.docstore.keyword_count() == count
    assert again.docstore.keyword_search(["kuleba"], 1)


def test_a_reply_that_only_restates_the_question_is_replaced_by_a_quote(seeded: Podium) -> None:
    _llm(seeded).replies.append("Kuleba said about deliveries of ammunition and weapons [1].")
    events = list(seeded.stream(QUESTION))
    shown = "".join(e.text for e in events if isinstance(e, Delta))
    assert "⟨removed: restates the question⟩" in shown
    revised = [e for e in events if isinstance(e, Revised)]
    answer = events[-1].answer if isinstance(events[-1], Done) else None
    assert answer is not None and not answer.abstained and len(revised) == 1
    assert revised[0].text == answer.answer and "“" in answer.answer and answer.citations
