"""Text helpers shared by ingestion and answering: sentences with offsets, terms, tokens."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

Span = tuple[int, int]

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")
_SENTENCE_END = re.compile(r"[.!?…]+[\"”’')\]]*(?=\s)")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st sen rep gen gov amb adm lt col sgt capt prof jr sr vs no inc corp co "
    "u.s u.k u.n e.g i.e etc jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
_QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”')
_PHRASE_WORD = re.compile(r"\w+")
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his
    how i if in into is it its itself just me more most my myself no nor not now of off
    on once only or other our ours ourselves out over own same she should so some such
    than that the their theirs them themselves then there these they this those through
    to too under until up very was we were what when where which while who whom why will
    with would you your yours yourself yourselves said say says tell told according
    mention mentioned did does do which what whose transcript transcripts document""".split()
)


def paragraphs(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Non-empty paragraph spans (separated by blank lines), trimmed of whitespace."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    cursor = start
    for match in _PARAGRAPH_BREAK.finditer(text, start, end):
        spans.extend(_trimmed(text, cursor, match.start()))
        cursor = match.end()
    spans.extend(_trimmed(text, cursor, end))
    return spans


def sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence spans within text[start:end], never crossing a paragraph break."""
    out: list[Span] = []
    for p_start, p_end in paragraphs(text, start, end):
        cursor = p_start
        for match in _SENTENCE_END.finditer(text, p_start, p_end):
            if _is_abbreviation(text, cursor, match.start()):
                continue
            nxt = _next_nonspace(text, match.end(), p_end)
            if nxt is not None and not (nxt.isupper() or nxt.isdigit() or nxt in "\"“‘'(["):
                continue
            out.extend(_trimmed(text, cursor, match.end()))
            cursor = match.end()
        out.extend(_trimmed(text, cursor, p_end))
    return out


def quoted_phrases(question: str) -> list[str]:
    """The words a question quotes, lower-cased, two words or more ('who said "our team is
    make-believe"?' -> "our team is make believe")."""
    phrases = []
    for match in _QUOTED.finditer(question):
        words = _PHRASE_WORD.findall((match.group(1) or match.group(2)).lower())
        if len(words) > 1:
            phrases.append(" ".join(words))
    return list(dict.fromkeys(phrases))


def says_phrase(text: str, phrase: str) -> bool:
    """The text has the phrase's words in a row (case and punctuation aside)."""
    return f" {phrase} " in f" {' '.join(_PHRASE_WORD.findall(text.lower()))} "


def terms(text: str) -> list[str]:
    """Lower-cased, lightly stemmed content words (stopwords dropped)."""
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


def stem(word: str) -> str:
    """A deliberately small stemmer: possessives and plural endings only."""
    word = word.replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@functools.cache
def _encoding() -> Any:
    import tiktoken

    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        import llama_index.core

        cache = Path(llama_index.core.__file__).parent / "_static" / "tiktoken_cache"
        os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    return tiktoken.get_encoding("cl100k_base")


def count_tokens(text: str) -> int:
    """Number of tiktoken (cl100k_base) tokens in text."""
    return len(_encoding().encode(text, disallowed_special=()))


def word_spans(text: str, start: int, end: int) -> Iterator[Span]:
    """Whitespace-separated word spans inside text[start:end]."""
    for match in re.finditer(r"\S+", text[start:end]):
        yield start + match.start(), start + match.end()


def _trimmed(text: str, start: int, end: int) -> list[Span]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [(start, end)] if start < end else []


def _is_abbreviation(text: str, sentence_start: int, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word_start = dot
    while word_start > sentence_start and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:dot].lower().lstrip("(\"“‘'")
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _next_nonspace(text: str, pos: int, end: int) -> str | None:
    while pos < end and text[pos].isspace():
        pos += 1
    return text[pos] if pos < end else None


def shorten(text: str, limit: int = 80) -> str:
    """text on one line, cut at a word boundary with "…" when longer than limit characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


def lone_surrogate(text: str) -> int | None:
    """Offset of the first lone UTF-16 surrogate in text (not valid Unicode), or None."""
    match = _SURROGATE.search(text)
    return match.start() if match else None

