"""The chat page's handlers with the fake models: what each button does, without a browser."""

import json
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from podium.app import Podium, build_app
from podium.providers.fake import FakeLLM
from podium.qa.generate import LLMGenerator
from podium.qa.schema import Answer
from podium.ui.handlers import ChatPage, Session
from tests.conftest import fake_settings

QUESTION = "What did Kuleba say about deliveries of ammunition and weapons?"


@pytest.fixture
def page(fake_app: Podium, seed_copy: Path) -> ChatPage:
    fake_app.ingest([seed_copy], progress=False)
    return ChatPage(fake_app)


def _ask(page: ChatPage, question: str, session: Session | None = None,
         **filters: Any) -> tuple[list[tuple[Any, ...]], Session]:
    updates = list(page.ask(question, session, **filters))
    return updates, updates[-1][1]


def _llm(app: Podium) -> FakeLLM:
    assert isinstance(app.generator, LLMGenerator) and isinstance(app.generator.llm, FakeLLM)
    return app.generator.llm


def test_ask_streams_then_shows_citations_chips_and_sources(page: ChatPage) -> None:
    updates, session = _ask(page, QUESTION)
    assert len(updates) > 5  # the answer grows word by word
    assert 'data-state="streaming"' in updates[1][0]
    final_html, _, chips, sources, box = updates[-1]
    assert 'data-state="done"' in final_html and box == ""
    answer = session.latest
    assert answer is not None and answer.citations
    assert chips["choices"][1:] == [
        f"[1] Foreign Minister Kuleba · {answer.citations[0].title}"]
    assert chips["choices"][0].startswith("Best passage · Foreign Minister Kuleba · ")
    assert '<li class="citation" data-n="1"' in final_html
    assert "<table class=\"sources\">" in sources


def test_what_was_found_shows_before_the_answer_is_written(page: ChatPage) -> None:
    updates, session = _ask(page, QUESTION)
    html, _, _, found, _ = updates[0]  # the searches are done; no answer text yet
    assert '<div class="found">found 10 passages in 4 transcripts: Remarks: Secretary Blinken' \
        in html
    assert '<div class="text"></div>' in html
    assert "Found by the searches" in found and found.count("<tr>") == 1 + 10
    _, _, _, chosen, _ = updates[1]
    answer = session.latest
    assert answer is not None
    assert "Passages chosen" in chosen and chosen.count("<tr>") == 1 + len(answer.sources)
    assert '<div class="found">' not in updates[-1][0]  # gone once the answer is done


def test_clicking_a_chip_marks_the_exact_quote_in_its_transcript(page: ChatPage) -> None:
    updates, session = _ask(page, QUESTION)
    html = page.open_citation(updates[-1][2]["choices"][0], session)
    citation = session.latest.citations[0]  # type: ignore[union-attr]
    doc = page.app.docstore.get(citation.doc_id)
    assert doc is not None
    marked = html.split('<mark id="podium-hl">', 1)[1].split("</mark>", 1)[0]
    import html as html_lib

    assert html_lib.unescape(marked) == citation.quote == doc.text[citation.start:citation.end]
    assert '<div class="doc-title">Remarks: Secretary Blinken and Foreign Minister Kuleba' in html


def test_the_best_passage_shows_and_opens_before_the_answer_is_written(page: ChatPage) -> None:
    import html as html_lib

    updates = page.ask(QUESTION, None)
    next(updates)  # what the searches found
    html, session, chips, _, _ = next(updates)  # the passages chosen; no answer text yet
    best = session.turns[-1].best
    assert best is not None and '<div class="text"></div>' in html
    assert html.index('<div class="best"') < html.index('<div class="text">')
    assert f'data-start="{best.start}" data-end="{best.end}"' in html
    assert chips["choices"] == [f"Best passage · Foreign Minister Kuleba · {best.title}"[:90]]
    viewer = page.open_citation(chips["choices"][0], session)  # while the answer streams
    marked = viewer.split('<mark id="podium-hl">', 1)[1].split("</mark>", 1)[0]
    doc = page.app.docstore.get(best.doc_id)
    assert doc is not None and html_lib.unescape(marked) == best.quote
    assert doc.text[best.start:best.end] == best.quote
    assert '<div class="doc-cited">Best passage FOREIGN MINISTER KULEBA, characters' in viewer
    *_, (final, _, chips, _, _) = updates
    assert 'data-state="done"' in final and '<div class="best"' in final  # kept above it
    assert chips["choices"][0].startswith("Best passage")


def test_no_best_passage_when_podium_abstains(page: ChatPage) -> None:
    updates, session = _ask(page, "What is the capital of Peru?")
    assert 'data-state="abstained"' in updates[-1][0]
    assert session.turns[-1].best is None
    assert not any('<div class="best"' in u[0] for u in updates)
    assert updates[-1][2]["choices"] == []
    assert "Click a citation" in page.open_citation("Best passage · X · Y", session)


def test_transcript_and_answer_html_is_escaped(fake_app: Podium, tmp_path: Path) -> None:
    evil = tmp_path / "evil.txt"
    evil.write_text('SECRETARY BLINKEN:  <script>alert(1)</script><img src=x onerror="x()"> '
                    "The summit starts on Tuesday.", encoding="utf-8")
    fake_app.ingest([evil], progress=False)
    page = ChatPage(fake_app)
    read = page.read("evil.txt")
    assert "<script>" not in read and "&lt;script&gt;alert(1)&lt;/script&gt;" in read
    assert "<img" not in read
    _llm(fake_app).replies.append('<b onmouseover="x()">The summit starts on Tuesday</b> [1].')
    updates, _ = _ask(page, "When does the summit start?")
    assert all("<b " not in u[0] and "<script>" not in u[0] for u in updates)


def test_errors_and_an_empty_index_read_as_messages(fake_app: Podium) -> None:
    page = ChatPage(fake_app)
    updates, _ = _ask(page, "Anything?")
    assert 'data-state="error"' in updates[-1][0]
    assert "nothing is indexed" in updates[-1][0] and "Traceback" not in updates[-1][0]


def test_filters_reach_the_answer(page: ChatPage) -> None:
    _, session = _ask(page, "What was said about ammunition?", speaker="blinken")
    assert session.latest is not None
    assert all("BLINKEN" in (s.speaker or "") for s in session.latest.sources)
    updates, _ = _ask(page, QUESTION, after="2031-01-01")
    assert "No indexed transcript matches the filters" in updates[-1][0]
    updates, _ = _ask(page, QUESTION, after="last week")
    assert 'data-state="error"' in updates[-1][0] and "YYYY-MM-DD" in updates[-1][0]


def test_follow_up_and_new_conversation(page: ChatPage) -> None:
    _, session = _ask(page, QUESTION)
    updates, session = _ask(page, "And the birthday?", session)
    assert "asked as: And the birthday? (about:" in updates[-1][0]
    assert updates[-1][0].count('<div class="turn">') == 2
    html, session, chips, *_ = page.new_chat(session)
    assert session.turns == [] and chips["choices"] == [] and "Ask about" in html
    _, session = _ask(page, QUESTION, session)
    assert session.latest is not None and session.latest.standalone_question == QUESTION


def test_two_sessions_at_once_keep_their_own_answers(page: ChatPage) -> None:
    results: dict[str, Session] = {}

    def run(question: str) -> None:
        results[question] = _ask(page, question)[1]

    questions = [QUESTION, "What did Stoltenberg say about the Washington Summit?"]
    threads = [threading.Thread(target=run, args=(q,)) for q in questions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for q in questions:
        assert [turn.question for turn in results[q].turns] == [q]
        assert results[q].latest is not None and results[q].latest.question == q


def test_feedback_is_saved_for_the_latest_answer(page: ChatPage) -> None:
    status, comment = page.rate_up("", None)
    assert "Ask a question first" in status
    _, session = _ask(page, QUESTION)
    status, comment = page.rate_down("missed the point", session)
    assert "saved" in status and comment == ""
    lines = (page.app.data_dir / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[-1])
    assert record["rating"] == "down" and record["comment"] == "missed the point"
    assert record["question"] == QUESTION and record["citations"]


def test_library_lists_reads_uploads_and_deletes(tmp_path: Path, seed_copy: Path) -> None:
    app = build_app(fake_settings(tmp_path / "data"))
    app.ingest([seed_copy], progress=False)
    page = ChatPage(app)
    assert len(page.library_rows()) == 5
    assert page.library_rows()[0][4] > 0  # chunks
    good = tmp_path / "new.txt"
    good.write_text("SECRETARY BLINKEN:  Zanzibar lighthouses were discussed today.",
                    encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\xff\xfe\x00garbage")
    status, library, *_ = page.upload([str(good), str(bad)])
    assert "1 added" in _text(status) and "skipped bad.txt" in _text(status)
    assert len(library["value"]) == 6
    status, library, *_ = page.delete("new.txt")
    assert "Deleted new.txt" in _text(status) and len(library["value"]) == 5
    assert app.docstore.get("new.txt") is None
    assert page.delete("new.txt")[0].startswith("Not deleted")


def _text(markdown: str) -> str:
    """What a Markdown status shows: the text with its backslash escapes resolved."""
    return re.sub(r"\\(.)", r"\1", markdown)


def test_upload_status_shows_file_names_and_ids_as_text(tmp_path: Path) -> None:
    """A duplicate id or a file name written as a Markdown image must not make the browser
    fetch its URL: the status escapes every Markdown mark (issue 14)."""
    from markdown_it import MarkdownIt

    app = build_app(fake_settings(tmp_path / "data"))
    page = ChatPage(app)
    trap = "![x](http://127.0.0.1:9/leak.png)"
    records = tmp_path / "records.jsonl"
    line = json.dumps({"id": trap, "text": "SECRETARY BLINKEN:  NATO is strong."})
    records.write_text(f"{line}\n{line}\n", encoding="utf-8")
    odd = tmp_path / "<img src=x onerror=alert(1)>[a](javascript:alert(1)).pdf"
    odd.write_text("not a transcript", encoding="utf-8")
    status, *_ = page.upload([str(records), str(odd)])
    html = MarkdownIt("commonmark").render(status)
    assert "<img" not in html and "<a " not in html and "<em>" not in html
    assert trap in _text(status) and odd.name in _text(status)
    deleted, *_ = page.delete(trap)
    assert f"Deleted {trap} from the index." == _text(deleted)
    assert "<img" not in MarkdownIt("commonmark").render(deleted)


@pytest.fixture(scope="module")
def big_page(tmp_path_factory: pytest.TempPathFactory) -> ChatPage:
    """A page over 120 short transcripts: more than one Library page and picker list."""
    folder = tmp_path_factory.mktemp("many")
    with (folder / "many.jsonl").open("w", encoding="utf-8") as fh:
        for i in range(120):
            fh.write(json.dumps({
                "id": f"brief_{i:03}", "title": f"Press Briefing {i:03}" + (
                    " on 100% tariffs" if i == 7 else ""),
                "date": f"2024-01-{1 + i % 28:02}",
                "text": f"MS. PSAKI:  Briefing number {i} covered topic{i}."}) + "\n")
    app = build_app(fake_settings(folder / "data"))
    app.ingest([folder / "many.jsonl"], progress=False)
    return ChatPage(app)


def test_the_library_pages_fifty_rows_at_a_time(big_page: ChatPage) -> None:
    table, picker, line, shown = big_page.library_page("", 0)
    assert len(table["value"]) == 50 and shown == 0
    assert [c[1] for c in picker["choices"]] == [row[0] for row in table["value"]]
    assert "Transcripts 1–50 of 120 \\(page 1 of 3\\)" in line
    dates = [row[2] for row in table["value"]]
    assert dates == sorted(dates, reverse=True)  # newest first
    table, _, line, shown = big_page.library_page("", 2)
    assert len(table["value"]) == 20 and shown == 2 and "101–120" in line
    _, _, _, shown = big_page.library_page("", 9)  # past the end: the last page
    assert shown == 2
    assert big_page.library_page("", -3)[3] == 0
    seen = {row[0] for p in range(3) for row in big_page.library_rows("", p)}
    assert len(seen) == 120


def test_the_library_search_filters_and_pages(big_page: ChatPage) -> None:
    table, _, line, _ = big_page.library_page("briefing 007", 0)
    assert [row[0] for row in table["value"]] == ["brief_007"]
    assert "of 1 \\(page 1 of 1\\)" in line
    assert [r[0] for r in big_page.library_rows("100%")] == ["brief_007"]  # % is a letter
    assert big_page.library_rows("brief\\_0") == []
    table, _, line, _ = big_page.library_page("no such words", 0)
    assert table["value"] == [] and "No transcript matches" in line


def test_the_transcript_filter_offers_at_most_fifty_matches(big_page: ChatPage) -> None:
    assert len(big_page.document_choices()) == 50
    assert len(big_page.find_documents("press", [])["choices"]) == 50  # all 120 match
    update = big_page.find_documents("Briefing 011", [])
    assert [c[1] for c in update["choices"]] == ["brief_011"]
    assert update["choices"][0][0] == "Press Briefing 011 (2024-01-12)"
    kept = big_page.find_documents("topic nothing-like-this", ["brief_003", "brief_050"])
    assert [c[1] for c in kept["choices"]] == ["brief_003", "brief_050"]  # choices kept
    assert kept["value"] == ["brief_003", "brief_050"]
    _, session = _ask(big_page, "What did the briefing cover about topic50?",
                      docs=["brief_050"])
    assert session.latest is not None
    assert {s.doc_id for s in session.latest.sources} == {"brief_050"}


NEW_TRANSCRIPT = ("SECRETARY BLINKEN:  The keepers of the Zanzibar lighthouses met our delegation "
                  "on Friday. They asked for brighter lamps for every Zanzibar lighthouse.\n")
NEW_QUESTION = "What did the keepers of the Zanzibar lighthouses ask for?"


def _resolved(app: Podium, answer: Answer) -> None:
    """Every citation's quote is its document's text between its offsets, exactly."""
    assert answer.citations, f"no citation in {answer.answer!r}"
    for c in answer.citations:
        doc = app.docstore.get(c.doc_id)
        assert doc is not None and doc.text[c.start:c.end] == c.quote, c


def test_two_sessions_ask_while_a_third_uploads(page: ChatPage, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The upload is held after its transcript is stored as pending and before its vectors are
    written, until both answers are done: they are written beside the upload, never wait for
    it, and each session gets the answer its own question gets alone."""
    app = page.app
    questions = [QUESTION, "What did Stoltenberg say about the Washington Summit?"]
    alone = {q: _ask(page, q)[1].latest for q in questions}
    first, second = alone.values()
    assert first is not None and second is not None and first.answer != second.answer
    upload = tmp_path / "zanzibar.txt"
    upload.write_text(NEW_TRANSCRIPT, encoding="utf-8")

    mid_upload, answered = threading.Event(), threading.Event()
    held_until: list[bool] = []
    write_vectors = app.index.replace_document

    def held(*args: Any, **kwargs: Any) -> None:
        mid_upload.set()
        held_until.append(answered.wait(60))
        write_vectors(*args, **kwargs)

    monkeypatch.setattr(app.index, "replace_document", held)
    together = threading.Barrier(3)
    sessions: dict[str, list[tuple[Any, ...]]] = {}
    uploaded: list[Any] = []  # the upload handler's outputs
    errors: list[BaseException] = []

    def asking(question: str) -> None:
        try:
            together.wait(30)
            assert mid_upload.wait(60), "the upload never reached its vectors"
            sessions[question] = _ask(page, question)[0]
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)

    def uploading() -> None:
        try:
            together.wait(30)
            uploaded.extend(page.upload([str(upload)]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=asking, args=(q,)) for q in questions]
    threads.append(threading.Thread(target=uploading))
    for t in threads:
        t.start()
    for t in threads[:2]:
        t.join(90)
    answered.set()
    threads[2].join(90)
    assert not any(t.is_alive() for t in threads), "a handler is still running"
    assert not errors, errors
    assert held_until == [True], "the answers waited for the upload"

    assert "1 added" in _text(uploaded[0]), uploaded[0]
    assert len(uploaded[1]["value"]) == 6
    for question in questions:
        updates = sessions[question]
        assert not any('data-state="error"' in u[0] for u in updates), updates[-1][0]
        session: Session = updates[-1][1]
        answer = session.latest
        assert [turn.question for turn in session.turns] == [question]
        assert answer is not None and answer.question == question and not answer.abstained
        expected = alone[question]
        assert expected is not None
        assert (answer.answer, answer.citations) == (expected.answer, expected.citations)
        _resolved(app, answer)

    updates, session = _ask(page, NEW_QUESTION)
    answer = session.latest
    assert answer is not None and not answer.abstained, updates[-1][0]
    assert {c.doc_id for c in answer.citations} == {"zanzibar.txt"}, answer.citations
    assert "Zanzibar lighthouses" in answer.answer
    _resolved(app, answer)
