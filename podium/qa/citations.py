"""The [n] marker grammar shared by the composer, the grounding check and the eval."""

from __future__ import annotations

import re

MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")  # [1], [1, 2], [1; 2]
NO_ANSWER = re.compile(
    r"\b(?:(?:do(?:es)?\s+not|don'?t|doesn'?t|cannot|can'?t)\s+"
    r"(?:say|mention|contain|provide|specify|answer|tell|find|determine|include)"
    r"|not\s+(?:mentioned|provided|stated|specified|available|found|included)"
    r"|no\s+(?:information|mention|passage))\b",
    re.IGNORECASE,
)


def marker_numbers(match: re.Match[str]) -> list[int]:
    """The passage numbers one MARKER match names, in order."""
    return [int(n) for n in re.split(r"\s*[,;]\s*", match.group(1))]


def says_no_answer(text: str) -> bool:
    """True when the model's reply itself says the passages do not answer."""
    return bool(NO_ANSWER.search(text)) or not text.strip()
