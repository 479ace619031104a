"""The passages as the writer sees them: each document named once, its passages together."""

from __future__ import annotations

import numpy as np

from podium.qa.evidence import Passage, _by_document
from podium.qa.generate import format_passages


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


def test_the_prompt_names_each_document_once_before_its_passages() -> None:
    passages = [_passage("a", "We will  meet [2] partners.", "MR. STOLTENBERG"),
                _passage("a", "Thank you."), _passage("b", "Good afternoon.", "THE PRESIDENT"),
                _passage("c", "Untitled words.")]
    assert format_passages(passages) == (
        "From NATO Ministerial; 2024-04-03:\n"
        '[1] (MR. STOLTENBERG) "We will meet (2) partners."\n'
        '[2] "Thank you."\n'
        "From Remarks:\n"
        '[3] (THE PRESIDENT) "Good afternoon."\n'
        "From c:\n"
        '[4] "Untitled words."')
