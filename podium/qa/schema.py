"""The answer contract shared by the CLI (`ask --json`), the UI and the evaluation."""

from __future__ import annotations

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


@dataclass
class Answer:
    """A question's answer with numbered citations, or an abstention."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    timings_ms: dict[str, int] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of DESIGN.md, keys in contract order."""
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [asdict(c) for c in self.citations],
            "timings_ms": dict(self.timings_ms),
            "models": dict(self.models),
        }
