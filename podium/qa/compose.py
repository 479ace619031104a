"""Compose the shown answer from the model's reply, token by token or all at once.

The reply is cut into sentences as it arrives. The words of the sentence being written are
shown at once; its [n] markers and final punctuation are held until the sentence is complete
and checked (podium.qa.support). A kept sentence then gets its citations, renumbered 1..n by
first use, before its full stop ("claim [1]."); a marker that does not resolve is never
shown. A sentence that fails the check is visibly marked in the stream and left out of the
final answer. Streaming and non-streaming answers go through this one path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from podium.qa.citations import MARKER, marker_numbers
from podium.qa.evidence import Passage
from podium.qa.schema import Citation
from podium.qa.support import SentenceChecker, Verdict
from podium.text import sentences

_LEADING_MARKERS = re.compile(rf"(?:\s*{MARKER.pattern})+")
_SPACED_MARKER = re.compile(r"\s*" + MARKER.pattern)
_PARTIAL_MARKER = re.compile(r"\s*\[[\d,;\s]*$")
_END_PUNCT = re.compile(r"[.!?…]+$")
REMOVED = {
    "meta": "not an answer",
    "ungrounded": "names or numbers that are not in the transcripts",
    "echo": "restates the question",
    "unsupported": "no transcript passage supports it",
    "number": "a number that the passage it cites does not state",
}


@dataclass
class Composer:
    """Feeds on reply text; returns what to show; keeps the checked sentences."""

    checker: SentenceChecker
    passages: list[Passage]
    reply: str = ""
    kept: list[str] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    _pending: str = ""
    _shown: int = 0
    _numbering: dict[int, int] = field(default_factory=dict)

    def feed(self, delta: str) -> str:
        """Take the next piece of the reply; return the text to show now."""
        self.reply += delta
        self._pending += delta
        out = []
        while (split := self._complete_sentence()) is not None:
            sentence, self._pending = split
            out.append(self._finish(sentence))
        out.append(self._progress())
        return "".join(out)

    def close(self) -> str:
        """The reply is complete: check its last sentence; return the text to show."""
        out = self._finish(self._pending) if self._pending.strip() else ""
        self._pending = ""
        return out

    @property
    def text(self) -> str:
        """The final answer: the kept sentences with their renumbered citations."""
        return " ".join(self.kept)

    def citations(self) -> list[Citation]:
        """The citations, numbered 1..n in order of first use."""
        by_new = sorted(self._numbering.items(), key=lambda item: item[1])
        return [_citation(new, self.passages[old - 1]) for old, new in by_new]

    def drop(self, passages: set[int]) -> bool:
        """Leave out the kept sentences that cite any of these passages (1-based), renumbering
        the citations of the rest; True when a sentence was left out."""
        old_of = {new: old for old, new in self._numbering.items()}
        kept: list[str] = []
        numbering: dict[int, int] = {}
        for sentence in self.kept:
            cited = [old_of[n] for m in MARKER.finditer(sentence) for n in marker_numbers(m)]
            if passages & set(cited):
                continue
            for old in cited:
                numbering.setdefault(old, len(numbering) + 1)
            kept.append(MARKER.sub(lambda m: "".join(
                f"[{numbering[old_of[n]]}]" for n in marker_numbers(m)), sentence))
        dropped = len(kept) < len(self.kept)
        self.kept, self._numbering = kept, numbering
        return dropped

    def _complete_sentence(self) -> tuple[str, str] | None:
        """(first sentence with its trailing markers, rest) once the next sentence has begun."""
        spans = sentences(self._pending)
        if len(spans) < 2:
            return None
        boundary = spans[1][0]
        markers = _LEADING_MARKERS.match(self._pending, boundary)
        end = markers.end() if markers else boundary
        rest = self._pending[end:]
        if not rest.strip() or _PARTIAL_MARKER.fullmatch(rest):
            return None  # more markers may follow, or one is half written ("this. [")
        return self._pending[:end], self._pending[end:]

    def _visible(self, raw: str) -> str:
        body = _SPACED_MARKER.sub("", raw)
        body = _PARTIAL_MARKER.sub("", body)
        return body.strip()

    def _progress(self) -> str:
        visible = _END_PUNCT.sub("", self._visible(self._pending)).rstrip()
        return self._show(visible)

    def _show(self, visible: str) -> str:
        if len(visible) <= self._shown:
            return ""
        lead = " " if self._shown == 0 and (self.kept or self.verdicts) else ""
        out, self._shown = lead + visible[self._shown:], len(visible)
        return out

    def _finish(self, raw: str) -> str:
        cited = [n for m in MARKER.finditer(raw) for n in marker_numbers(m)]
        full = self._visible(raw)
        if not full:
            return ""
        punct_match = _END_PUNCT.search(full)
        punct = punct_match.group(0) if punct_match else ""
        body = full[: len(full) - len(punct)].rstrip()
        out = self._show(body)
        verdict = self.checker.check(body, [n for n in cited if 1 <= n <= len(self.passages)])
        self.verdicts.append(verdict)
        self._shown = 0
        if not verdict.kept:
            return out + punct + f" ⟨removed: {verdict.detail or REMOVED[verdict.reason]}⟩"
        marks = "".join(f"[{self._number(n)}]" for n in verdict.passages)
        self.kept.append(f"{body} {marks}{punct}")
        return out + f" {marks}{punct}"

    def _number(self, passage: int) -> int:
        return self._numbering.setdefault(passage, len(self._numbering) + 1)


def _citation(n: int, p: Passage) -> Citation:
    return Citation(n=n, doc_id=p.doc_id, title=p.title, date=p.date, speaker=p.speaker,
                    quote=p.text, start=p.start, end=p.end)
