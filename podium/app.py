"""Wiring: build_app(settings) creates Podium's parts on first use and passes them down."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding

from podium.config import Settings
from podium.errors import PodiumError
from podium.ingest.pipeline import Ingestor, IngestReport
from podium.models import build_embedder, build_generator
from podium.qa.engine import QAEngine
from podium.qa.generate import Generator
from podium.qa.schema import Answer
from podium.vectorstore.chroma import ChunkIndex, EmbeddingInfo
from podium.vectorstore.docstore import DocumentStore


class Podium:
    """The application: ingest files, answer questions. Heavy parts load lazily."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data_dir = settings.data_dir

    @cached_property
    def docstore(self) -> DocumentStore:
        """Original texts and the ingest manifest."""
        return DocumentStore(self.data_dir / "podium.db")

    @cached_property
    def _embedding(self) -> tuple[BaseEmbedding, EmbeddingInfo]:
        return build_embedder(self.settings)

    @cached_property
    def index(self) -> ChunkIndex:
        """The Chroma chunk index for the configured embedding model."""
        model, info = self._embedding
        return ChunkIndex(self.data_dir / "chroma", self.settings.vectorstore.collection,
                          model, info)

    @cached_property
    def generator(self) -> Generator:
        """The configured answer writer."""
        return build_generator(self.settings)

    @cached_property
    def engine(self) -> QAEngine:
        """The question-answering pipeline."""
        models = {"llm": self.generator.name, "embedding": self._embedding[1].name}
        return QAEngine(index=self.index, docstore=self.docstore, generator=self.generator,
                        settings=self.settings.retrieval, models=models)

    def ingest(self, paths: list[Path], *, prune: bool = False, reindex: bool = False,
               progress: bool = True) -> IngestReport:
        """Ingest files and folders into the index (one ingest at a time per data dir)."""
        with self._ingest_lock():
            ingestor = Ingestor(self.settings.ingest, self.docstore, self.index)
            return ingestor.run(paths, prune=prune, reindex=reindex, progress=progress)

    def ask(self, question: str) -> Answer:
        """Answer a question from the indexed transcripts."""
        counts = self.docstore.counts()
        if counts["complete"] == 0 and counts["pending"] == 0:
            raise PodiumError(f"nothing is indexed in {self.data_dir}",
                              hint="run `podium ingest data/transcripts` first")
        return self.engine.ask(question)

    @contextmanager
    def _ingest_lock(self) -> Iterator[None]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.data_dir / "ingest.lock", os.O_CREAT | os.O_RDWR)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise PodiumError(f"another ingest is running on {self.data_dir}",
                                  hint="wait for it to finish, then run this again") from None
            yield
        finally:
            os.close(fd)


def build_app(settings: Settings) -> Podium:
    """Create the application for these settings."""
    return Podium(settings)
