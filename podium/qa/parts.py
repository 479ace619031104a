"""Multi-part questions: split "What did X say about A, and which B did Y choose?" into parts.

Each part is retrieved and given evidence of its own, so that a question asking two things
does not get passages about only the first (the parts share one answer).
"""

from __future__ import annotations

import re

# A second question starts at ", and" / "; and" / " and" followed by a question phrase,
# at a new "?" sentence, or at a ", and at/in/on/for …" that continues the first question's ask.
_WH = r"(?:what|which|who|whom|whose|when|where|why|how)"
_SPLIT = re.compile(
    rf"(?:[,;:]\s*|\s+)(?:and|but|also)\s+(?=(?:(?:in|on|at|for|from|by|with|to|of)\s+)?{_WH}\b)"
    rf"|[,;]\s*and\s+(?=(?:in|on|at|for|during)\s+the\b)"
    r"|(?<=\?)\s+(?=\S)",
    re.IGNORECASE)
MIN_PART_WORDS = 4
MAX_PARTS = 3


def question_parts(question: str) -> list[str]:
    """The question's parts, in order; one part (the question) when it asks one thing."""
    pieces = [p.strip(" ,;:") for p in _SPLIT.split(question.strip())]
    parts: list[str] = []
    for piece in pieces:
        if not piece:
            continue
        if parts and len(piece.split()) < MIN_PART_WORDS:
            parts[-1] = f"{parts[-1]} and {piece}"  # too short to stand alone
        else:
            parts.append(piece)
    if len(parts) > MAX_PARTS:
        parts = [*parts[: MAX_PARTS - 1], " ".join(parts[MAX_PARTS - 1:])]
    return parts if len(parts) > 1 else [question.strip()]


_SPECIFIC = re.compile(r"(?<!^)\b(?:[A-Z][\w'’\-]*|\d[\d,.]*)")


def part_queries(parts: list[str]) -> list[str]:
    """Search text for each part: a later part that names nothing specific of its own ("what
    did each come to talk about?") borrows the names, dates and numbers of the first part."""
    if len(parts) < 2:
        return parts
    context = " ".join(dict.fromkeys(m.group(0) for m in _SPECIFIC.finditer(parts[0])))
    return [parts[0], *(p if _SPECIFIC.search(p) or not context else f"{p} ({context})"
                        for p in parts[1:])]
