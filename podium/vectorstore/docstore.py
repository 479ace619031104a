"""The document store and ingest manifest: original texts, their state and the keyword index.

One SQLite file holds each document's verbatim text and ingest status, and its chunks in an
FTS5 keyword index (porter stemming). Chunks are written in the same transaction that marks a
document pending, and deleted with it, so the keyword index is always in step with ingest.

The file is in WAL mode: readers (a chat page) never wait for the one writer (an ingest), and a
writer waits up to `busy_timeout` seconds for another; past that, a PodiumError says so.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podium.errors import PodiumError
from podium.ingest.chunking import Chunk

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
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    speaker TEXT NOT NULL,
    title TEXT NOT NULL,
    dated TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    body, speaker, title, dated, content='chunks', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, body, speaker, title, dated)
    VALUES (new.id, new.body, new.speaker, new.title, new.dated);
END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, body, speaker, title, dated)
    VALUES ('delete', old.id, old.body, old.speaker, old.title, old.dated);
END;
"""
BUSY_TIMEOUT_S = 10.0
# NUL ends an FTS5 string early; lone surrogates cannot be encoded for SQLite
_UNSEARCHABLE = re.compile("[\x00\ud800-\udfff]")
# bm25 weights of the FTS columns: words, speaker, title, date words
BM25_WEIGHTS = (1.0, 2.0, 0.5, 1.0)
# a chunk as keyword_search and neighbours read it (chunks c JOIN documents d), see _chunk_ref
_CHUNK_COLUMNS = "c.doc_id, c.idx, c.start, c.end, c.speaker, d.content_hash, c.body"
MONTHS = ("January February March April May June July August September October November "
          "December").split()


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


@dataclass(frozen=True)
class DocumentInfo:
    """What the Library lists of a document (no text)."""

    doc_id: str
    title: str
    date: str | None
    speakers: list[str]
    status: str
    n_chunks: int
    content_hash: str


@dataclass(frozen=True)
class ChunkRef:
    """A chunk as both indexes know it: its words at [start, end) of one document version."""

    doc_id: str
    index: int
    start: int
    end: int
    speaker: str | None
    content_hash: str
    text: str

    @property
    def key(self) -> tuple[str, str, int]:
        """(doc_id, content_hash, index): the chunk's identity in both indexes."""
        return (self.doc_id, self.content_hash, self.index)


@dataclass(frozen=True)
class Scope:
    """Which chunks a search may return: None means no restriction."""

    doc_ids: frozenset[str] | None = None
    speakers: frozenset[str] | None = None

    @property
    def empty(self) -> bool:
        """True when the filters leave nothing to search."""
        return self.doc_ids == frozenset() or self.speakers == frozenset()


class _Connection(sqlite3.Connection):
    """A connection whose 'database is locked', after the busy timeout, is a PodiumError."""

    busy: str = "the document store"
    timeout_s: float = BUSY_TIMEOUT_S

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        with self._reported():
            return super().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> sqlite3.Cursor:
        with self._reported():
            return super().executemany(sql, parameters)

    def executescript(self, script: str, /) -> sqlite3.Cursor:
        with self._reported():
            return super().executescript(script)

    @contextmanager
    def _reported(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            raise PodiumError(
                f"{self.busy} stayed busy for {self.timeout_s:g} s: another process is "
                "writing to it", hint="wait for the other ingest to finish, then try again"
            ) from None


class DocumentStore:
    """SQLite file holding every document's original text and ingest status."""

    def __init__(self, path: Path, *, busy_timeout: float = BUSY_TIMEOUT_S) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None,
                                     timeout=busy_timeout, factory=_Connection)
        self._conn.busy = f"the document store {path}"
        self._conn.timeout_s = busy_timeout
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

    def begin(self, doc: StoredDocument, chunks: list[Chunk]) -> None:
        """Record a document as pending with its new keyword chunks; vectors are not yet done."""
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (doc.doc_id, doc.source, doc.content_hash, "pending", doc.title, doc.date,
                 json.dumps(doc.speakers), json.dumps(doc.metadata, default=str), doc.text,
                 0, time.time()),
            )
            self._write_chunks(db, doc.doc_id, doc.title, doc.date, chunks)

    def states(self) -> dict[str, tuple[str, str, bool]]:
        """(content_hash, status, has keyword chunks) of every stored document, by doc_id."""
        rows = self._conn.execute(
            "SELECT d.doc_id, d.content_hash, d.status, "
            "EXISTS (SELECT 1 FROM chunks c WHERE c.doc_id = d.doc_id) FROM documents d")
        return {r[0]: (r[1], r[2], bool(r[3])) for r in rows}

    def has_chunks(self, doc_id: str) -> bool:
        """True when the keyword index holds the document's chunks."""
        row = self._conn.execute("SELECT 1 FROM chunks WHERE doc_id=? LIMIT 1", (doc_id,))
        return row.fetchone() is not None

    def rewrite_chunks(self, doc_id: str, chunks: list[Chunk]) -> None:
        """Rebuild one document's keyword chunks (an index made before the keyword index)."""
        row = self._conn.execute("SELECT title, date FROM documents WHERE doc_id=?",
                                 (doc_id,)).fetchone()
        if row is None:
            return
        with self._tx() as db:
            self._write_chunks(db, doc_id, row[0], row[1], chunks)

    @staticmethod
    def _write_chunks(db: sqlite3.Connection, doc_id: str, title: str, date: str | None,
                      chunks: list[Chunk]) -> None:
        db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
        dated = date_words(date)
        db.executemany(
            "INSERT INTO chunks (doc_id, idx, start, end, speaker, title, dated, body) "
            "VALUES (?,?,?,?,?,?,?,?)",
            [(doc_id, c.index, c.start, c.end, c.speaker or "", title, dated, c.text)
             for c in chunks])

    def complete(self, doc_id: str, n_chunks: int) -> None:
        """Mark a document's chunks as fully written."""
        with self._tx() as db:
            db.execute("UPDATE documents SET status='complete', n_chunks=?, updated_at=? "
                       "WHERE doc_id=?", (n_chunks, time.time(), doc_id))

    def delete(self, doc_id: str) -> None:
        """Remove a document and its keyword chunks."""
        with self._tx() as db:
            db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
            db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))

    def keyword_count(self) -> int:
        """Chunks in the keyword index."""
        return int(self._conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def keyword_search(self, words: list[str], limit: int, scope: Scope | None = None,
                       max_rows: int | None = None) -> list[ChunkRef]:
        """Chunks of complete documents matching any of the words, best BM25 first.

        Each word is one FTS5 string ("" doubled inside), so query syntax in it is only text;
        NUL (which ends an FTS5 string early) and lone surrogates (not storable) are dropped.
        With max_rows, only the rarest words whose matches add up to at most max_rows chunks
        are ranked: ranking costs per matching chunk, and a word in a large share of the chunks
        ("president" in White House briefings) weighs almost nothing in BM25 anyway."""
        words = [w for w in dict.fromkeys(_fts_safe(w) for w in words) if w.strip()]
        if not words or (scope is not None and scope.empty):
            return []
        strings = ['"' + w.replace('"', '""') + '"' for w in words]
        if max_rows is not None:
            strings = self._rarest(strings, max_rows)
            if not strings:
                return []
        params: list[Any] = [" OR ".join(strings)]
        bm25 = f"bm25(chunks_fts, {', '.join(map(str, BM25_WEIGHTS))})"
        if scope is None and not self._conn.execute(
                "SELECT 1 FROM documents WHERE status = 'pending' LIMIT 1").fetchone():
            # nothing to leave out row by row: rank in the FTS index alone and read the chunks
            # of the best rows only (half the time of joining every matching row first); a
            # document an ingest begins meanwhile is still left out, at worst with fewer rows
            sql = (f"SELECT {_CHUNK_COLUMNS} FROM (SELECT rowid AS id, {bm25} AS score "
                   "FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY score LIMIT ?) f "
                   "JOIN chunks c ON c.id = f.id JOIN documents d ON d.doc_id = c.doc_id "
                   "WHERE d.status = 'complete' ORDER BY f.score")
            return [_chunk_ref(r) for r in self._conn.execute(sql, [*params, limit])]
        sql = (f"SELECT {_CHUNK_COLUMNS} FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid "
               "JOIN documents d ON d.doc_id = c.doc_id "
               "WHERE chunks_fts MATCH ? AND d.status = 'complete'")
        if scope is not None:
            for column, allowed in (("c.doc_id", scope.doc_ids), ("c.speaker", scope.speakers)):
                if allowed is not None:
                    sql += f" AND {column} IN ({','.join('?' * len(allowed))})"
                    params.extend(sorted(allowed))
        sql += f" ORDER BY {bm25} LIMIT ?"
        return [_chunk_ref(r) for r in self._conn.execute(sql, [*params, limit])]

    def _rarest(self, strings: list[str], max_rows: int) -> list[str]:
        """The FTS5 strings, rarest first, while their matching chunks add up to at most
        max_rows (counting a word's matches reads only its postings: ~1 ms per 10,000)."""
        counted = sorted((self._conn.execute(
            "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (s,)).fetchone()[0], s)
            for s in strings)
        kept, total = [], 0
        for count, string in counted:
            if count and total + count <= max_rows:
                kept.append(string)
                total += count
        return kept

    def scope(self, *, speaker: str | None = None, after: str | None = None,
              before: str | None = None, docs: tuple[str, ...] = ()) -> Scope:
        """The documents and speaker labels that filters select (case-insensitive parts)."""
        doc_ids: set[str] | None = None
        if after or before or docs:
            sql, params = "SELECT doc_id FROM documents WHERE 1=1", list[str]()
            if after or before:  # a year's or month's date ("2019") spans its days:
                sql += " AND length(date) >= 4"  # "2019~" sorts after every one of them
            if after:
                sql, params = sql + " AND date || '~' >= ?", [*params, after]
            if before:
                sql, params = sql + " AND date <= ?", [*params, before]
            if docs:
                sql += " AND (" + " OR ".join(
                    "doc_id = ? OR lower(doc_id) LIKE ? OR lower(title) LIKE ?" for _ in docs) + ")"
                for d in docs:
                    params += [d, f"%{d.lower()}%", f"%{d.lower()}%"]
            doc_ids = {r[0] for r in self._conn.execute(sql, params)}
        speakers: set[str] | None = None
        if speaker:
            rows = self._conn.execute("SELECT DISTINCT speaker FROM chunks WHERE speaker != '' "
                                      "AND lower(speaker) LIKE ?", (f"%{speaker.lower()}%",))
            speakers = {r[0] for r in rows}
        return Scope(None if doc_ids is None else frozenset(doc_ids),
                     None if speakers is None else frozenset(speakers))

    def get(self, doc_id: str) -> StoredDocument | None:
        """One document, or None."""
        row = self._conn.execute(
            "SELECT doc_id, source, content_hash, status, title, date, speakers, metadata, text, "
            "n_chunks FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        if row is None:
            return None
        return StoredDocument(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]),
                              json.loads(row[7]), row[8], row[9])

    def titles(self, doc_ids: Iterable[str]) -> dict[str, tuple[str, str | None]]:
        """(title, date) of each of these documents that is stored, without their text."""
        wanted = list(dict.fromkeys(doc_ids))
        if not wanted:
            return {}
        rows = self._conn.execute(
            "SELECT doc_id, title, date FROM documents "
            f"WHERE doc_id IN ({','.join('?' * len(wanted))})", wanted)
        return {r[0]: (r[1], r[2]) for r in rows}

    def listing(self) -> list[DocumentInfo]:
        """Every document's metadata, without its text, by doc_id."""
        rows = self._conn.execute(
            "SELECT doc_id, title, date, speakers, status, n_chunks, content_hash FROM documents "
            "ORDER BY doc_id")
        return [DocumentInfo(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6]) for r in rows]

    def find(self, query: str = "", *, limit: int = 50, offset: int = 0,
             complete_only: bool = False) -> tuple[list[DocumentInfo], int]:
        """One page of the documents whose id, title, date or speakers hold every word of the
        query (case-insensitive), newest first; and how many match in all."""
        where, params = "WHERE 1=1", list[Any]()
        if complete_only:
            where += " AND status = 'complete'"
        for word in query.lower().split()[:10]:
            where += (" AND lower(doc_id || ' ' || title || ' ' || coalesce(date, '') || ' ' "
                      "|| speakers) LIKE ? ESCAPE '\\'")
            params.append("%" + re.sub(r"([%_\\])", r"\\\1", word) + "%")
        total = int(self._conn.execute(f"SELECT COUNT(*) FROM documents {where}",
                                       params).fetchone()[0])
        rows = self._conn.execute(
            "SELECT doc_id, title, date, speakers, status, n_chunks, content_hash FROM "
            f"documents {where} ORDER BY date IS NULL, date DESC, doc_id LIMIT ? OFFSET ?",
            [*params, limit, offset])
        return [DocumentInfo(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6])
                for r in rows], total

    def chunks(self, doc_id: str) -> list[Chunk]:
        """A document's chunks as stored at ingest, in order."""
        rows = self._conn.execute(
            "SELECT idx, start, end, speaker, body FROM chunks WHERE doc_id=? ORDER BY idx",
            (doc_id,))
        return [Chunk(doc_id, r[0], r[1], r[2], r[3] or None, r[4]) for r in rows]

    def neighbours(self, chunks: list[ChunkRef], scope: Scope | None = None) -> list[ChunkRef]:
        """The chunks just before and after each given one in the same document version (the
        turn a short answer replies to, the answer a question gets), except the given ones
        and those the scope excludes, in the order of the given chunks."""
        given = {c.key for c in chunks}
        wanted = list(dict.fromkeys((c.doc_id, c.content_hash, c.index + step)
                                    for c in chunks for step in (-1, 1)))
        wanted = [key for key in wanted if key not in given and key[2] >= 0]
        if not wanted or (scope is not None and scope.empty):
            return []
        rows = self._conn.execute(
            f"SELECT {_CHUNK_COLUMNS} FROM chunks c JOIN documents d ON d.doc_id = c.doc_id "
            # one index lookup per wanted chunk ("(doc_id, idx) IN (VALUES …)" scanned every
            # document: 72 ms at 77,642 chunks against 0.6 ms)
            "WHERE d.status = 'complete' AND ("
            + " OR ".join(["(c.doc_id = ? AND c.idx = ?)"] * len(wanted)) + ")",
            [v for doc_id, _, idx in wanted for v in (doc_id, idx)])
        found = {(ref := _chunk_ref(r)).key: ref for r in rows}
        out = [found[key] for key in wanted if key in found]
        if scope is not None:
            out = [c for c in out if (scope.doc_ids is None or c.doc_id in scope.doc_ids)
                   and (scope.speakers is None or c.speaker in scope.speakers)]
        return out

    def sources(self) -> dict[str, str]:
        """Every stored document's source (file, or file:line of a JSONL record), by doc_id."""
        return dict(self._conn.execute("SELECT doc_id, source FROM documents ORDER BY doc_id"))

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

    def pending(self, limit: int) -> list[str]:
        """Up to limit ids of documents whose ingest has not finished."""
        rows = self._conn.execute("SELECT doc_id FROM documents WHERE status='pending' "
                                  "ORDER BY doc_id LIMIT ?", (limit,))
        return [r[0] for r in rows]

    def get_meta(self, key: str) -> str | None:
        """A value from the key/value table."""
        row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Store a key/value pair."""
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


def _fts_safe(word: str) -> str:
    return _UNSEARCHABLE.sub("", word)


def date_words(date: str | None) -> str:
    """An ISO date as the words a question may use: "2024-04-03 3 April 2024 April 3"."""
    if not date or len(date) < 10:
        return date or ""
    year, month, day = date[:4], int(date[5:7]), int(date[8:10])
    if not 1 <= month <= 12:
        return date
    name = MONTHS[month - 1]
    return f"{date} {day} {name} {year}"


def _chunk_ref(row: Sequence[Any]) -> ChunkRef:
    """A row of _CHUNK_COLUMNS as a ChunkRef."""
    return ChunkRef(row[0], row[1], row[2], row[3], row[4] or None, row[5], row[6])
