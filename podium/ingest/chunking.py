"""Chunk parsed documents: sentence-aligned, sized in tiktoken tokens, one speaker per chunk."""

from __future__ import annotations

from dataclasses import dataclass

from podium.ingest.parse import ParsedDocument
from podium.text import Span, count_tokens, sentences, word_spans

# No cl100k token is longer than this many characters (runs of spaces are the longest).
LONGEST_TOKEN = 128


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
    """Split every segment into chunks of at most max_tokens, breaking between sentences.

    The cap is hard: a sentence longer than the budget is cut between words, and a word longer
    than the budget (a run of characters without spaces) is cut between characters.
    """
    chunks: list[Chunk] = []
    for segment in doc.segments:
        label = count_tokens(segment.speaker) + 1 if segment.speaker else 0
        budget = max(max_tokens // 4, max_tokens - label)  # a huge label must not eat it all
        units: list[Span] = []
        for p_start, p_end in segment.spans:
            for span in sentences(doc.text, p_start, p_end):
                units.extend(_fit(doc.text, span, budget))
        for start, end in _pack(doc.text, units, budget):
            chunks.append(Chunk(doc.doc_id, len(chunks), start, end, segment.speaker,
                                doc.text[start:end]))
    return chunks


def _tokens(text: str, span: Span, budget: int) -> int:
    """Tokens in text[span]; budget + 1, uncounted, for a span too long to fit in any case."""
    start, end = span
    if end - start > LONGEST_TOKEN * budget:
        return budget + 1
    return count_tokens(text[start:end])


def _pack(text: str, units: list[Span], budget: int) -> list[Span]:
    """Join consecutive units (each within the budget) into spans within the budget."""
    packed: list[Span] = []
    for group in _groups(text, units, budget):
        span = (group[0][0], group[-1][1])
        if len(group) == 1 or _tokens(text, span, budget) <= budget:
            packed.append(span)
        else:  # the estimate was short (tokens merge across the joins): count exactly
            packed.extend(_pack_exactly(text, group, budget))
    return packed


def _groups(text: str, units: list[Span], budget: int) -> list[list[Span]]:
    """Units grouped greedily by an estimate: the units' tokens plus those of the gaps."""
    groups: list[list[Span]] = []
    current_tokens = 0
    for unit in units:
        tokens = _tokens(text, unit, budget)
        if groups:
            gap = (groups[-1][-1][1], unit[0])
            joint = 1 if gap[1] - gap[0] <= 1 else _tokens(text, gap, budget)
            if current_tokens + joint + tokens <= budget:
                groups[-1].append(unit)
                current_tokens += joint + tokens
                continue
        groups.append([unit])
        current_tokens = tokens
    return groups


def _pack_exactly(text: str, units: list[Span], budget: int) -> list[Span]:
    packed: list[Span] = []
    for unit in units:
        if packed and _tokens(text, (packed[-1][0], unit[1]), budget) <= budget:
            packed[-1] = (packed[-1][0], unit[1])
        else:
            packed.append(unit)
    return packed


def _fit(text: str, span: Span, budget: int) -> list[Span]:
    """A sentence longer than the budget is cut between words into pieces that fit."""
    if _tokens(text, span, budget) <= budget:
        return [span]
    pieces: list[Span] = []
    for word in word_spans(text, *span):
        pieces.extend(_cut_word(text, word, budget))
    return _pack(text, pieces, budget)


def _cut_word(text: str, span: Span, budget: int) -> list[Span]:
    """A word longer than the budget is cut between characters into pieces that fit."""
    if _tokens(text, span, budget) <= budget:
        return [span]
    pieces: list[Span] = []
    start, end = span
    width = 4 * budget  # characters to try first; adjusted to what the last piece held
    while start < end:
        stop = min(end, start + width)
        tokens = count_tokens(text[start:stop])
        while tokens > budget and stop - start > 1:  # shrinks strictly to one character
            stop = start + max(1, (stop - start) * budget // (tokens + 1))
            tokens = count_tokens(text[start:stop])
        pieces.append((start, stop))
        width = max(8, (stop - start) * 5 // 4)
        start = stop
    return pieces
