"""The document store and ingest manifest: original texts and their state, in SQLite."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'complete')),
    title TEXT NOT NULL,
    date TEXT,
    speakers TEXT NOT NULL,
    metadata TEXT NOT NULL,
    text TEXT NOT NULL,
    n_chunks INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class StoredDocument:
    """A document as stored: verbatim text plus what ingestion found."""

    doc_id: str
    source: str
    content_hash: str
    status: str
    title: str
    date: str | None
    speakers: list[str]
    metadata: dict[str, Any]
    text: str
    n_chunks: int


class DocumentStore:
    """SQLite file holding every document's original text and ingest status."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        """Close the database."""
        self._conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def state(self, doc_id: str) -> tuple[str, str] | None:
        """(content_hash, status) of a stored document, or None."""
        row = self._conn.execute(
            "SELECT content_hash, status FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def begin(self, doc: StoredDocument) -> None:
        """Record a document as pending: its text is stored, its chunks are not yet complete."""
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (doc.doc_id, doc.source, doc.content_hash, "pending", doc.title, doc.date,
                 json.dumps(doc.speakers), json.dumps(doc.metadata, default=str), doc.text,
                 0, time.time()),
            )

    def complete(self, doc_id: str, n_chunks: int) -> None:
        """Mark a document's chunks as fully written."""
        with self._tx() as db:
            db.execute("UPDATE documents SET status='complete', n_chunks=?, updated_at=? "
                       "WHERE doc_id=?", (n_chunks, time.time(), doc_id))

    def mark_all_pending(self) -> None:
        """Force every document to be re-embedded on the next ingest."""
        with self._tx() as db:
            db.execute("UPDATE documents SET status='pending'")

    def delete(self, doc_id: str) -> None:
        """Remove a document."""
        with self._tx() as db:
            db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))

    def get(self, doc_id: str) -> StoredDocument | None:
        """One document, or None."""
        row = self._conn.execute(
            "SELECT doc_id, source, content_hash, status, title, date, speakers, metadata, text, "
            "n_chunks FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        if row is None:
            return None
        return StoredDocument(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]),
                              json.loads(row[7]), row[8], row[9])

    def doc_ids(self) -> list[str]:
        """Every stored document id."""
        return [r[0] for r in self._conn.execute("SELECT doc_id FROM documents ORDER BY doc_id")]

    def counts(self) -> dict[str, int]:
        """Documents by status, and chunks of complete documents."""
        rows = self._conn.execute(
            "SELECT status, COUNT(*), SUM(n_chunks) FROM documents GROUP BY status").fetchall()
        out = {"complete": 0, "pending": 0, "chunks": 0}
        for status, n, chunks in rows:
            out[status] = n
            if status == "complete":
                out["chunks"] = chunks or 0
        return out

    def get_meta(self, key: str) -> str | None:
        """A value from the key/value table."""
        row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Store a key/value pair."""
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
