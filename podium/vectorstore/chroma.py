"""The chunk index: a Chroma collection behind llama-index, on the client that
podium.models.build_vector_store made (embedded in the data dir, or a Chroma server)."""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import BaseNode, NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
)

from podium.errors import IndexMismatchError, PodiumError, model_failures
from podium.ingest.chunking import Chunk
from podium.vectorstore.docstore import ChunkRef, Scope

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
StoreFailure = Callable[[Exception], PodiumError]


def _store_call(method: Callable[P, R]) -> Callable[P, R]:
    """Report a failure of the vector store (a server gone, a refused request) in one line."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except PodiumError:
            raise
        except Exception as exc:
            failure = getattr(args[0], "_failure", None)
            if failure is None:
                raise
            raise failure(exc) from exc

    return wrapper


@dataclass(frozen=True)
class EmbeddingInfo:
    """What the collection's vectors were made with."""

    name: str
    dimension: int


@dataclass(frozen=True)
class Hit(ChunkRef):
    """A retrieved chunk with its cosine similarity to the query."""

    similarity: float

    @classmethod
    def of(cls, chunk: ChunkRef, similarity: float) -> Hit:
        """A chunk found another way (by keyword), with its cosine looked up."""
        return cls(chunk.doc_id, chunk.index, chunk.start, chunk.end, chunk.speaker,
                   chunk.content_hash, chunk.text, similarity)


class ChunkIndex:
    """Chunks and their embeddings in one Chroma collection tied to one embedding model.

    `podium reindex` fills a second collection, <name>-next, for the configured model beside the
    live one and swaps it in only when it is complete; a killed re-index leaves the live index
    as it was, and the next run resumes.
    """

    def __init__(self, client: Any, collection: str, embed_model: BaseEmbedding,
                 info: EmbeddingInfo, *, failure: StoreFailure | None = None) -> None:
        self._client = client
        self._name = collection
        self._embed_model = embed_model
        self.info = info
        self._failure = failure  # turns a client error into a one-line PodiumError
        self._setup()

    @_store_call
    def _setup(self) -> None:
        self._finish_interrupted_swap()
        self._open()
        self._mismatch = self._check_model()

    def _open(self) -> None:
        """Open the collection, creating it for the current embedding model if it is missing."""
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self._collection = self._client.get_or_create_collection(
            self._name,
            metadata=self._model_metadata(), configuration={"hnsw": {"space": "cosine"}},
        )
        self._store = ChromaVectorStore(chroma_collection=self._collection)

    def _model_metadata(self, **extra: Any) -> dict[str, Any]:
        return {"embedding_model": self.info.name, "embedding_dim": self.info.dimension, **extra}

    def _names(self) -> set[str]:
        return {c.name for c in self._client.list_collections()}

    @property
    def _next_name(self) -> str:
        return f"{self._name}-next"

    def _finish_interrupted_swap(self) -> None:
        """A re-index killed between dropping the old collection and renaming the new one."""
        names = self._names()
        if self._name not in names and self._next_name in names:
            pending = self._client.get_collection(self._next_name)
            if (pending.metadata or {}).get("complete"):
                pending.modify(name=self._name)

    def _check_model(self) -> IndexMismatchError | None:
        meta = self._collection.metadata or {}
        built = EmbeddingInfo(str(meta.get("embedding_model")), int(meta.get("embedding_dim", 0)))
        if built == self.info:
            return None
        return IndexMismatchError(
            f"the index was built with {built.name} ({built.dimension} dims) but the settings "
            f"ask for {self.info.name} ({self.info.dimension} dims); vectors cannot be mixed",
            hint="run `podium reindex` to embed the stored transcripts with the new model (the "
                 "old index keeps working until it is done), or go back to the old model",
        )

    def _usable(self) -> None:
        if self._mismatch is not None:
            raise self._mismatch

    def require_model(self) -> None:
        """Raise IndexMismatchError when the collection was built with another model."""
        self._usable()

    @_store_call
    def count(self) -> int:
        """Number of chunks stored."""
        return int(self._collection.count())

    @_store_call
    def replace_document(self, doc_id: str, content_hash: str, title: str, date: str | None,
                         chunks: list[Chunk], vectors: list[list[float]] | None = None
                         ) -> None:
        """Delete a document's chunks, then add the new ones (embedded here unless their
        vectors are given)."""
        self._usable()
        self._store.delete(doc_id)
        if chunks:
            self._store.add(self._nodes(doc_id, content_hash, title, date, chunks, vectors))

    def _nodes(self, doc_id: str, content_hash: str, title: str, date: str | None,
               chunks: list[Chunk], vectors: list[list[float]] | None = None
               ) -> list[BaseNode]:
        """The chunks as embedded llama-index nodes."""
        if vectors is None:
            vectors = self.embed_texts([c.embedding_text() for c in chunks])
        nodes: list[BaseNode] = []
        for chunk, vector in zip(chunks, vectors, strict=True):
            node = TextNode(
                id_=_node_id(doc_id, content_hash, chunk.index),
                text=chunk.text,
                embedding=vector,
                metadata={"doc_id": doc_id, "start": chunk.start, "end": chunk.end,
                          "speaker": chunk.speaker or "", "content_hash": content_hash,
                          "title": title, "date": date or ""},
            )
            node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=doc_id)
            nodes.append(node)
        return nodes

    @_store_call
    def rebuild(self) -> Rebuild:
        """Start (or resume) filling <name>-next with the configured model's vectors."""
        names = self._names()
        if self._next_name in names:
            meta = self._client.get_collection(self._next_name).metadata or {}
            if (meta.get("embedding_model"), meta.get("embedding_dim")) != (
                    self.info.name, self.info.dimension):
                self._client.delete_collection(self._next_name)
        collection = self._client.get_or_create_collection(
            self._next_name, metadata=self._model_metadata(),
            configuration={"hnsw": {"space": "cosine"}})
        return Rebuild(self, collection)

    @_store_call
    def _swap_in(self, collection: Any) -> None:
        """Make a complete <name>-next the live collection."""
        collection.modify(metadata=self._model_metadata(complete=True))
        if self._name in self._names():
            self._client.delete_collection(self._name)
        collection.modify(name=self._name)
        self._open()
        self._mismatch = None

    @_store_call
    def delete_document(self, doc_id: str) -> None:
        """Remove every chunk of a document."""
        self._usable()
        self._store.delete(doc_id)

    def embed_query(self, query: str) -> list[float]:
        """The query's embedding under the collection's model."""
        self._usable()
        with self._reported():
            return list(self._embed_model.get_query_embedding(query))

    def embed_texts(self, texts: list[str]) -> list[list[float]]:
        """Embeddings of passages under the configured model."""
        with self._reported():
            return [list(v) for v in self._embed_model.get_text_embedding_batch(texts)]

    def _reported(self) -> AbstractContextManager[None]:
        return model_failures(
            f"the embedding model {self.info.name} failed",
            hint="check the [embedding] settings (podium config) and, for a server provider, "
                 "that the server is running")

    @_store_call
    def search(self, embedding: list[float], top_k: int, scope: Scope | None = None
               ) -> list[Hit]:
        """The top_k chunks most similar to the query embedding, within the scope."""
        self._usable()
        if self.count() == 0 or (scope is not None and scope.empty):
            return []
        result = self._store.query(VectorStoreQuery(
            query_embedding=embedding, similarity_top_k=top_k, filters=_filters(scope)))
        hits = []
        for node, score in zip(result.nodes or [], result.similarities or [], strict=False):
            meta: dict[str, Any] = node.metadata
            if not _REQUIRED.issubset(meta):  # a record another process is deleting or
                continue  # writing on a Chroma server: not citable yet, or no longer
            hits.append(Hit(
                doc_id=str(meta["doc_id"]), index=int(node.node_id.rsplit("::", 1)[-1]),
                start=int(meta["start"]), end=int(meta["end"]),
                speaker=meta.get("speaker") or None, content_hash=str(meta["content_hash"]),
                text=node.get_content(), similarity=_cosine(score)))
        return hits

    @_store_call
    def similarities(self, embedding: list[float], chunks: list[tuple[str, str, int]]
                     ) -> dict[tuple[str, str, int], float]:
        """Cosine similarity of stored chunks (doc_id, content_hash, index) to an embedding."""
        self._usable()
        if not chunks:
            return {}
        ids = [_node_id(*c) for c in chunks]
        got = self._collection.get(ids=ids, include=["embeddings"])
        query = np.asarray(embedding, dtype=np.float32)
        query /= np.linalg.norm(query) or 1.0
        by_id = dict(zip(got["ids"], got["embeddings"] if got["embeddings"] is not None else [],
                         strict=False))
        out = {}
        for key, node_id in zip(chunks, ids, strict=True):
            if node_id in by_id:
                vector = np.asarray(by_id[node_id], dtype=np.float32)
                out[key] = float(vector @ query / (np.linalg.norm(vector) or 1.0))
        return out


class Rebuild:
    """A collection being filled for the configured model; `finish` swaps it in."""

    def __init__(self, index: ChunkIndex, collection: Any) -> None:
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self._index = index
        self._collection = collection
        self._store = ChromaVectorStore(chroma_collection=collection)
        self._ids = set(collection.get(include=[])["ids"])

    @property
    def _failure(self) -> StoreFailure | None:
        return self._index._failure

    def has(self, doc_id: str, content_hash: str, n_chunks: int) -> bool:
        """True when a resumed rebuild already holds this version of the document."""
        return n_chunks > 0 and all(
            _node_id(doc_id, content_hash, i) in self._ids for i in range(n_chunks))

    @_store_call
    def add(self, doc_id: str, content_hash: str, title: str, date: str | None,
            chunks: list[Chunk], vectors: list[list[float]] | None = None) -> None:
        """Embed one document's chunks (unless their vectors are given) into the new
        collection."""
        self._store.delete(doc_id)
        if chunks:
            self._store.add(self._index._nodes(doc_id, content_hash, title, date, chunks,
                                               vectors))

    def finish(self) -> None:
        """Replace the live collection with this one."""
        self._index._swap_in(self._collection)


@dataclass(frozen=True)
class CollectionFacts:
    """What a collection holds, read without an embedding model (for `podium status`)."""

    name: str
    ids: int
    embedding_model: str | None
    embedding_dim: int | None
    complete: bool


def collection_facts(client: Any, name: str) -> tuple[CollectionFacts | None,
                                                      CollectionFacts | None]:
    """The live collection and an unfinished `podium reindex` collection (<name>-next), each
    None when absent; reads only."""
    names = {c.name for c in client.list_collections()}
    facts: list[CollectionFacts | None] = []
    for candidate in (name, f"{name}-next"):
        if candidate not in names:
            facts.append(None)
            continue
        collection = client.get_collection(candidate)
        meta = collection.metadata or {}
        dim = meta.get("embedding_dim")
        facts.append(CollectionFacts(candidate, int(collection.count()),
                                     meta.get("embedding_model"),
                                     int(dim) if dim is not None else None,
                                     bool(meta.get("complete"))))
    return facts[0], facts[1]


_REQUIRED = frozenset({"doc_id", "start", "end", "content_hash"})


def _node_id(doc_id: str, content_hash: str, index: int) -> str:
    return f"{doc_id}::{content_hash[:16]}::{index}"


def _filters(scope: Scope | None) -> MetadataFilters | None:
    if scope is None:
        return None
    filters = [MetadataFilter(key=key, value=sorted(allowed), operator=FilterOperator.IN)
               for key, allowed in (("doc_id", scope.doc_ids), ("speaker", scope.speakers))
               if allowed is not None]
    return MetadataFilters(filters=filters, condition=FilterCondition.AND) if filters else None


def _cosine(similarity: float) -> float:
    """llama-index reports exp(-distance); Chroma's cosine distance is 1 - cos."""
    return 1.0 + math.log(similarity) if similarity > 0 else -1.0
