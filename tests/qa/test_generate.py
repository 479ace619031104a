"""The passages as the writer sees them: beside each passage its document, or (grouped) each
document named once with its passages together."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from podium.app import build_app
from podium.providers.fake import FakeLLM
from podium.qa.evidence import Passage, _by_document
from podium.qa.generate import LLMGenerator, format_passages
from tests.conftest import fake_settings


def _passage(doc_id: str, text: str, speaker: str | None = None) -> Passage:
    title, date = {"a": ("NATO Ministerial", "2024-04-03"), "b": ("Remarks", None),
                   "c": ("", None)}[doc_id]
    return Passage(doc_id, title, date, speaker, 0, len(text), text, 0.5, 0.5)


def test_passages_of_one_document_come_together_in_the_order_of_their_best() -> None:
    ranked = [_passage("a", "A1"), _passage("b", "B1"), _passage("a", "A2"),
              _passage("c", "C1"), _passage("b", "B2")]
    rows = np.arange(5, dtype=np.float32).reshape(5, 1)
    passages, moved = _by_document(ranked, rows)
    assert [p.text for p in passages] == ["A1", "A2", "B1", "B2", "C1"]
    assert moved.ravel().tolist() == [0, 2, 1, 4, 3]  # each embedding row stays with its passage


def test_each_passage_names_its_document_unless_grouped() -> None:
    passages = [_passage("a", "We will  meet [2] partners.", "MR. STOLTENBERG"),
                _passage("a", "Thank you."), _passage("b", "Good afternoon.", "THE PRESIDENT"),
                _passage("c", "Untitled words.")]
    assert format_passages(passages) == (
        '[1] (MR. STOLTENBERG; NATO Ministerial; 2024-04-03) "We will meet (2) partners."\n'
        '[2] (NATO Ministerial; 2024-04-03) "Thank you."\n'
        '[3] (THE PRESIDENT; Remarks) "Good afternoon."\n'
        '[4] () "Untitled words."')
    assert format_passages(passages, grouped=True) == (
        "From NATO Ministerial; 2024-04-03:\n"
        '[1] (MR. STOLTENBERG) "We will meet (2) partners."\n'
        '[2] "Thank you."\n'
        "From Remarks:\n"
        '[3] (THE PRESIDENT) "Good afternoon."\n'
        "From c:\n"
        '[4] "Untitled words."')


def test_grouped_setting_names_each_transcript_once_in_the_prompt(tmp_path: Path,
                                                                  seed_copy: Path) -> None:
    app = build_app(fake_settings(tmp_path / "data", retrieval={"group_by_document": True}))
    app.ingest([seed_copy], progress=False)
    answer = app.ask("What did Kuleba say about deliveries of ammunition and weapons?")
    generator = app.generator
    assert isinstance(generator, LLMGenerator) and isinstance(generator.llm, FakeLLM)
    prompt = generator.llm.prompts[-1]
    headers = [line for line in prompt.splitlines() if line.startswith("From ")]
    assert headers and len(headers) == len(set(headers))  # each transcript named once
    assert '(FOREIGN MINISTER KULEBA) "' in prompt
    shown = [s.doc_id for s in answer.sources]
    assert shown == sorted(shown, key=shown.index)  # a transcript's passages are adjacent
    assert shown[0] == answer.citations[0].doc_id
