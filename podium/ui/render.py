"""HTML for the chat page. Every transcript or answer string is escaped here, nowhere else."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from html import escape

from podium.qa.citations import MARKER
from podium.qa.schema import Answer, Citation, Found, Source
from podium.vectorstore.docstore import StoredDocument

_MARKDOWN_PUNCTUATION = re.compile("[" + re.escape(string.punctuation) + "]")


@dataclass
class Turn:
    """One question and its answer as the page shows it."""

    question: str
    text: str = ""
    state: str = "streaming"  # streaming | done | abstained | error
    answer: Answer | None = None
    standalone: str = ""
    found: str = ""  # what the searches found, shown until the answer is done
    best: Source | None = None  # the passage most likely to answer, shown before the answer


def _answer_text(text: str) -> str:
    """Escaped answer text with [n] markers as superscript chips."""
    return MARKER.sub(r'<sup class="cite">[\1]</sup>', escape(text))


def markdown_text(text: str) -> str:
    """Text shown as itself in a Markdown component: every ASCII punctuation mark escaped, so
    no file name or id becomes a link, an image (which the browser would fetch) or HTML."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\g<0>", text)


def status_lines(lines: list[str]) -> str:
    """Status messages for a Markdown component: each line escaped, with a line break."""
    return "  \n".join(markdown_text(part.strip()) for line in lines
                        for part in line.splitlines() if part.strip())


def citation_label(c: Citation) -> str:
    """The chip label of a citation: [n] speaker · title."""
    who = c.speaker.title() if c.speaker else "Unattributed"
    return f"[{c.n}] {who} · {c.title}"[:90]


BEST = "Best passage"


def best_label(s: Source) -> str:
    """The chip label of the best passage: Best passage · speaker · title."""
    who = s.speaker.title() if s.speaker else "Unattributed"
    return f"{BEST} · {who} · {s.title}"[:90]


def _about(speaker: str | None, title: str, date: str | None) -> str:
    """Escaped "SPEAKER · title · date", the parts that are known."""
    return " · ".join(escape(x) for x in (speaker or "", title, date or "") if x)


def _best(s: Source) -> str:
    """The best passage above an answer: its exact quote and where it is (its chip opens it)."""
    return (f'<div class="best" data-doc="{escape(s.doc_id)}" data-start="{s.start}" '
            f'data-end="{s.end}"><span class="best-head">{BEST}</span> '
            f'<span class="quote">{escape(s.quote)}</span>'
            f'<span class="about"> — {_about(s.speaker, s.title, s.date)}</span></div>')


def conversation(turns: list[Turn]) -> str:
    """Every turn: the question, the (streaming) answer, its citations."""
    if not turns:
        return ('<div class="empty">Ask about the transcripts. Every answer cites the exact '
                "words it relies on; click a citation to read it in its transcript.</div>")
    parts = []
    for turn in turns:
        parts.append('<div class="turn">')
        parts.append(f'<div class="question">{escape(turn.question)}</div>')
        if turn.standalone and turn.standalone != turn.question:
            parts.append(f'<div class="standalone">asked as: {escape(turn.standalone)}</div>')
        if turn.found and turn.state == "streaming":
            parts.append(f'<div class="found">{escape(turn.found)}</div>')
        parts.append(f'<div class="answer" data-state="{turn.state}">')
        if turn.best is not None and turn.state != "abstained":
            parts.append(_best(turn.best))
        parts.append(f'<div class="text">{_answer_text(turn.text)}</div>')
        if turn.answer is not None and turn.answer.citations:
            parts.append('<ol class="citations">')
            for c in turn.answer.citations:
                about = _about(c.speaker, c.title, c.date)
                parts.append(
                    f'<li class="citation" data-n="{c.n}" data-doc="{escape(c.doc_id)}" '
                    f'data-start="{c.start}" data-end="{c.end}">'
                    f'<span class="quote">{escape(c.quote)}</span>'
                    f'<span class="about"> — {about}</span></li>')
            parts.append("</ol>")
        if turn.answer is not None:
            seconds = turn.answer.timings_ms.get("total", 0) / 1000
            parts.append(f'<div class="meta">{seconds:.1f} s</div>')
        parts.append("</div></div>")
    return "".join(parts)


def transcript(doc: StoredDocument, citation: Citation | Source | None = None) -> str:
    """A whole transcript, the cited words (of a citation or the best passage) marked (id
    podium-hl) for scrolling into view."""
    about = " · ".join(escape(x) for x in (doc.date or "", ", ".join(doc.speakers)) if x)
    head = (f'<div class="doc-head"><div class="doc-title">{escape(doc.title)}</div>'
            f'<div class="doc-about">{about}</div>'
            f'<div class="doc-id">{escape(doc.doc_id)}</div>')
    if citation is not None:
        which = f"[{citation.n}]" if isinstance(citation, Citation) else BEST
        head += (f'<div class="doc-cited">{which} '
                 f'{escape(citation.speaker or "unattributed")}, characters '
                 f"{citation.start}–{citation.end}</div>")
        text = doc.text
        body = (escape(text[:citation.start]) + '<mark id="podium-hl">'
                + escape(text[citation.start:citation.end]) + "</mark>"
                + escape(text[citation.end:]))
    else:
        body = escape(doc.text)
    return f'{head}</div><div class="doc-text">{body}</div>'


def sources(answer: Answer | None) -> str:
    """The passages the model was shown, with their scores."""
    if answer is None or not answer.sources:
        return '<div class="empty">The passages used for the latest answer appear here.</div>'
    return _source_table(answer.sources)


def found(event: Found) -> str:
    """While an answer is written: the chunks the searches found, then the passages chosen."""
    if not event.sources:
        return '<div class="empty">No passage found.</div>'
    what = ("Passages chosen for the answer being written" if event.shown
            else "Found by the searches; choosing passages")
    return f'<div class="found-head">{what}</div>' + _source_table(event.sources)


def _source_table(rows: list[Source]) -> str:
    body = "".join(
        f"<tr><td>{i}</td><td>{s.score:.3f}</td><td>{s.similarity:.3f}</td>"
        f"<td>{escape(s.speaker or '')}</td><td>{escape(s.title)}</td>"
        f'<td class="quote">{escape(s.quote)}</td></tr>'
        for i, s in enumerate(rows, start=1))
    return ('<table class="sources"><thead><tr><th>#</th><th>score</th><th>similarity</th>'
            f"<th>speaker</th><th>transcript</th><th>passage</th></tr></thead>{body}</table>")


CSS = """
#conversation, #viewer, #lib-text {overflow-y: auto !important;}
#conversation .turn {margin: 0 0 1.2em 0;}
#conversation .question {font-weight: 600; margin-bottom: .3em;}
#conversation .standalone, #conversation .found {font-size: .85em; opacity: .7;}
#conversation .answer .text {white-space: pre-wrap;}
#conversation .answer[data-state="abstained"] .text {font-style: italic;}
#conversation .answer[data-state="error"] .text {color: #b00020;}
#conversation .citations {font-size: .85em; opacity: .85;}
#conversation .best {font-size: .85em; margin: .2em 0 .5em 0; padding-left: .6em;
  border-left: 3px solid #fde047;}
#conversation .best-head {font-weight: 600;}
#conversation .meta {font-size: .75em; opacity: .6;}
sup.cite {font-weight: 600; color: #1d4ed8;}
#citations label {border-radius: 999px !important; padding: 2px 10px !important;}
#viewer .doc-head {position: sticky; top: -16px; padding: 16px 0 .4em 0; z-index: 1;
  background: #ffffff; border-bottom: 1px solid #e5e7eb;}
.dark #viewer .doc-head {background: #0b0f19; border-bottom-color: #374151;}
#viewer .doc-title {font-weight: 700;}
#viewer .doc-about, #viewer .doc-id, #viewer .doc-cited {font-size: .85em; opacity: .75;}
#viewer .doc-text, #lib-text .doc-text {white-space: pre-wrap; margin-top: .6em;}
#viewer mark#podium-hl {background: #fde047; padding: 1px 0;}
table.sources td.quote {font-size: .85em;}
"""
