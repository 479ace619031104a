"""Chunk parsed documents: sentence-aligned, sized in tiktoken tokens, one speaker per chunk."""

from __future__ import annotations

from dataclasses import dataclass

from podium.ingest.parse import ParsedDocument
from podium.text import Span, count_tokens, sentences, word_spans


@dataclass(frozen=True)
class Chunk:
    """A span of a document's original text, spoken by one speaker."""

    doc_id: str
    index: int
    start: int
    end: int
    speaker: str | None
    text: str

    def embedding_text(self) -> str:
        """What is embedded: the text, led by its speaker when the text does not name it."""
        if self.speaker and not self.text.startswith(self.speaker):
            return f"{self.speaker}: {self.text}"
        return self.text


def chunk_document(doc: ParsedDocument, max_tokens: int) -> list[Chunk]:
    """Split every segment into chunks of at most max_tokens, breaking between sentences."""
    chunks: list[Chunk] = []
    for segment in doc.segments:
        budget = max_tokens - (count_tokens(segment.speaker) + 1 if segment.speaker else 0)
        units: list[Span] = []
        for p_start, p_end in segment.spans:
            for span in sentences(doc.text, p_start, p_end):
                units.extend(_fit(doc.text, span, budget))
        for start, end in _pack(doc.text, units, budget):
            chunks.append(Chunk(doc.doc_id, len(chunks), start, end, segment.speaker,
                                doc.text[start:end]))
    return chunks


def _pack(text: str, units: list[Span], budget: int) -> list[Span]:
    packed: list[Span] = []
    current: Span | None = None
    current_tokens = 0
    for start, end in units:
        tokens = count_tokens(text[start:end])
        if current is not None and current_tokens + tokens + 1 <= budget:
            current = (current[0], end)
            current_tokens += tokens + 1
        else:
            if current is not None:
                packed.append(current)
            current, current_tokens = (start, end), tokens
    if current is not None:
        packed.append(current)
    return packed


def _fit(text: str, span: Span, budget: int) -> list[Span]:
    """A sentence longer than the budget is cut between words into pieces that fit."""
    if count_tokens(text[span[0]:span[1]]) <= budget:
        return [span]
    pieces: list[Span] = []
    piece_start: int | None = None
    piece_end = span[0]
    piece_tokens = 0
    for w_start, w_end in word_spans(text, *span):
        tokens = count_tokens(" " + text[w_start:w_end])
        if piece_start is None:
            piece_start, piece_tokens = w_start, tokens
        elif piece_tokens + tokens > budget:
            pieces.append((piece_start, piece_end))
            piece_start, piece_tokens = w_start, tokens
        else:
            piece_tokens += tokens
        piece_end = w_end
    if piece_start is not None:
        pieces.append((piece_start, piece_end))
    return pieces
