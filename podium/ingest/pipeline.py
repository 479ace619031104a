"""Ingestion: files → parsed documents → chunks → Chroma + document store, incrementally.

Streaming: a reader thread reads the inputs one record at a time (a .jsonl.gz line by line),
hashes, parses and chunks them, and hands them on through a short queue; the corpus is never
in memory at once. The main thread embeds the chunks of several documents in one batch, so the
embedding model, not per-document overhead, sets the pace, and reading and chunking the next
documents happens while the model runs.

Crash safety: a document is first stored as *pending* (new text, new hash, new keyword
chunks, in one transaction), then its old vectors are deleted and the new ones added under
deterministic ids, then it is marked *complete*; searches use complete documents only. A run
killed at any point leaves every other document intact, and the next run redoes pending
documents without duplicates. Documents whose vectors are still being computed are not yet
stored at all.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import queue
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from podium.config import IngestSettings
from podium.errors import PodiumError
from podium.ingest.chunking import Chunk, chunk_document
from podium.ingest.loaders import RawDocument, Skipped, discover, load_file
from podium.ingest.parse import ParsedDocument, parse_document
from podium.vectorstore.chroma import ChunkIndex
from podium.vectorstore.docstore import DocumentStore, StoredDocument

logger = logging.getLogger(__name__)

BATCH_CHUNKS = 64  # chunks embedded in one call, across documents
READ_AHEAD = 32  # documents parsed and chunked ahead of the embedder
COUNT_LIMIT = 2**30  # inputs larger than this (bytes on disk) are not counted for an ETA


@dataclass
class IngestReport:
    """What one ingest run did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    prune_withheld: str = ""
    chunks_written: int = 0
    seconds: float = 0.0
    interrupted: bool = False

    @property
    def ingested(self) -> int:
        """Documents now in the index from this run's inputs."""
        return len(self.added) + len(self.updated) + len(self.unchanged)

    def summary(self) -> str:
        """The one-line summary printed at the end of `podium ingest`."""
        parts = [f"{len(self.added)} added", f"{len(self.updated)} updated",
                 f"{len(self.unchanged)} unchanged", f"{len(self.skipped)} skipped"]
        if self.pruned:
            parts.append(f"{len(self.pruned)} pruned")
        state = "interrupted after" if self.interrupted else "done:"
        rate = (f" ({self.chunks_written / self.seconds:.1f} chunks/s)"
                if self.chunks_written and self.seconds else "")
        line = (f"ingest {state} {', '.join(parts)}; {self.chunks_written} chunks written "
                f"in {self.seconds:.1f} s{rate}")
        return f"{line}\nnot pruned: {self.prune_withheld}" if self.prune_withheld else line


def content_hash(doc: RawDocument) -> str:
    """Identity of a document's content: its text and its metadata."""
    payload = json.dumps([doc.text, doc.metadata], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass
class _Work:
    """A new or changed document, parsed and chunked, waiting for its vectors."""

    raw: RawDocument
    digest: str
    parsed: ParsedDocument
    chunks: list[Chunk]
    known: bool  # an older version is stored: updated, not added


@dataclass
class _Unchanged:
    """A document already indexed as it is; `chunks` when its keyword chunks are missing."""

    doc_id: str
    chunks: list[Chunk] | None = None


_Item = _Work | _Unchanged | Skipped


class Ingestor:
    """Brings files into the document store and the chunk index."""

    def __init__(self, settings: IngestSettings, docstore: DocumentStore, index: ChunkIndex,
                 *, batch_chunks: int = BATCH_CHUNKS) -> None:
        self._settings = settings
        self._docstore = docstore
        self._index = index
        self._batch_chunks = batch_chunks

    def run(self, paths: list[Path], *, prune: bool = False, reindex: bool = False,
            progress: bool = True) -> IngestReport:
        """Ingest files and folders; see the module docstring for the guarantees. `reindex`
        re-chunks and re-embeds these inputs only; `prune` removes the indexed documents that
        are not among them, and refuses when an input is missing."""
        if prune and (missing := [str(p) for p in paths if not p.exists()]):
            raise PodiumError(
                f"--prune refused: no such file or folder: {', '.join(missing)}",
                hint="check the path; nothing was ingested or removed")
        self._index.require_model()
        report = IngestReport()
        started = time.perf_counter()
        files = list(discover(paths, self._settings.extensions))
        report.skipped.extend(f for f in files if isinstance(f, Skipped))
        todo = [f for f in files if not isinstance(f, Skipped)]
        seen: set[str] = set()
        states = self._docstore.states()
        reader = _ReadAhead(self._read(todo, states, reindex, seen), READ_AHEAD)
        bar = _Progress(count_documents(todo) if progress else None, enabled=progress)
        batch: list[_Work] = []
        try:
            for item in reader:
                self._take(item, report, batch)
                bar.advance(report.chunks_written)
                if sum(len(w.chunks) for w in batch) >= self._batch_chunks:
                    self._flush(batch, report)
            self._flush(batch, report)
        except KeyboardInterrupt:
            report.interrupted = True
        finally:
            reader.close()
            bar.close()
        if prune:
            self._prune(seen, report)
        report.seconds = time.perf_counter() - started
        return report

    def _read(self, todo: list[tuple[Path, Path]], states: dict[str, tuple[str, str, bool]],
              reindex: bool, seen: set[str]) -> Iterator[_Item]:
        """Every input record, prepared against the stored states (runs in the reader thread,
        which touches no store)."""
        max_bytes = int(self._settings.max_file_mb * 2**20)
        for file, root in todo:
            for item in load_file(file, root, max_bytes=max_bytes):
                if isinstance(item, Skipped):
                    yield item
                elif item.doc_id in seen:
                    yield Skipped(item.source, f"duplicate id {item.doc_id!r}")
                else:
                    seen.add(item.doc_id)
                    yield self._prepare(item, states.get(item.doc_id), reindex)

    def _prepare(self, raw: RawDocument, state: tuple[str, str, bool] | None,
                 reindex: bool) -> _Item:
        if len(raw.text) > self._settings.max_document_chars:
            return Skipped(raw.source, f"too long ({len(raw.text):,} characters; "
                                       "ingest.max_document_chars allows less)")
        digest = content_hash(raw)
        unchanged = state is not None and state[:2] == (digest, "complete") and not reindex
        if unchanged and state is not None and state[2]:
            return _Unchanged(raw.doc_id)
        parsed = parse_document(raw.doc_id, raw.text, raw.metadata)
        chunks = chunk_document(parsed, self._settings.chunk_tokens)
        if unchanged:  # indexed before the keyword index existed: add its keyword chunks
            return _Unchanged(raw.doc_id, chunks)
        if not chunks:
            return Skipped(raw.source, "empty: no text left after boilerplate")
        return _Work(raw, digest, parsed, chunks, known=state is not None)

    def _take(self, item: _Item, report: IngestReport, batch: list[_Work]) -> None:
        if isinstance(item, Skipped):
            report.skipped.append(item)
        elif isinstance(item, _Unchanged):
            if item.chunks is not None:
                self._docstore.rewrite_chunks(item.doc_id, item.chunks)
            report.unchanged.append(item.doc_id)
        else:
            batch.append(item)

    def _flush(self, batch: list[_Work], report: IngestReport) -> None:
        """Embed a batch of documents in one call, then store them one by one: pending, new
        vectors, complete."""
        if not batch:
            return
        vectors = self._index.embed_texts([c.embedding_text() for w in batch for c in w.chunks])
        at = 0
        for work in batch:
            raw, parsed, n = work.raw, work.parsed, len(work.chunks)
            self._docstore.begin(StoredDocument(
                doc_id=raw.doc_id, source=raw.source, content_hash=work.digest,
                status="pending", title=parsed.title, date=parsed.date,
                speakers=parsed.speakers, metadata=raw.metadata, text=raw.text, n_chunks=0),
                work.chunks)
            self._index.replace_document(raw.doc_id, work.digest, parsed.title, parsed.date,
                                         work.chunks, vectors=vectors[at:at + n])
            self._docstore.complete(raw.doc_id, n)
            at += n
            report.chunks_written += n
            (report.updated if work.known else report.added).append(raw.doc_id)
        batch.clear()

    def _prune(self, seen: set[str], report: IngestReport) -> None:
        """Remove indexed documents not among the inputs. A document whose file (or folder)
        could not be read this time is kept: it may still be there."""
        if report.interrupted:
            report.prune_withheld = "the run was interrupted"
            return
        if not seen:
            report.prune_withheld = "the inputs hold no document"
            return
        unread = {_file_of(s.source) for s in report.skipped}
        kept = 0
        for doc_id, source in self._docstore.sources().items():
            if doc_id in seen:
                continue
            if any(_file_of(source) == u or _file_of(source).startswith(f"{u}/") for u in unread):
                kept += 1
                continue
            self._index.delete_document(doc_id)
            self._docstore.delete(doc_id)
            report.pruned.append(doc_id)
        if kept:
            report.prune_withheld = (f"{kept} document(s) kept because their input could not be "
                                     "read (listed below); fix it and run again")


def _file_of(source: str) -> str:
    """The file of a document's source: a JSONL record's "file:line" without its line."""
    head, _, tail = source.rpartition(":")
    return head if head and tail.isdigit() else source


def count_documents(todo: Iterable[tuple[Path, Path]]) -> int | None:
    """How many documents the inputs hold (one per file, one per JSONL line), or None when
    that is not cheap to know (more than COUNT_LIMIT bytes to read)."""
    todo = list(todo)
    try:
        if sum(file.stat().st_size for file, _ in todo) > COUNT_LIMIT:
            return None
        return sum(_records(file) for file, _ in todo)
    except (OSError, EOFError, ValueError, zlib.error):  # broken: the loaders will say why
        return None


def _records(file: Path) -> int:
    name = file.name.lower()
    if not name.endswith((".jsonl", ".jsonl.gz")):
        return 1
    opener = gzip.open if name.endswith(".gz") else open
    lines, last = 0, b"\n"
    with opener(file, "rb") as fh:
        while block := fh.read(2**20):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines + (last != b"\n")


class _ReadAhead:
    """Runs an iterator in a thread, READ_AHEAD items ahead of its consumer."""

    _END = object()

    def __init__(self, items: Iterator[_Item], size: int) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=size)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._fill, args=(items,), daemon=True,
                                        name="podium-ingest-reader")
        self._thread.start()

    def _fill(self, items: Iterator[_Item]) -> None:
        try:
            for item in items:
                if not self._put(item):
                    return
        except BaseException as exc:  # handed to the consumer, which raises it
            self._put(exc)
            return
        self._put(self._END)

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[_Item]:
        while (item := self._queue.get()) is not self._END:
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]

    def close(self) -> None:
        """Stop the reader thread (it ends at its next item)."""
        self._stop.set()
        self._thread.join(timeout=5)


class _Progress:
    """The tqdm bar: documents per second (and an ETA when the total is known), chunks per
    second as its postfix."""

    def __init__(self, total: int | None, *, enabled: bool) -> None:
        self._bar = tqdm(total=total, unit="doc", desc="ingest", disable=not enabled,
                         delay=2.0, leave=False, smoothing=0.1)
        self._started = time.perf_counter()
        self._shown = 0.0

    def advance(self, chunks: int) -> None:
        """One more document read; chunks written so far."""
        self._bar.update(1)
        now = time.perf_counter()
        if now - self._shown >= 1.0:
            self._shown = now
            rate = chunks / max(now - self._started, 1e-9)
            self._bar.set_postfix_str(f"{rate:.1f} chunks/s, {chunks:,} chunks", refresh=False)

    def close(self) -> None:
        """Remove the bar."""
        self._bar.close()
