"""The document store under concurrency: WAL readers beside one writer, and a busy timeout that
ends in a clear PodiumError rather than a traceback."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from podium.app import Podium
from podium.errors import PodiumError
from podium.vectorstore.docstore import DocumentStore


def test_readers_go_on_beside_a_writer_and_a_busy_writer_gets_a_message(tmp_path: Path
                                                                        ) -> None:
    path = tmp_path / "podium.db"
    writer = DocumentStore(path)
    writer.set_meta("k", "before")
    other = DocumentStore(path, busy_timeout=0.3)
    assert other._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    writer._conn.execute("BEGIN IMMEDIATE")  # an ingest in the middle of a transaction
    writer._conn.execute("INSERT OR REPLACE INTO meta VALUES ('k', 'during')")
    assert other.get_meta("k") == "before"  # the reader neither waits nor sees half a write
    started = time.monotonic()
    with pytest.raises(PodiumError, match=r"podium\.db stayed busy for 0\.3 s") as caught:
        other.set_meta("k", "mine")
    assert 0.25 <= time.monotonic() - started < 5
    assert "wait for the other ingest" in caught.value.hint
    assert not isinstance(caught.value.__cause__, sqlite3.Error)
    writer._conn.execute("COMMIT")
    assert other.get_meta("k") == "during"
    other.set_meta("k", "mine")  # free again
    assert writer.get_meta("k") == "mine"


def test_a_writer_waits_for_the_other_within_the_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "podium.db"
    first = DocumentStore(path)
    second = DocumentStore(path, busy_timeout=10)
    first._conn.execute("BEGIN IMMEDIATE")
    first._conn.execute("INSERT OR REPLACE INTO meta VALUES ('k', 'first')")
    release = threading.Timer(0.5, lambda: first._conn.execute("COMMIT"))
    release.start()
    started = time.monotonic()
    second.set_meta("k", "second")  # retried until the first commits
    release.join()
    assert time.monotonic() - started >= 0.4
    assert first.get_meta("k") == "second"


def test_keyword_search_ranks_only_the_rarest_words_within_max_rows(tmp_path: Path) -> None:
    from podium.ingest.chunking import Chunk
    from podium.vectorstore.docstore import StoredDocument

    store = DocumentStore(tmp_path / "podium.db")
    bodies = [f"The president said item {i}." for i in range(30)]
    bodies += ["The president said Kuleba asked for ammunition.", "Kuleba thanked the allies."]
    text = "\n".join(bodies)
    chunks, at = [], 0
    for i, body in enumerate(bodies):
        chunks.append(Chunk("d1", i, at, at + len(body), None, body))
        at += len(body) + 1
    store.begin(StoredDocument("d1", "s", "h", "pending", "T", None, [], {}, text, 0), chunks)
    store.complete("d1", len(chunks))

    def found(words: list[str], max_rows: int | None) -> set[int]:
        return {c.index for c in store.keyword_search(words, 50, max_rows=max_rows)}

    assert found(["president", "kuleba"], None) == set(range(32))
    assert found(["president", "kuleba"], 10) == {30, 31}  # "president": 31 chunks, left out
    assert found(["president", "kuleba", "ammunition"], 3) == {30, 31}  # 1 + 2 rows
    assert found(["president", "kuleba", "ammunition"], 2) == {30}  # the rarest fits alone
    assert found(["president", "said"], 10) == set()  # nothing rare enough: left to vectors
    assert found(["president"], 31) == set(range(31))
    store.close()


def test_keyword_search_ranks_alike_with_and_without_rows_to_leave_out(tmp_path: Path) -> None:
    """With nothing to leave out, the FTS index ranks alone and only the best rows are read;
    a pending document (an ingest under way) or a scope filters row by row instead. Both give
    the same chunks in the same order, and a pending document's chunks are never found."""
    from podium.ingest.chunking import Chunk
    from podium.vectorstore.docstore import Scope, StoredDocument

    store = DocumentStore(tmp_path / "podium.db")

    def add(doc_id: str, bodies: list[str], complete: bool = True) -> None:
        chunks, at = [], 0
        for i, body in enumerate(bodies):
            chunks.append(Chunk(doc_id, i, at, at + len(body), None, body))
            at += len(body) + 1
        store.begin(StoredDocument(doc_id, "s", "h", "pending", "T", None, [], {},
                                   "\n".join(bodies), 0), chunks)
        if complete:
            store.complete(doc_id, len(chunks))

    for d in range(4):
        add(f"d{d}", [f"Kuleba {'asked for ammunition ' * (i % 3 + 1)}in part {d}.{i}"
                      for i in range(6)])
    words = ["ammunition", "kuleba"]
    fast = [(c.doc_id, c.index) for c in store.keyword_search(words, 7)]
    everything = Scope(doc_ids=frozenset(f"d{d}" for d in range(4)))
    assert [(c.doc_id, c.index) for c in store.keyword_search(words, 7, everything)] == fast
    assert len(fast) == 7 and fast[0][1] % 3 == 2  # the chunks saying it three times first

    add("late", ["Kuleba asked for ammunition " * 5], complete=False)
    assert [(c.doc_id, c.index) for c in store.keyword_search(words, 7)] == fast
    store.close()


def test_date_filters_take_a_year_dated_document_in_its_year(fake_app: Podium,
                                                              tmp_path: Path) -> None:
    records = [{"id": "un2019", "date": "2019", "text": "A General Debate speech."},
               {"id": "wh", "date": "2022-03-05", "text": "A briefing."},
               {"id": "undated", "text": "Remarks with no date."}]
    source = tmp_path / "dated.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    fake_app.ingest([source], progress=False)
    store = fake_app.docstore
    assert store.get("undated").date is None  # type: ignore[union-attr]
    assert store.scope(after="2019-09-01", before="2019-09-30").doc_ids == {"un2019"}
    assert store.scope(after="2019-12-31").doc_ids == {"un2019", "wh"}
    assert store.scope(before="2019-01-01").doc_ids == {"un2019"}
    assert store.scope(after="2020-01-01").doc_ids == {"wh"}
    assert store.scope(before="2018-12-31").doc_ids == frozenset()
    assert store.scope(after="2022-03-05", before="2022-03-05").doc_ids == {"wh"}
    assert store.scope(after="2022-03-06").doc_ids == frozenset()
