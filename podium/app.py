"""Wiring: build_app(settings) creates Podium's parts on first use and passes them down."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from functools import cached_property
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding

from podium.config import Settings
from podium.errors import PodiumError
from podium.ingest.pipeline import Ingestor, IngestReport
from podium.ingest.reindex import ReindexReport, reindex
from podium.models import (
    build_embedder,
    build_generator,
    build_reranker,
    build_rescorer,
    build_vector_store,
    describe_vector_store,
    server_error,
)
from podium.qa.engine import QAEngine
from podium.qa.evidence import Rerank
from podium.qa.generate import Generator, LLMGenerator, Turn
from podium.qa.retrieve import Filters, HybridRetriever
from podium.qa.schema import Answer, Done, Event, final_answer
from podium.vectorstore.chroma import ChunkIndex, EmbeddingInfo
from podium.vectorstore.docstore import DocumentStore

logger = logging.getLogger(__name__)

DELETING = "deleting"  # document-store meta key: the doc_id of a delete not yet finished


class Podium:
    """The application: ingest files, answer questions. Heavy parts load lazily."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data_dir = settings.data_dir
        self._serving = False

    @cached_property
    def docstore(self) -> DocumentStore:
        """Original texts and the ingest manifest."""
        return DocumentStore(self.data_dir / "podium.db")

    @cached_property
    def _embedding(self) -> tuple[BaseEmbedding, EmbeddingInfo]:
        return build_embedder(self.settings)

    @property
    def shared_store(self) -> bool:
        """True when the vectors are on a server that sees every process's writes."""
        return self.settings.vectorstore.provider == "chroma_server"

    @cached_property
    def index(self) -> ChunkIndex:
        """The Chroma chunk index for the configured embedding model."""
        model, info = self._embedding
        settings = self.settings

        def failure(exc: Exception) -> PodiumError:
            return server_error(settings, exc)

        return ChunkIndex(build_vector_store(settings), settings.vectorstore.collection,
                          model, info, failure=failure if self.shared_store else None)

    @cached_property
    def retriever(self) -> HybridRetriever:
        """Vector and keyword search, fused."""
        return HybridRetriever(self.index, self.docstore, self.settings.retrieval)

    @cached_property
    def generator(self) -> Generator:
        """The configured answer writer."""
        return build_generator(self.settings)

    def warm_up(self) -> None:
        """Get ready for the first question in background threads while the main thread
        opens the index and retrieves: load the reranker, and load the writer's model and
        put the fixed start of its prompt in its cache (so that a first question evaluates no
        more of it than a later one). A failure is left to the question, which meets it again
        and reports it. (Loading the embedding model in a thread as well gained nothing,
        measured: bench/README.md.)"""
        generator = self.generator
        _background("the reranker", lambda: self.reranker, "podium-warm-reranker")
        _background("the writer", lambda: _warm_writer(generator), "podium-warm-up")

    @cached_property
    def engine(self) -> QAEngine:
        """The question-answering pipeline."""
        models = {"llm": self.generator.name, "embedding": self._embedding[1].name}
        rescore, rescorer = build_rescorer(self.settings)
        if rescorer:
            models["rescorer"] = rescorer
        if self.reranker is not None:
            models["reranker"] = self.reranker.name
        return QAEngine(retriever=self.retriever, docstore=self.docstore, generator=self.generator,
                        settings=self.settings.retrieval, citations=self.settings.citations,
                        models=models, rescore=rescore, rerank=self.reranker)

    @cached_property
    def reranker(self) -> Rerank | None:
        """Podium's reranker (retrieval.reranker), or None when switched off."""
        return build_reranker(self.settings)

    def ingest(self, paths: list[Path], *, prune: bool = False, reindex: bool = False,
               progress: bool = True) -> IngestReport:
        """Ingest files and folders into the index (one ingest at a time per data dir)."""
        with self._ingest_lock():
            self._require_vectors()
            self._finish_delete()
            ingestor = Ingestor(self.settings.ingest, self.docstore, self.index)
            return ingestor.run(paths, prune=prune, reindex=reindex, progress=progress)

    def reindex(self, *, progress: bool = True) -> ReindexReport:
        """Re-embed every stored document with the configured embedding model."""
        with self._ingest_lock():
            return reindex(self.docstore, self.index, self.settings.ingest, progress=progress)

    def delete(self, doc_id: str) -> None:
        """Remove one document from the index and the document store.

        The two stores cannot change in one transaction, so the id is noted in the document
        store first: a delete killed after its vectors went, which would leave the document
        listed (and unchanged to a re-ingest) without them, is finished by the next ingest or
        delete, or when a chat page starts."""
        with self._ingest_lock():
            self._finish_delete()
            if self.docstore.get(doc_id) is None:
                raise PodiumError(f"no indexed document {doc_id!r}",
                                  hint="the Library lists the indexed transcripts")
            self.index.require_model()
            self.docstore.set_meta(DELETING, doc_id)
            self._finish_delete()

    def _finish_delete(self) -> None:
        """Carry out the delete noted in the document store, if any (the ingest lock held)."""
        doc_id = self.docstore.get_meta(DELETING)
        if doc_id:
            self.index.delete_document(doc_id)
            self.docstore.delete(doc_id)
            self.docstore.set_meta(DELETING, "")

    def ask(self, question: str, *, history: Sequence[Turn] = (),
            filters: Filters | None = None) -> Answer:
        """Answer a question from the indexed transcripts."""
        self.require_index()
        return self.engine.ask(question, history=history, filters=filters)

    def stream(self, question: str, *, history: Sequence[Turn] = (),
               filters: Filters | None = None) -> Iterator[Event]:
        """Answer a question as a stream of events (see podium.qa.schema)."""
        self.require_index()
        return self.engine.stream(question, history=history, filters=filters)

    def chat(self, filters: Filters | None = None) -> Conversation:
        """A conversation that keeps its history: follow-ups become standalone questions."""
        return Conversation(self, filters)

    def require_index(self) -> None:
        """Raise a clear error when nothing is indexed yet."""
        counts = self.docstore.counts()
        if counts["complete"] == 0 and counts["pending"] == 0:
            raise PodiumError(f"nothing is indexed in {self.data_dir}",
                              hint="run `podium ingest data/transcripts` first")
        self._require_vectors()

    def _require_vectors(self) -> None:
        """Refuse a vector store that holds none of this data dir's chunks (the settings point
        at another store or collection): ingest would take the documents as done."""
        chunks = self.docstore.counts()["chunks"]
        if chunks and self.index.count() == 0:
            raise PodiumError(
                f"{describe_vector_store(self.settings)} holds none of the {chunks:,} chunks "
                f"indexed in {self.data_dir}",
                hint="run `podium reindex` to embed the stored transcripts into it, or point "
                     "[vectorstore] back at the store they were indexed in")

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Hold the data dir for a long-running page. An embedded Chroma store does not see
        another process's writes, so while the page runs, ingests from other processes are
        refused (the page's own uploads and deletes go on), and the page is refused while
        another process writes. A Chroma server sees every write: nothing is held."""
        with ExitStack() as held:
            if not self.shared_store:
                fd = held.enter_context(_flock(self.data_dir / "serve.lock", fcntl.LOCK_EX))
                if fd is None:
                    raise PodiumError(
                        f"another Podium process is writing to {self.data_dir} (an ingest, a "
                        "reindex, or a chat page)",
                        hint="wait for the ingest to finish, or stop the other chat page, then "
                             "start the page again")
                os.ftruncate(fd, 0)
                os.write(fd, str(os.getpid()).encode())
            self._serving = True
            try:
                try:
                    with self._ingest_lock():
                        self._finish_delete()
                except PodiumError as exc:  # e.g. a server down: the page still starts
                    logger.warning("an interrupted delete is not finished yet: %s", exc)
                yield
            finally:
                self._serving = False

    @contextmanager
    def _ingest_lock(self) -> Iterator[None]:
        with _flock(self.data_dir / "ingest.lock", fcntl.LOCK_EX) as fd:
            if fd is None:
                raise PodiumError(f"another ingest is running on {self.data_dir}",
                                  hint="wait for it to finish, then run this again")
            if self._serving or self.shared_store:  # this process's client (or a server)
                yield  # sees the write
                return
            with _flock(self.data_dir / "serve.lock", fcntl.LOCK_SH) as page:
                if page is None:
                    pid = (self.data_dir / "serve.lock").read_text().strip() or "?"
                    raise PodiumError(
                        f"a chat page (pid {pid}) is serving {self.data_dir}, and it would not "
                        "see what this process writes",
                        hint="add the files in the page's Library tab, or stop the page, run "
                             "this again, then start the page")
                yield


def _background(what: str, work: Callable[[], object], name: str) -> None:
    """Run work in a thread; its failure is only logged (the question meets it again)."""

    def run() -> None:
        try:
            work()
        except Exception as exc:
            logger.debug("warming %s up failed: %s", what, exc)

    threading.Thread(target=run, name=name).start()


def _warm_writer(generator: Generator) -> None:
    """Load the writer's model; where its runtime keeps a prompt cache (ik_llama), evaluate
    the answer prompt's system message into it, as every question after the first finds it."""
    generator.warm()
    prime = getattr(getattr(generator, "llm", None), "prime", None)
    if isinstance(generator, LLMGenerator) and prime is not None:
        prime(generator.messages("", []))


@contextmanager
def _flock(path: Path, mode: int) -> Iterator[int | None]:
    """An advisory lock on path, taken without waiting: the fd, or None when it is held."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR)
    try:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        yield fd
    finally:
        os.close(fd)


class Conversation:
    """One chat: each answer sees the turns before it. Not shared between users."""

    def __init__(self, app: Podium, filters: Filters | None = None) -> None:
        self._app = app
        self.filters = filters
        self.turns: list[Turn] = []

    def ask(self, question: str) -> Answer:
        """Answer a question in the context of this conversation."""
        return final_answer(self.stream(question))

    def stream(self, question: str) -> Iterator[Event]:
        """Stream an answer; the turn is remembered once it is done."""
        for event in self._app.stream(question, history=tuple(self.turns), filters=self.filters):
            if isinstance(event, Done):
                self.turns.append(Turn(event.answer.standalone_question, event.answer.answer))
            yield event

    def reset(self) -> None:
        """Start a new conversation."""
        self.turns.clear()


def build_app(settings: Settings) -> Podium:
    """Create the application for these settings."""
    return Podium(settings)
