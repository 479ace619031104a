"""What the page's buttons do, as plain methods over the application (tested without a browser).

Each browser session holds its own Session (conversation, turns); nothing about a session is
shared, so two users never see each other's answers. The model itself is used one answer at a
time (the page queues `ask` under one concurrency id).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from podium.app import Conversation, Podium
from podium.errors import PodiumError
from podium.feedback import FeedbackStore
from podium.qa.retrieve import Filters
from podium.qa.schema import Answer, Citation, Delta, Done, Revised, Standalone
from podium.ui import render
from podium.ui.render import Turn

logger = logging.getLogger(__name__)


_PROGRESS = gr.Progress(track_tqdm=True)  # shows the ingest's tqdm bar on the page


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
                elif isinstance(event, Delta):
                    turn.text += event.text
                elif isinstance(event, Revised):
                    turn.text = event.text
                elif isinstance(event, Done):
                    turn.answer, turn.text = event.answer, event.answer.answer
                    turn.state = "abstained" if event.answer.abstained else "done"
                yield (render.conversation(state.turns), state, gr.skip(), gr.skip(), "")
        except PodiumError as exc:
            turn.state, turn.text = "error", f"{exc}"
        except Exception as exc:  # the page shows a message, never a stack trace
            logger.exception("answering %r failed", question)
            turn.state, turn.text = "error", f"Podium could not answer: {exc}"
        labels = [render.citation_label(c) for c in turn.answer.citations] if turn.answer else []
        yield (render.conversation(state.turns), state, gr.update(choices=labels, value=None),
               render.sources(turn.answer), "")

    def new_chat(self, session: Session | None) -> tuple[str, Session, Any, str, str]:
        """Forget the conversation; start a new one."""
        state = self._session(session)
        state.conversation.reset()
        state.turns.clear()
        return (render.conversation([]), state, gr.update(choices=[], value=None),
                render.sources(None), "")

    def open_citation(self, label: str | None, session: Session | None) -> str:
        """The cited transcript with the quoted words marked."""
        state = self._session(session)
        citation = _citation(state.latest, label)
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

    def document_choices(self) -> list[tuple[str, str]]:
        """(label, doc_id) of every complete document, for dropdowns."""
        return [(f"{d.title} ({d.date or 'undated'})"[:100], d.doc_id)
                for d in self.app.docstore.listing() if d.status == "complete"]

    def library_rows(self) -> list[list[Any]]:
        """One row per document: doc_id, title, date, speakers, chunks."""
        return [[d.doc_id, d.title, d.date or "", ", ".join(d.speakers),
                 d.n_chunks if d.status == "complete" else "pending"]
                for d in self.app.docstore.listing()]

    def read(self, doc_id: str | None) -> str:
        """A whole transcript, escaped."""
        doc = self.app.docstore.get(doc_id) if doc_id else None
        if doc is None:
            return '<div class="empty">Choose a transcript to read.</div>'
        return render.transcript(doc)

    def upload(self, files: list[Any] | None, progress: Any = _PROGRESS
               ) -> tuple[str, Any, Any, Any]:
        """Copy uploaded files under the data dir and ingest them (the page shows the ingest
        progress bar); say what was skipped and why."""
        paths = [Path(getattr(f, "name", f)) for f in files or []]
        if not paths:
            return (render.status_lines(["Choose one or more files."]), *self._refreshed())
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
            return (render.status_lines([f"Nothing was ingested: {exc}"]), *self._refreshed())
        lines = report.summary().splitlines()
        lines += [f"- skipped {Path(s.source).name}: {s.reason}" for s in report.skipped]
        return (render.status_lines(lines), *self._refreshed())

    def delete(self, doc_id: str | None) -> tuple[str, Any, Any, Any]:
        """Remove one transcript from the index and the document store."""
        if not doc_id:
            return (render.status_lines(["Choose a transcript to delete."]), *self._refreshed())
        try:
            self.app.delete(doc_id)
        except PodiumError as exc:
            return (render.status_lines([f"Not deleted: {exc}"]), *self._refreshed())
        return (render.status_lines([f"Deleted {doc_id} from the index."]), *self._refreshed())

    def _refreshed(self) -> tuple[Any, Any, Any]:
        choices = self.document_choices()
        return (gr.update(value=self.library_rows()), gr.update(choices=choices),
                gr.update(choices=choices))


def _blank(value: str | None) -> str | None:
    """A text box's value, None when empty (Gradio sends None or "")."""
    return (value or "").strip() or None


def _citation(answer: Answer | None, label: str | None) -> Citation | None:
    if answer is None or not label:
        return None
    for c in answer.citations:
        if label.startswith(f"[{c.n}]"):
            return c
    return None
