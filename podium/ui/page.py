"""The chat page: `podium ui`. Gradio components wired to ChatPage handlers (podium.ui.handlers).

Element ids are a contract the browser tests rely on (docs/ui.md).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from podium.app import Podium
from podium.ui import render
from podium.ui.handlers import DOC_MATCHES, ChatPage, Session

SCROLL_TO_MARK = """() => { setTimeout(() => {
  const m = document.querySelector('#viewer mark#podium-hl');
  if (m) m.scrollIntoView({block: 'center'}); }, 50); }"""


def build_page(app: Podium) -> Any:
    """The Gradio Blocks of the page, bound to one application."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    page = ChatPage(app)
    with gr.Blocks(title="Podium", analytics_enabled=False) as blocks:
        session = gr.State(None)
        gr.Markdown("## Podium — answers from the transcripts, with their exact words")
        with gr.Tab("Ask"), gr.Row():
            with gr.Column(scale=3):
                chat = gr.HTML(render.conversation([]), elem_id="conversation", max_height=520)
                question = gr.Textbox(label="Question", elem_id="question", lines=2,
                                      placeholder="What did Kuleba say about ammunition?")
                with gr.Row():
                    ask = gr.Button("Ask", variant="primary", elem_id="ask")
                    new = gr.Button("New conversation", elem_id="new-chat")
                chips = gr.Radio(choices=[], label="Citations: click one to read it",
                                 elem_id="citations")
                with gr.Accordion("Filters", open=False):
                    with gr.Row():
                        speaker = gr.Textbox(label="Speaker contains", elem_id="f-speaker")
                        after = gr.Textbox(label="On or after (YYYY-MM-DD)",
                                           elem_id="f-after")
                        before = gr.Textbox(label="On or before (YYYY-MM-DD)",
                                            elem_id="f-before")
                    doc_search = gr.Textbox(
                        label="Find transcripts (words of the title, id, date or speakers)",
                        elem_id="f-doc-search")
                    docs = gr.Dropdown(choices=[], multiselect=True, elem_id="f-doc",
                                       label=f"Only these transcripts (the {DOC_MATCHES} "
                                             "newest that match the search)")
                with gr.Row():
                    up = gr.Button("Helpful", elem_id="fb-up", scale=1)
                    down = gr.Button("Not helpful", elem_id="fb-down", scale=1)
                    comment = gr.Textbox(label="Comment on the latest answer (optional)",
                                         elem_id="fb-comment", lines=1, scale=4)
                feedback_status = gr.Markdown("", elem_id="fb-status")
            with gr.Column(scale=2):
                viewer = gr.HTML('<div class="empty">Click a citation to open its '
                                 "transcript here.</div>", elem_id="viewer", max_height=620)
                with gr.Accordion("Sources of the latest answer", open=False):
                    sources = gr.HTML(render.sources(None), elem_id="sources")
                gr.Textbox(value=page.models_text(), label="Models", interactive=False,
                           elem_id="models")
        with gr.Tab("Library"):
            lib_page = gr.State(0)
            with gr.Row():
                lib_search = gr.Textbox(label="Search the Library (title, id, date, speakers)",
                                        elem_id="lib-search", scale=4)
                prev = gr.Button("← Previous", elem_id="lib-prev", scale=1)
                next_ = gr.Button("Next →", elem_id="lib-next", scale=1)
            lib_line = gr.Markdown("", elem_id="lib-page")
            library = gr.Dataframe(value=[], headers=list(page.LIBRARY_COLUMNS),
                                   interactive=False, elem_id="library", wrap=True)
            with gr.Row():
                lib_doc = gr.Dropdown(choices=[], label="Transcript (of this page)",
                                      elem_id="lib-doc")
                read = gr.Button("Read", elem_id="lib-read")
                delete = gr.Button("Delete from the index", variant="stop",
                                   elem_id="lib-delete")
            upload = gr.File(label="Add transcripts (.txt .md .html .jsonl .jsonl.gz)",
                             file_count="multiple", elem_id="upload")
            upload_status = gr.Markdown("", elem_id="upload-status")
            lib_text = gr.HTML("", elem_id="lib-text", max_height=620)

        ask_inputs = [question, session, speaker, after, before, docs]
        ask_outputs = [chat, session, chips, sources, question]
        for trigger in (ask.click, question.submit):
            trigger(page.ask, ask_inputs, ask_outputs, concurrency_id="model",
                    concurrency_limit=app.settings.ui.concurrent_answers)
        new.click(page.new_chat, [session], [chat, session, chips, sources, viewer])
        chips.select(page.open_citation, [chips, session], [viewer]).then(
            None, js=SCROLL_TO_MARK)
        up.click(page.rate_up, [comment, session], [feedback_status, comment])
        down.click(page.rate_down, [comment, session], [feedback_status, comment])
        read.click(page.read, [lib_doc], [lib_text])
        doc_search.change(page.find_documents, [doc_search, docs], [docs],
                          trigger_mode="always_last", show_progress="hidden")
        shown = [library, lib_doc, lib_line, lib_page]
        lib_search.change(page.library_page, [lib_search], shown,
                          trigger_mode="always_last", show_progress="hidden")
        prev.click(lambda q, n: page.library_page(q, n - 1), [lib_search, lib_page], shown)
        next_.click(lambda q, n: page.library_page(q, n + 1), [lib_search, lib_page], shown)
        upload.upload(page.upload, [upload, lib_search, lib_page], [upload_status, *shown],
                      concurrency_limit=1, concurrency_id="ingest")
        delete.click(page.delete, [lib_doc, lib_search, lib_page], [upload_status, *shown],
                     concurrency_limit=1, concurrency_id="ingest")
        # filled on every page open, so a new session sees the documents indexed since
        blocks.load(lambda: (gr.update(choices=page.document_choices()),
                             *page.library_page()), None, [docs, *shown])
    blocks.queue(default_concurrency_limit=4)
    return blocks


@contextmanager
def upload_cache() -> Iterator[Path]:
    """A private folder for Gradio's copies of uploaded files, removed when the page stops
    (unless the user chose one with GRADIO_TEMP_DIR; Gradio reads it when a page is built)."""
    if chosen := os.environ.get("GRADIO_TEMP_DIR"):
        yield Path(chosen)
        return
    folder = Path(tempfile.mkdtemp(prefix="podium-uploads-"))
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    try:
        yield folder
    finally:
        os.environ.pop("GRADIO_TEMP_DIR", None)
        shutil.rmtree(folder, ignore_errors=True)


def launch(app: Podium, *, host: str | None = None, port: int | None = None) -> None:
    """Serve the page until interrupted (no analytics, no share link)."""
    settings = app.settings.ui
    auth = None
    if settings.username and settings.password:
        auth = (settings.username, settings.password.get_secret_value())
    with upload_cache(), app.serving():
        blocks = build_page(app)
        blocks.launch(server_name=host or settings.host, server_port=port or settings.port,
                      share=False, auth=auth, css=render.CSS, show_error=False,
                      max_file_size=int(settings.max_upload_mb * 2**20), footer_links=[],
                      quiet=True)


__all__ = ["Session", "build_page", "launch", "upload_cache"]
