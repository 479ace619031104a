"""What the page's buttons do, as plain methods over the application (tested without a browser).

Each browser session holds its own Session (conversation, turns); nothing about a session is
shared, so two users never see each other's answers. The page writes `ui.concurrent_answers`
answers at a time (1 by default: a model in this process answers one question at a time); the
others wait in its queue.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from podium.app import Conversation, Podium
from podium.errors import PodiumError
from podium.feedback import FeedbackStore
from podium.qa.retrieve import Filters
from podium.qa.schema import (
    Answer,
    Citation,
    Delta,
    Done,
    Found,
    Revised,
    Source,
    Standalone,
    found_line,
)
from podium.ui import render
from podium.ui.render import Turn
from podium.vectorstore.docstore import DocumentInfo

logger = logging.getLogger(__name__)


_PROGRESS = gr.Progress(track_tqdm=True)  # shows the ingest's tqdm bar on the page
DOC_MATCHES = 50  # transcripts a picker offers for what was typed in its search box
LIBRARY_PAGE = 50  # rows of the Library table a page


@dataclass
class Session:
    """One browser session's conversation and the turns shown."""

    conversation: Conversation
    turns: list[Turn] = field(default_factory=list)

    @property
    def latest(self) -> Answer | None:
        """The newest finished answer, if any."""
        for turn in reversed(self.turns):
            if turn.answer is not None:
                return turn.answer
        return None


class ChatPage:
    """Handlers of the chat page for one application."""

    LIBRARY_COLUMNS = ("doc_id", "title", "date", "speakers", "chunks")

    def __init__(self, app: Podium) -> None:
        self.app = app
        self.feedback = FeedbackStore(app.data_dir / "feedback.jsonl")

    def _session(self, session: Session | None) -> Session:
        return session if session is not None else Session(self.app.chat())

    def ask(self, question: str | None, session: Session | None, speaker: str | None = "",
            after: str | None = "", before: str | None = "", docs: list[str] | None = None
            ) -> Iterator[tuple[str, Session, Any, str, str]]:
        """Stream an answer: yields (conversation, session, chips, sources, question box)."""
        state = self._session(session)
        question = (question or "").strip()
        if not question:
            yield (render.conversation(state.turns), state, gr.skip(),
                   render.sources(state.latest), "")
            return
        turn = Turn(question)
        state.turns.append(turn)
        try:
            state.conversation.filters = Filters(
                speaker=_blank(speaker), after=_blank(after), before=_blank(before),
                docs=tuple(docs or ()))
            for event in state.conversation.stream(question):
                if isinstance(event, Standalone):
                    turn.standalone = event.question
                elif isinstance(event, Found):
                    turn.found, turn.best = found_line(event), event.best
                    yield (render.conversation(state.turns), state, _chips(turn, gr.skip()),
                           render.found(event), "")
                    continue
                elif isinstance(event, Delta):
                    turn.text += event.text
                elif isinstance(event, Revised):
                    turn.text = event.text
                elif isinstance(event, Done):
                    turn.answer, turn.text = event.answer, event.answer.answer
                    turn.state = "abstained" if event.answer.abstained else "done"
                    turn.best = None if event.answer.abstained else turn.best
                yield (render.conversation(state.turns), state, gr.skip(), gr.skip(), "")
        except PodiumError as exc:
            turn.state, turn.text = "error", f"{exc}"
        except Exception as exc:  # the page shows a message, never a stack trace
            logger.exception("answering %r failed", question)
            turn.state, turn.text = "error", f"Podium could not answer: {exc}"
        yield (render.conversation(state.turns), state, _chips(turn, gr.update(choices=[])),
               render.sources(turn.answer), "")

    def new_chat(self, session: Session | None) -> tuple[str, Session, Any, str, str]:
        """Forget the conversation; start a new one."""
        state = self._session(session)
        state.conversation.reset()
        state.turns.clear()
        return (render.conversation([]), state, gr.update(choices=[], value=None),
                render.sources(None), "")

    def open_citation(self, label: str | None, session: Session | None) -> str:
        """The cited transcript (of a citation or the best passage) with the quoted words
        marked."""
        state = self._session(session)
        citation = _best(state, label) or _citation(state.latest, label)
        if citation is None:
            return '<div class="empty">Click a citation to open its transcript here.</div>'
        doc = self.app.docstore.get(citation.doc_id)
        if doc is None or doc.text[citation.start:citation.end] != citation.quote:
            return ('<div class="empty">This transcript changed or was removed since the answer; '
                    "ask again.</div>")
        return render.transcript(doc, citation)

    def rate_up(self, comment: str, session: Session | None) -> tuple[str, str]:
        """Record a thumbs-up for the latest answer."""
        return self._rate("up", comment, session)

    def rate_down(self, comment: str, session: Session | None) -> tuple[str, str]:
        """Record a thumbs-down for the latest answer."""
        return self._rate("down", comment, session)

    def _rate(self, rating: str, comment: str, session: Session | None) -> tuple[str, str]:
        answer = self._session(session).latest
        if answer is None:
            return "Ask a question first; feedback is about the latest answer.", comment
        self.feedback.record(answer.to_dict(), rating, comment or "")
        verdict = "helpful" if rating == "up" else "not helpful"
        return f"Thanks, your rating ({verdict}) was saved.", ""

    def models_text(self) -> str:
        """The models in use, read-only."""
        try:
            llm = self.app.generator.name
        except PodiumError as exc:  # e.g. the model file is missing: say so, keep the page up
            llm = f"unavailable ({exc})"
        return f"language model: {llm}; embeddings: {self.app.index.info.name}"

    def document_choices(self, query: str | None = "", selected: Iterable[str] = ()
                         ) -> list[tuple[str, str]]:
        """(label, doc_id) of the complete documents matching query (at most DOC_MATCHES,
        newest first), after the ones already selected, for the transcript pickers."""
        docstore = self.app.docstore
        chosen = [d for d in (docstore.get(i) for i in dict.fromkeys(selected or ())) if d]
        found, _ = docstore.find(query or "", limit=DOC_MATCHES, complete_only=True)
        picked = {d.doc_id for d in chosen}
        return ([(_label(d.title, d.date), d.doc_id) for d in chosen]
                + [(_label(d.title, d.date), d.doc_id) for d in found if d.doc_id not in picked])

    def find_documents(self, query: str | None, selected: list[str] | None) -> Any:
        """The transcript filter's choices for what was typed in its search box."""
        return gr.update(choices=self.document_choices(query, selected or ()),
                         value=list(selected or ()))

    def library_rows(self, query: str | None = "", page: int = 0) -> list[list[Any]]:
        """One page of the Library: doc_id, title, date, speakers, chunks."""
        return self._library(query, page)[0]

    def library_page(self, query: str | None = "", page: float | None = 0
                     ) -> tuple[Any, Any, str, int]:
        """A page of the Library table (LIBRARY_PAGE rows matching the search), its transcripts
        in the picker, the page line, and the page number actually shown."""
        rows, infos, line, shown = self._library(query, int(page or 0))
        choices = [(_label(d.title, d.date), d.doc_id) for d in infos]
        return gr.update(value=rows), gr.update(choices=choices, value=None), line, shown

    def _library(self, query: str | None, page: int
                 ) -> tuple[list[list[Any]], list[DocumentInfo], str, int]:
        docstore = self.app.docstore
        _, total = docstore.find(query or "", limit=0)
        last = max(0, (total - 1) // LIBRARY_PAGE)
        page = min(max(page, 0), last)
        infos, _ = docstore.find(query or "", limit=LIBRARY_PAGE, offset=page * LIBRARY_PAGE)
        rows = [[d.doc_id, d.title, d.date or "", ", ".join(d.speakers),
                 d.n_chunks if d.status == "complete" else "pending"] for d in infos]
        if not total:
            line = "No transcript matches the search." if query else "No transcripts yet."
        else:
            first = page * LIBRARY_PAGE + 1
            line = (f"Transcripts {first:,}–{first + len(infos) - 1:,} of {total:,} "
                    f"(page {page + 1:,} of {last + 1:,})")
        return rows, infos, render.markdown_text(line), page

    def read(self, doc_id: str | None) -> str:
        """A whole transcript, escaped."""
        doc = self.app.docstore.get(doc_id) if doc_id else None
        if doc is None:
            return '<div class="empty">Choose a transcript to read.</div>'
        return render.transcript(doc)

    def upload(self, files: list[Any] | None, query: str | None = "", page: float | None = 0,
               progress: Any = _PROGRESS) -> tuple[Any, ...]:
        """Copy uploaded files under the data dir and ingest them (the page shows the ingest
        progress bar); say what was skipped and why. Returns the status and the Library's
        refreshed table, picker, page line and page."""
        paths = [Path(getattr(f, "name", f)) for f in files or []]
        if not paths:
            return (render.status_lines(["Choose one or more files."]),
                    *self.library_page(query, page))
        folder = self.app.data_dir / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        kept = []
        for path in paths:
            target = folder / path.name
            shutil.copyfile(path, target)
            kept.append(target)
        try:
            report = self.app.ingest(kept, progress=progress is not None)
        except PodiumError as exc:
            return (render.status_lines([f"Nothing was ingested: {exc}"]),
                    *self.library_page(query, page))
        lines = report.summary().splitlines()
        lines += [f"- skipped {Path(s.source).name}: {s.reason}" for s in report.skipped]
        return (render.status_lines(lines), *self.library_page(query, page))

    def delete(self, doc_id: str | None, query: str | None = "", page: float | None = 0
               ) -> tuple[Any, ...]:
        """Remove one transcript from the index and the document store."""
        if not doc_id:
            message = "Choose a transcript to delete."
        else:
            try:
                self.app.delete(doc_id)
                message = f"Deleted {doc_id} from the index."
            except PodiumError as exc:
                message = f"Not deleted: {exc}"
        return (render.status_lines([message]), *self.library_page(query, page))

def _label(title: str, date: str | None) -> str:
    return f"{title} ({date or 'undated'})"[:100]


def _blank(value: str | None) -> str | None:
    """A text box's value, None when empty (Gradio sends None or "")."""
    return (value or "").strip() or None


def _chips(turn: Turn, otherwise: Any) -> Any:
    """The chips of a turn: its best passage, then its citations; otherwise when it has none."""
    labels = [render.best_label(turn.best)] if turn.best is not None else []
    if turn.answer is not None:
        labels += [render.citation_label(c) for c in turn.answer.citations]
    return gr.update(choices=labels, value=None) if labels else otherwise


def _best(state: Session, label: str | None) -> Source | None:
    """The newest turn's best passage, when label is its chip."""
    best = state.turns[-1].best if state.turns else None
    return best if best is not None and label == render.best_label(best) else None


def _citation(answer: Answer | None, label: str | None) -> Citation | None:
    if answer is None or not label:
        return None
    for c in answer.citations:
        if label.startswith(f"[{c.n}]"):
            return c
    return None
