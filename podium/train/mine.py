"""Mine (question, answering passage) pairs from transcripts, with hard negatives.

A question turn (Q, QUESTION, MODERATOR…) that the next turn, by a different speaker, answers
is a positive pair. Negatives for a question: other answer turns of the same transcript and
answer turns that a keyword (BM25) search finds in other transcripts. An answer turn that
deflects ("I don't have anything for you on that") is kept as a negative for its own question:
a passage on the topic that does not answer. A transcript whose sha1(doc_id) ends in "0" is the
validation split on every machine and is never trained on.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from podium.ingest.loaders import RawDocument, discover, load_file
from podium.ingest.parse import QUESTIONERS, parse_document
from podium.qa.retrieve import keyword_terms
from podium.text import sentences

MIN_QUESTION_WORDS = 8
MIN_ANSWER_WORDS = 12
PASSAGE_CHARS = 1_200  # an answer turn is cut here (the model reads ~100 word pieces of it)
SAME_DOC_NEGATIVES = 2
RETRIEVED_NEGATIVES = 2
RAREST_WORDS = 6  # the question words a negatives search matches
SHORT_SHARE = 0.3  # questions also trained on as their last sentence alone (staff ask shorter)
EXTENSIONS = [".txt", ".md", ".html", ".htm", ".jsonl", ".jsonl.gz"]
_LABEL = re.compile(r"^\s*(?:Q\s*:?|(?:[A-Z][A-Z.'’\-]*\s+){0,5}[A-Z][A-Z.'’\-]*[A-Z.]\s*:)\s+")
_GREETING = re.compile(
    r"^(?:(?:thanks?|thank you)(?: (?:so|very) much)?(?:,? [A-Z][a-z]+(?: [A-Z][a-z]+)?)?"
    r"|(?:hi|hello|hey|good (?:morning|afternoon|evening))(?:,? (?:everyone|all|"
    r"[A-Z][a-z]+(?: [A-Z][a-z]+)?))?|(?:yes|yeah|okay|ok|sure|great|sir|ma'am)"
    r"|(?:mr\.?|mrs\.?|ms\.?|madam|madame) (?:secretary|president|ambassador|[A-Z][a-z]+)"
    r"|(?:a|one|two|just a|quick|a quick|a couple of)(?: quick| follow-up| couple)? "
    r"(?:questions?|follow-ups?|things?)(?: for you)?(?: on [^.?!:]{1,40})?"
    r"|my (?:first |second )?question is|i wanted to ask(?: you)?|i have a question"
    r"|so|and|but|well)\s*[,.!:;—–-]+\s*", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")
_DEFLECTION = re.compile(
    r"\b(?:I don'?t have (?:anything|an update|any(?: more)? (?:details|updates?|information))"
    r"|(?:I'd|I would|I'm going to|I will|I'll) (?:have to )?refer you"
    r"|not going to get ahead of|I'm not going to (?:comment|speak to|get into)"
    r"|I don'?t have (?:a|any) comment|I'm not aware of|nothing to announce"
    r"|don'?t have (?:more|anything more) to share)", re.IGNORECASE)


@dataclass(frozen=True)
class QATurn:
    """A question turn and the turn that answers it, as plain text."""

    doc_id: str
    question: str
    answer: str
    deflects: bool


@dataclass
class Example:
    """One training or validation question with its passages (positive first, if any)."""

    doc_id: str
    question: str
    positive: str | None
    negatives: list[str] = field(default_factory=list)
    split: str = "train"


def is_validation(doc_id: str) -> bool:
    """True for the held-out transcripts: sha1(doc_id) ends in the hex digit 0."""
    return hashlib.sha1(doc_id.encode("utf-8")).hexdigest().endswith("0")


def read_documents(paths: list[Path], max_bytes: int = 50_000_000) -> Iterator[RawDocument]:
    """Every document that `podium ingest` would read from these files or folders."""
    for found in discover(paths, EXTENSIONS):
        if not isinstance(found, tuple):
            continue
        file, root = found
        for item in load_file(file, root, max_bytes=max_bytes):
            if isinstance(item, RawDocument):
                yield item


def clean_question(text: str) -> str:
    """A question turn without its label, greetings and preambles ("Thanks, Jake.")."""
    text = " ".join(_LABEL.sub("", text, count=1).split())
    for _ in range(4):
        stripped = _GREETING.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped[:1].upper() + stripped[1:]
    return text


def stands_alone(question: str) -> bool:
    """A question long enough to be asked without the turns before it."""
    words = question.split()
    return (len(words) >= MIN_QUESTION_WORDS and "?" in question
            and not re.match(r"(?i)^(and|also|so|what about|how about)\b[^?]{0,45}\?", question))


def last_sentence(question: str) -> str | None:
    """A question's last sentence alone, when it is a question that stands alone."""
    spans = sentences(question)
    if len(spans) < 2:
        return None
    last = question[spans[-1][0]:spans[-1][1]].strip()
    return last if last.endswith("?") and len(last.split()) >= 6 else None


def qa_turns(doc: RawDocument) -> list[QATurn]:
    """Every question turn answered by the next turn of a different, non-questioner speaker."""
    parsed = parse_document(doc.doc_id, doc.text, doc.metadata)
    turns: list[QATurn] = []
    segments = parsed.segments
    for asked, answered in itertools.pairwise(segments):
        if (asked.speaker or "").upper() not in QUESTIONERS:
            continue
        if not answered.speaker or answered.speaker.upper() in QUESTIONERS:
            continue
        question = clean_question(_text(doc.text, asked.spans))
        answer = " ".join(_LABEL.sub("", _text(doc.text, answered.spans), count=1).split())
        if not stands_alone(question) or len(answer.split()) < MIN_ANSWER_WORDS:
            continue
        turns.append(QATurn(doc.doc_id, question, answer[:PASSAGE_CHARS],
                            bool(_DEFLECTION.search(answer[:300]))))
    return turns


def _text(text: str, spans: list[tuple[int, int]]) -> str:
    return "\n\n".join(text[s:e] for s, e in spans)


class AnswerIndex:
    """Answer turns of every transcript in an in-memory SQLite FTS5 index (BM25)."""

    def __init__(self, turns: Iterable[QATurn]) -> None:
        self._conn = sqlite3.connect(":memory:")
        self._conn.execute("CREATE VIRTUAL TABLE answers USING fts5(doc_id UNINDEXED, answer)")
        self._df: Counter[str] = Counter()
        for turn in turns:
            self._df.update(set(_WORD.findall(turn.answer.lower())))
            self._conn.execute("INSERT INTO answers VALUES (?, ?)", (turn.doc_id, turn.answer))

    def search(self, question: str, exclude_doc: str, limit: int) -> list[str]:
        """The best-matching answer turns of transcripts other than exclude_doc, by the
        question's rarest words (as answering's keyword search ranks them)."""
        words = [w for w in keyword_terms(question) if self._df[w] > 0 and '"' not in w]
        words = sorted(words, key=lambda w: self._df[w])[:RAREST_WORDS]
        if not words:
            return []
        query = " OR ".join('"' + w + '"' for w in words)
        rows = self._conn.execute(
            "SELECT answer FROM answers WHERE answers MATCH ? AND doc_id != ? "
            "ORDER BY bm25(answers) LIMIT ?", (query, exclude_doc, limit))
        return [r[0] for r in rows]


def build_examples(turns: list[QATurn], *, seed: int = 0, limit: int | None = None,
                   retrieved: int = RETRIEVED_NEGATIVES, same_doc: int = SAME_DOC_NEGATIVES,
                   index: AnswerIndex | None = None) -> list[Example]:
    """One example per question turn (a random `limit` of them, when given): its answer (None
    when the answer deflects), other answer turns of its transcript and keyword-retrieved
    answer turns of other transcripts."""
    rng = random.Random(seed)
    index = index or AnswerIndex(turns)
    by_doc: dict[str, list[QATurn]] = {}
    for turn in turns:
        by_doc.setdefault(turn.doc_id, []).append(turn)
    chosen = turns if limit is None or limit >= len(turns) else rng.sample(turns, limit)
    examples: list[Example] = []
    for turn in chosen:
        others = [t.answer for t in by_doc[turn.doc_id] if t.answer != turn.answer]
        negatives = rng.sample(others, min(same_doc, len(others)))
        negatives += [a for a in index.search(turn.question, turn.doc_id, retrieved + 3)
                      if a not in negatives][:retrieved]
        split = "validation" if is_validation(turn.doc_id) else "train"
        positive = None if turn.deflects else turn.answer
        if turn.deflects:
            negatives.insert(0, turn.answer)
        question = turn.question
        short = last_sentence(question)
        if short and split == "train" and rng.random() < SHORT_SHARE:
            question = short
        examples.append(Example(turn.doc_id, question, positive, negatives, split))
    return examples


def mine(paths: list[Path], *, seed: int = 0) -> tuple[list[QATurn], list[Example]]:
    """The question/answer turns of these inputs and the examples built from them."""
    turns = [t for doc in read_documents(paths) for t in qa_turns(doc)]
    return turns, build_examples(turns, seed=seed)
