"""The answer contract shared by the CLI (`ask --json`), the UI and the evaluation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Citation:
    """Exact words of one transcript: original_text[start:end] == quote."""

    n: int
    doc_id: str
    title: str
    date: str | None
    speaker: str | None
    quote: str
    start: int
    end: int


@dataclass(frozen=True)
class Source:
    """An evidence passage the model was shown, with the scores that chose it."""

    doc_id: str
    title: str
    date: str | None
    speaker: str | None
    quote: str
    start: int
    end: int
    score: float
    similarity: float


@dataclass
class Answer:
    """A question's answer with numbered citations, or an abstention."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    timings_ms: dict[str, int] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)
    standalone_question: str = ""
    sources: list[Source] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)
    reply: str = ""  # the writer's raw reply, before the sentence checks
    usage: dict[str, int] = field(default_factory=dict)  # prompt_tokens, where the model says

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of DESIGN.md, keys in contract order, then the extensions."""
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [asdict(c) for c in self.citations],
            "timings_ms": dict(self.timings_ms),
            "models": dict(self.models),
            "standalone_question": self.standalone_question or self.question,
            "sources": [asdict(s) for s in self.sources],
            "retrieved": list(self.retrieved),
            "reply": self.reply,
            "usage": dict(self.usage),
        }


@dataclass(frozen=True)
class Standalone:
    """Stream event: the follow-up was rewritten into this standalone question."""

    question: str


@dataclass(frozen=True)
class Found:
    """Stream event, before any answer text: what the searches found. First the retrieved
    chunks (score = similarity: their cosine to the question), right after the searches; then,
    with shown=True, the passages chosen for the model to answer from. Each replaces the last."""

    sources: list[Source]
    shown: bool = False
    # with shown=True: the passage most likely to answer, at its exact offsets, when Podium
    # will answer (None when it abstains); shown before the model writes
    best: Source | None = None

    @property
    def transcripts(self) -> list[Source]:
        """The first source of each transcript, in order."""
        first: dict[str, Source] = {}
        for source in self.sources:
            first.setdefault(source.doc_id, source)
        return list(first.values())


def found_line(found: Found, titles: int = 3) -> str:
    """One line on what was found: "found 8 passages in 3 transcripts: A (date); B; C"."""
    if not found.sources:
        return "no passage found"
    docs = found.transcripts
    named = "; ".join(s.title + (f" ({s.date})" if s.date else "") for s in docs[:titles])
    more = f" and {len(docs) - titles} more" if len(docs) > titles else ""
    passages = "passage" if len(found.sources) == 1 else "passages"
    transcripts = "transcript" if len(docs) == 1 else "transcripts"
    return (f"found {len(found.sources)} {passages} in {len(docs)} {transcripts}: "
            f"{named}{more}")


@dataclass(frozen=True)
class Delta:
    """Stream event: append this text to the answer shown."""

    text: str


@dataclass(frozen=True)
class Revised:
    """Stream event: the text shown so far is replaced by this one (abstention, fallback)."""

    text: str


@dataclass(frozen=True)
class Done:
    """Stream event: the finished, checked answer."""

    answer: Answer


Event = Standalone | Found | Delta | Revised | Done


def final_answer(events: Iterable[Event]) -> Answer:
    """Run an answer stream to its end; the Done event's answer."""
    for event in events:
        if isinstance(event, Done):
            return event.answer
    raise AssertionError("the answer stream ended without an answer")
