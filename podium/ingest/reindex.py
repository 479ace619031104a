"""Re-embed every stored document with the configured embedding model (`podium reindex`).

The original texts and their chunks are already in the document store, so no input files are
needed. Vectors go into a new collection beside the live one, which keeps answering until the
new one is complete and swapped in; Ctrl-C or a kill leaves the live index as it was, and the
next run resumes where this one stopped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from tqdm import tqdm

from podium.config import IngestSettings
from podium.errors import PodiumError
from podium.ingest.chunking import chunk_document
from podium.ingest.parse import parse_document
from podium.vectorstore.chroma import ChunkIndex
from podium.vectorstore.docstore import DocumentStore


@dataclass
class ReindexReport:
    """What one re-index run did."""

    model: str
    documents: int = 0
    resumed: int = 0
    chunks_written: int = 0
    seconds: float = 0.0
    interrupted: bool = False

    def summary(self) -> str:
        """The line printed at the end of `podium reindex`."""
        if self.interrupted:
            return (f"reindex interrupted after {self.documents} of the documents; the index is "
                    "unchanged, and the same command resumes")
        resumed = f" ({self.resumed} kept from an interrupted run)" if self.resumed else ""
        return (f"reindex done: {self.documents} documents{resumed}, {self.chunks_written} "
                f"chunks embedded with {self.model} in {self.seconds:.1f} s")


def reindex(docstore: DocumentStore, index: ChunkIndex, settings: IngestSettings, *,
            progress: bool = True) -> ReindexReport:
    """Embed every stored document into a new collection, then swap it in."""
    started = time.perf_counter()
    report = ReindexReport(model=index.info.name)
    documents = docstore.listing()
    if not documents:
        raise PodiumError("nothing is stored to re-index",
                          hint="run `podium ingest data/transcripts` instead")
    rebuild = index.rebuild()
    done: list[tuple[str, int]] = []
    try:
        for info in tqdm(documents, unit="doc", desc="reindex", disable=not progress,
                         delay=2.0, leave=False):
            chunks = docstore.chunks(info.doc_id)
            if not chunks:  # stored before the keyword index existed: chunk the stored text
                doc = docstore.get(info.doc_id)
                assert doc is not None
                parsed = parse_document(doc.doc_id, doc.text, doc.metadata)
                chunks = chunk_document(parsed, settings.chunk_tokens)
                docstore.rewrite_chunks(doc.doc_id, chunks)
            if rebuild.has(info.doc_id, info.content_hash, len(chunks)):
                report.resumed += 1
            else:
                rebuild.add(info.doc_id, info.content_hash, info.title, info.date, chunks)
                report.chunks_written += len(chunks)
            done.append((info.doc_id, len(chunks)))
            report.documents += 1
    except KeyboardInterrupt:
        report.interrupted = True
        return report
    rebuild.finish()
    for doc_id, n_chunks in done:
        docstore.complete(doc_id, n_chunks)
    report.seconds = time.perf_counter() - started
    return report
