"""Turn the model's [n] markers into verified citations; drop every marker that fails."""

from __future__ import annotations

import re
from collections.abc import Callable

from podium.qa.evidence import Passage
from podium.qa.schema import Citation
from podium.text import terms

MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")  # [1], [1, 2], [1; 2]
_SPACED_MARKER = re.compile(r"\s*" + MARKER.pattern)
SUPPORT_THRESHOLD = 0.5
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


def resolve_citations(answer: str, passages: list[Passage],
                      original_text: Callable[[str], str | None]) -> tuple[str, list[Citation]]:
    """Renumber valid markers 1..n by first use, remove the rest, verify every quote.

    A marker is valid when it names a passage whose quote is verbatim at its offsets in the
    stored document. When the model cited nothing, each answer sentence that a passage
    clearly supports gets that passage's marker.
    """
    texts = {doc_id: original_text(doc_id) for doc_id in {p.doc_id for p in passages}}
    verified = {i + 1 for i, p in enumerate(passages)
                if (text := texts[p.doc_id]) is not None and text[p.start:p.end] == p.text}
    if not MARKER.search(answer):
        answer = _cite_supported_sentences(answer, passages, verified)
    numbering: dict[int, int] = {}

    def renumber(match: re.Match[str]) -> str:
        out = []
        for n in marker_numbers(match):
            if n in verified:
                numbering.setdefault(n, len(numbering) + 1)
                out.append(f"[{numbering[n]}]")
        return " " + "".join(dict.fromkeys(out)) if out else ""

    text = _SPACED_MARKER.sub(renumber, answer)
    text = re.sub(r"([.!?])((?:\s*\[\d+\])+)", r"\2\1", text)  # "claim. [1]" -> "claim [1]."
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    citations = [
        _citation(new, passages[old - 1])
        for old, new in sorted(numbering.items(), key=lambda item: item[1])
    ]
    return text, citations


def _citation(n: int, p: Passage) -> Citation:
    return Citation(n=n, doc_id=p.doc_id, title=p.title, date=p.date, speaker=p.speaker,
                    quote=p.text, start=p.start, end=p.end)


def _cite_supported_sentences(answer: str, passages: list[Passage], verified: set[int]) -> str:
    """Append [n] to each sentence whose content words a verified passage mostly contains."""
    pieces = re.split(r"(?<=[.!?])\s+", answer.strip())
    cited = []
    for piece in pieces:
        words = set(terms(piece))
        best, best_share = 0, 0.0
        for n in sorted(verified):
            share = len(words & set(terms(passages[n - 1].text))) / len(words) if words else 0.0
            if share > best_share:
                best, best_share = n, share
        if best and best_share >= SUPPORT_THRESHOLD:
            stripped = piece.rstrip(".!?")
            piece = f"{stripped} [{best}]{piece[len(stripped):]}"
        cited.append(piece)
    return " ".join(cited)
