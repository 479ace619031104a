"""Fuzz what a user types: questions (FTS5 syntax, quotes, NEAR(, *, -, OR, unbalanced
parentheses, hostile Unicode) and filters, against a real SQLite FTS5 table and a real Chroma
index with the fake models. Property: an answer, or a PodiumError with a one-line message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from podium.app import Podium, build_app
from podium.errors import PodiumError
from podium.ingest.chunking import Chunk
from podium.qa.retrieve import Filters, keyword_terms
from podium.vectorstore.docstore import DocumentStore, Scope, StoredDocument
from tests.conftest import SEED, fake_settings
from tests.fuzz.strategies import SYNTAX, assert_podium_error, nasty_text

questions = st.one_of(
    nasty_text(most=3_000),
    st.lists(st.sampled_from([*SYNTAX, "Kuleba", "NATO", "ammunition", " ", "said"]),
             max_size=20).map(" ".join),
)
words_any = st.text(st.characters(exclude_categories=()), max_size=30)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocumentStore]:
    docstore = DocumentStore(tmp_path_factory.mktemp("fts") / "podium.db")
    text = 'KULEBA: "Ammunition" NEAR(the) front* -- OR (unbalanced. 日本語 \u202e NOT x^2'
    docstore.begin(StoredDocument("d1", "s", "h", "pending", "T", "2024-04-03", ["KULEBA"], {},
                                  text, 0),
                   [Chunk("d1", 0, 0, len(text), "KULEBA", text)])
    docstore.complete("d1", 1)
    yield docstore
    docstore.close()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Podium:
    app = build_app(fake_settings(tmp_path_factory.mktemp("qa") / "data"))
    app.ingest([SEED], progress=False)
    return app


@given(questions, st.lists(words_any, max_size=6))
@example('"unbalanced (NEAR( * - OR', ['"', "NEAR(", "*", "-", "OR", ")"])
@example("ammunition", ["\x00", "a\x00b", "", " ", "\ud800"])
def test_keyword_search_never_raises(store: DocumentStore, question: str,
                                     words: list[str]) -> None:
    for query in (keyword_terms(question), words):
        hits = store.keyword_search(query, 10)
        store.keyword_search(query, 10, max_rows=1)  # counts each word's matches first
        assert all(h.doc_id == "d1" for h in hits)
        store.keyword_search(query, 10, Scope(doc_ids=frozenset({"d1"}),
                                              speakers=frozenset({"KULEBA"})))
    assert store.keyword_search(["ammunition"], 5)  # still answers afterwards


@given(questions)
@example("What did Kuleba say about \udcff ammunition?")
@example("NEAR(Kuleba ammunition) OR * -")
@example("\x00")
def test_ask_answers_or_explains(seeded: Podium, question: str) -> None:
    try:
        answer = seeded.ask(question)
    except PodiumError as exc:
        assert_podium_error(exc)
        return
    answer.to_dict()
    for citation in answer.citations:
        doc = seeded.docstore.get(citation.doc_id)
        assert doc is not None and doc.text[citation.start:citation.end] == citation.quote


filter_text = st.one_of(st.none(), nasty_text(most=100),
                        st.sampled_from(["2024-04-03", "2024-13-45", "notadate", "2024-02-30",
                                         "0000-01-01", "9999-12-31", "%", "_", "'"]))


@given(filter_text, filter_text, filter_text, st.lists(nasty_text(most=50), max_size=3))
@example(None, "2024-13-45", None, [])
@example("Kul\udcffeba", None, None, ["%", "_"])
def test_filters_answer_or_explain(seeded: Podium, speaker: str | None, after: str | None,
                                   before: str | None, docs: list[str]) -> None:
    try:
        filters = Filters(speaker=speaker, after=after, before=before, docs=tuple(docs))
        answer = seeded.ask("What did Kuleba say about ammunition?", filters=filters)
    except PodiumError as exc:
        assert_podium_error(exc)
        return
    answer.to_dict()


def test_seeded_index_is_used(seeded: Podium, tmp_path: Path) -> None:
    assert seeded.docstore.counts()["complete"] == 5
