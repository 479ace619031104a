"""Grounding check: drop answer sentences that state numbers or names the evidence lacks.

Small models invent specifics ("$1.5 billion", "10 Patriot batteries") and cite a passage
that is on topic but says no such thing. A sentence survives only if every number and every
capitalised name in it also appears in the question or in the evidence passages (their
words, speakers and titles).
"""

from __future__ import annotations

import re

from podium.qa.citations import MARKER
from podium.qa.evidence import Passage
from podium.text import STOPWORDS, sentences, stem

_LEADING_MARKERS = re.compile(rf"^(?:\s*{MARKER.pattern})+")
_NUMBER_WORDS = frozenset(
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred thousand million billion trillion dozen".split())
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"\b[A-Z][\w’'\-]*")
_META = re.compile(
    r"^(?:this|that|it|the (?:above|answer|information|statement))\b[^.]*\b"
    r"(?:passage|stated|mentioned|found|according|provided|cited)\b", re.IGNORECASE)


def drop_unsupported(answer: str, passages: list[Passage], question: str) -> str:
    """The answer without its unsupported sentences (and without 'this is stated in [1]')."""
    support = " ".join([question] + [f"{p.text} {p.speaker or ''} {p.title}" for p in passages])
    numbers, words = _numbers(support), _words(support)
    kept: list[str] = []
    for sentence in _answer_sentences(answer):
        body = MARKER.sub("", sentence).strip()
        if _META.match(body):
            markers = [m.group(0) for m in MARKER.finditer(sentence)]
            if kept and markers:  # keep its markers on the claim it refers to
                kept[-1] += " " + " ".join(markers)
            continue
        if _numbers(body) <= numbers and _names(body) <= words:
            kept.append(sentence)
    return " ".join(kept).strip()


def _answer_sentences(answer: str) -> list[str]:
    """Sentences of the answer, each keeping the [n] markers that follow its full stop."""
    out: list[str] = []
    for start, end in sentences(answer):
        piece = answer[start:end]
        lead = _LEADING_MARKERS.match(piece)
        if lead and out:
            out[-1] += " " + lead.group(0).strip()
            piece = piece[lead.end():].strip()
        if piece:
            out.append(piece)
    return out


def _numbers(text: str) -> set[str]:
    digits = {n.replace(",", "") for n in _NUMBER.findall(text)}
    words = {w for w in re.findall(r"[a-z]+", text.lower()) if w in _NUMBER_WORDS}
    return digits | words


def _names(text: str) -> set[str]:
    """Capitalised words after the first word, as comparable terms."""
    found = set()
    for match in _NAME.finditer(text):
        if match.start() == 0:
            continue
        word = match.group(0).lower()
        if word not in STOPWORDS and len(word) > 1:
            found.add(stem(word))
    return found


def _words(text: str) -> set[str]:
    return {stem(w) for w in re.findall(r"[\w’'\-]+", text.lower())}
