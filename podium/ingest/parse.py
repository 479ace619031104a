"""Transcript parsing: drop web boilerplate, find speaker turns, a title and a date.

The text itself is never altered: parsing yields spans (character offsets) into it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from podium.text import Span, paragraphs

# Paragraphs that are page furniture wherever they appear (matched on the whole paragraph).
BOILERPLATE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"An official website of the United States Government.*",
        r"Official websites use \.gov",
        r"A \.gov website belongs to an official government organization in the United States\.?",
        r"Secure \.gov websites use HTTPS",
        r"A lock \(.*\) or https://.*",
        r"Accessibility links",
        r"Breaking News",
        r"Skip to (main )?content",
        r"please wait",
        r"No media source currently available",
        r"[\d:\s]+",
        r"#\s*#\s*#",
        r"Share this( page)?:?",
        r"Print( this page)?",
    )
]
# Paragraphs after which the rest of the page is footer.
FOOTER_START = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"U\.S\. Department of State",
        r"Leave a Reply",
        r"Your email address will not be published\..*",
        r"The Lessons of 1989: Freedom and Our Future",
    )
]
SPEAKER_TURN = re.compile(
    r"(?P<label>(?:[A-Z][A-Z.'’\-]*\s+){0,5}[A-Z][A-Z.'’\-]*[A-Z.])\s*:\s+"
    r"|(?P<q>Q)(?:\s*:)?\s+(?=\S)"
)
QUESTIONERS = {"Q", "QUESTION", "MODERATOR", "PARTICIPANT"}
_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december"
    .split(), start=1)}
_MONTH_RE = "(" + "|".join(m.capitalize() for m in _MONTHS) + ")"
_DATES = [
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), ("y", "m", "d")),
    (re.compile(rf"\b(\d{{1,2}}) {_MONTH_RE},? (\d{{4}})\b"), ("d", "M", "y")),
    (re.compile(rf"\b{_MONTH_RE} (\d{{1,2}}),? (\d{{4}})\b"), ("M", "d", "y")),
]


@dataclass
class Segment:
    """Consecutive paragraphs spoken by one speaker (None: narration or unknown)."""

    speaker: str | None
    spans: list[Span] = field(default_factory=list)


@dataclass
class ParsedDocument:
    """A document's verbatim text plus what parsing found in it."""

    doc_id: str
    text: str
    title: str
    date: str | None
    speakers: list[str]
    segments: list[Segment]
    metadata: dict[str, Any] = field(default_factory=dict)


def parse_document(doc_id: str, text: str, metadata: dict[str, Any] | None = None
                   ) -> ParsedDocument:
    """Parse a decoded document into content segments with speakers, title and date."""
    metadata = dict(metadata or {})
    content = content_paragraphs(text)
    default_speaker = _clean_speaker(metadata.get("speaker"))
    segments = _segments(text, content, default_speaker)
    speakers = list(dict.fromkeys(s.speaker for s in segments if s.speaker))
    title = _as_text(metadata.get("title")) or _heading(text, content) or _title_from(
        speakers, doc_id)
    found_date = _normalise_date(_as_text(metadata.get("date"))) or _find_date(text, content)
    return ParsedDocument(doc_id=doc_id, text=text, title=title, date=found_date,
                          speakers=speakers, segments=segments, metadata=metadata)


def content_paragraphs(text: str) -> list[Span]:
    """Paragraph spans with header furniture removed and the footer cut off."""
    kept: list[Span] = []
    for start, end in paragraphs(text):
        para = " ".join(text[start:end].split())
        if any(p.fullmatch(para) for p in FOOTER_START):
            break
        if not any(p.fullmatch(para) for p in BOILERPLATE):
            kept.append((start, end))
    return kept


def _segments(text: str, content: list[Span], default: str | None) -> list[Segment]:
    segments: list[Segment] = []
    current = Segment(default)
    for start, end in content:
        match = SPEAKER_TURN.match(text, start, end)
        if match:
            speaker = "Q" if match.group("q") else _clean_speaker(match.group("label"))
            if current.spans:
                segments.append(current)
            current = Segment(speaker)
        current.spans.append((start, end))
    if current.spans:
        segments.append(current)
    return segments


def _clean_speaker(label: Any) -> str | None:
    if not isinstance(label, str) or not label.strip():
        return None
    return " ".join(label.split()).rstrip(":")


def _heading(text: str, content: list[Span]) -> str | None:
    if not content:
        return None
    start, end = content[0]
    first = text[start:end]
    if "\n" in first or len(first) > 120 or first[-1] in ".:!?" or SPEAKER_TURN.match(first):
        return None
    return first


def _title_from(speakers: list[str], doc_id: str) -> str:
    answering = [s for s in speakers if s.upper() not in QUESTIONERS]
    if not answering:
        return doc_id
    names = " and ".join(s.title() for s in answering[:3])
    return f"Interview: {names}" if len(answering) < len(speakers) else f"Remarks: {names}"


def _find_date(text: str, content: list[Span]) -> str | None:
    for start, end in content[:8]:
        found = _normalise_date(text[start:end])
        if found:
            return found
    return None


def _normalise_date(value: str | None) -> str | None:
    if not value:
        return None
    if re.fullmatch(r"\d{4}", value.strip()):
        return value.strip()
    for pattern, order in _DATES:
        match = pattern.search(value)
        if not match:
            continue
        parts = dict(zip(order, match.groups(), strict=True))
        month = _MONTHS[parts["M"].lower()] if "M" in parts else int(parts["m"])
        try:
            return date(int(parts["y"]), month, int(parts["d"])).isoformat()
        except ValueError:
            continue
    return None


def _as_text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None
