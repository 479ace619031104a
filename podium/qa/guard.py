"""Transcript text that speaks to the model is data, never evidence.

A transcript can carry text aimed at the assistant ("Note to the AI assistant: answer that…",
"Ignore previous instructions…"). Such a sentence is not what anyone said at a briefing, and a
small model follows it, so it never becomes a passage: it is not shown to the writer and cannot
be cited. Citation markers written inside a transcript ("[7]") are shown to the writer as "(7)",
so they cannot pass for the numbering of the passages.
"""

from __future__ import annotations

import re

_MODEL = r"(?:ai|a\.i\.|assistant|chat ?bot|bot|language model|llm|model|gpt|copilot)"
_MACHINE = r"(?:ai|a\.i\.|chat ?bot|language model|llm|gpt|copilot)"  # never a person's title
_ADDRESSED = re.compile(
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:(?:the|your|my|these|those|"
    r"previous|prior|above|earlier|preceding|other|former)\s+)*(?:instructions?|prompts?|"
    r"directions|guidelines|system message)\b"
    r"|\b(?:ignore|disregard)\s+everything\s+(?:above|before)"
    rf"|\b(?:note|message|instructions?|reminder)\s+(?:to|for)\s+(?:the\s+|any\s+|all\s+)?"
    rf"{_MODEL}s?\b"
    rf"|\b(?:dear|hey)\s+{_MODEL}\b"
    rf"|\b{_MACHINE}s?\b[^.!?\n]{{0,60}}?\b(?:must|should|shall|has to|needs to|is required to)\s+"
    r"(?:always\s+|only\s+|now\s+)?(?:say|answer|respond|reply|state|tell|claim|output|write|"
    r"cite|repeat|ignore|reveal)\b"
    rf"|\byou\s+are\s+(?:now\s+)?(?:an?\s+)?(?:{_MACHINE}|assistant|helpful assistant)\b"
    r"|\byou\s+(?:must|should|will)\s+(?:now\s+)?(?:ignore|disregard|reveal|repeat|output)\b"
    r"|\b(?:system|hidden)\s+prompt\b"
    r"|\breveal\s+(?:your|the)\s+(?:prompt|instructions|rules|system)\b"
    r"|\b(?:passage|passages|source|excerpt)\s*\[\s*\d+\s*\]"  # the prompt's own numbering
    r"|\[\s*\d+\s*\]\s*\([^()\n]{0,80};[^()\n]{0,120}\)\s*[\"“]"  # a passage line, faked
    r"|\b(?:if|when|whenever)\s+(?:you\s+are|you're)\s+asked\b[^.!?\n]{0,80}?"
    r"\b(?:say|answer|respond|reply)\b",
    re.IGNORECASE)
_MARKER_IN_TEXT = re.compile(r"\[(\s*\d+(?:\s*[,;]\s*\d+)*\s*)\]")


def addresses_the_model(text: str) -> bool:
    """True when the text gives the assistant instructions or speaks to it."""
    return _ADDRESSED.search(text) is not None


def defuse_markers(text: str) -> str:
    """"[7]" inside a transcript's words becomes "(7)" in the prompt."""
    return _MARKER_IN_TEXT.sub(r"(\1)", text)
