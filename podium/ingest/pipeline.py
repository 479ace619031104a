"""Ingestion: files → parsed documents → chunks → Chroma + document store, incrementally.

Crash safety: a document is first stored as *pending* (new text, new hash, new keyword
chunks, in one transaction), then its old vectors are deleted and the new ones added under
deterministic ids, then it is marked *complete*; searches use complete documents only. A run
killed at any point leaves every other document intact, and the next run redoes pending
documents without duplicates.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from podium.config import IngestSettings
from podium.errors import PodiumError
from podium.ingest.chunking import chunk_document
from podium.ingest.loaders import RawDocument, Skipped, discover, load_file
from podium.ingest.parse import parse_document
from podium.vectorstore.chroma import ChunkIndex
from podium.vectorstore.docstore import DocumentStore, StoredDocument

logger = logging.getLogger(__name__)


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
        line = (f"ingest {state} {', '.join(parts)}; {self.chunks_written} chunks written "
                f"in {self.seconds:.1f} s")
        return f"{line}\nnothing pruned: {self.prune_withheld}" if self.prune_withheld else line


def content_hash(doc: RawDocument) -> str:
    """Identity of a document's content: its text and its metadata."""
    payload = json.dumps([doc.text, doc.metadata], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class Ingestor:
    """Brings files into the document store and the chunk index."""

    def __init__(self, settings: IngestSettings, docstore: DocumentStore, index: ChunkIndex
                 ) -> None:
        self._settings = settings
        self._docstore = docstore
        self._index = index

    def run(self, paths: list[Path], *, prune: bool = False, reindex: bool = False,
            progress: bool = True) -> IngestReport:
        """Ingest files and folders; see the module docstring for the guarantees. `reindex`
        re-chunks and re-embeds these inputs only; `prune` removes the indexed documents that
        are not among them, and refuses when an input is missing."""
        if prune and (missing := [str(p) for p in paths if not p.exists()]):
            raise PodiumError(
                f"--prune refused: no such file or folder: {', '.join(missing)}",
                hint="check the path; nothing was ingested or removed")
        report = IngestReport()
        started = time.perf_counter()
        seen: set[str] = set()
        files = list(discover(paths, self._settings.extensions))
        report.skipped.extend(f for f in files if isinstance(f, Skipped))
        todo = [f for f in files if not isinstance(f, Skipped)]
        max_bytes = int(self._settings.max_file_mb * 2**20)
        has_jsonl = any(".jsonl" in f.name.lower() for f, _ in todo)
        bar = tqdm(total=None if has_jsonl else len(todo), unit="doc", desc="ingest",
                   disable=not progress, delay=2.0, leave=False)
        try:
            for file, root in todo:
                for item in load_file(file, root, max_bytes=max_bytes):
                    if isinstance(item, Skipped):
                        report.skipped.append(item)
                    elif item.doc_id in seen:
                        report.skipped.append(Skipped(item.source, f"duplicate id {item.doc_id!r}"))
                    else:
                        seen.add(item.doc_id)
                        self._one(item, report, reindex)
                    bar.update(1)
        except KeyboardInterrupt:
            report.interrupted = True
        finally:
            bar.close()
        if prune:
            self._prune(seen, report)
        report.seconds = time.perf_counter() - started
        return report

    def _prune(self, seen: set[str], report: IngestReport) -> None:
        """Remove indexed documents not among the inputs, only when every input was read."""
        if report.interrupted:
            report.prune_withheld = "the run was interrupted"
        elif report.skipped:
            report.prune_withheld = (f"{len(report.skipped)} input(s) could not be read (listed "
                                     "below); fix or remove them and run again")
        elif not seen:
            report.prune_withheld = "the inputs hold no document"
        if report.prune_withheld:
            return
        for doc_id in self._docstore.doc_ids():
            if doc_id not in seen:
                self._index.delete_document(doc_id)
                self._docstore.delete(doc_id)
                report.pruned.append(doc_id)

    def _one(self, raw: RawDocument, report: IngestReport, reindex: bool) -> None:
        if len(raw.text) > self._settings.max_document_chars:
            report.skipped.append(Skipped(raw.source, f"too long ({len(raw.text):,} characters; "
                                          "ingest.max_document_chars allows less)"))
            return
        digest = content_hash(raw)
        state = self._docstore.state(raw.doc_id)
        unchanged = state == (digest, "complete") and not reindex
        if unchanged and self._docstore.has_chunks(raw.doc_id):
            report.unchanged.append(raw.doc_id)
            return
        parsed = parse_document(raw.doc_id, raw.text, raw.metadata)
        chunks = chunk_document(parsed, self._settings.chunk_tokens)
        if unchanged:  # indexed before the keyword index existed: add its keyword chunks
            self._docstore.rewrite_chunks(raw.doc_id, chunks)
            report.unchanged.append(raw.doc_id)
            return
        if not chunks:
            report.skipped.append(Skipped(raw.source, "empty: no text left after boilerplate"))
            return
        self._docstore.begin(StoredDocument(
            doc_id=raw.doc_id, source=raw.source, content_hash=digest, status="pending",
            title=parsed.title, date=parsed.date, speakers=parsed.speakers,
            metadata=raw.metadata, text=raw.text, n_chunks=0), chunks)
        self._index.replace_document(raw.doc_id, digest, parsed.title, parsed.date, chunks)
        self._docstore.complete(raw.doc_id, len(chunks))
        report.chunks_written += len(chunks)
        (report.updated if state is not None else report.added).append(raw.doc_id)
