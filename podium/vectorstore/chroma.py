"""The chunk index: a Chroma collection (embedded PersistentClient) behind llama-index."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import BaseNode, NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import VectorStoreQuery

from podium.errors import IndexMismatchError
from podium.ingest.chunking import Chunk

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbeddingInfo:
    """What the collection's vectors were made with."""

    name: str
    dimension: int


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its cosine similarity to the query."""

    doc_id: str
    start: int
    end: int
    speaker: str | None
    content_hash: str
    text: str
    similarity: float


class ChunkIndex:
    """Chunks and their embeddings in one Chroma collection tied to one embedding model."""

    def __init__(self, path: Path, collection: str, embed_model: BaseEmbedding,
                 info: EmbeddingInfo) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        path.mkdir(parents=True, exist_ok=True)
        self._client = chromadb.PersistentClient(
            path=str(path), settings=ChromaSettings(anonymized_telemetry=False))
        self._name = collection
        self._embed_model = embed_model
        self.info = info
        self._open()
        self._mismatch = self._check_model()

    def _open(self) -> None:
        """Open the collection, creating it for the current embedding model if it is missing."""
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self._collection = self._client.get_or_create_collection(
            self._name,
            metadata={"embedding_model": self.info.name, "embedding_dim": self.info.dimension},
            configuration={"hnsw": {"space": "cosine"}},
        )
        self._store = ChromaVectorStore(chroma_collection=self._collection)

    def _check_model(self) -> IndexMismatchError | None:
        meta = self._collection.metadata or {}
        built = EmbeddingInfo(str(meta.get("embedding_model")), int(meta.get("embedding_dim", 0)))
        if built == self.info:
            return None
        return IndexMismatchError(
            f"the index was built with {built.name} ({built.dimension} dims) but the settings "
            f"ask for {self.info.name} ({self.info.dimension} dims); vectors cannot be mixed",
            hint="re-index with `podium ingest --reindex PATH…`, or use another --data-dir",
        )

    def _usable(self) -> None:
        if self._mismatch is not None:
            raise self._mismatch

    def reset(self) -> None:
        """Drop every vector and recreate the collection for the current embedding model."""
        self._client.delete_collection(self._name)
        self._open()
        self._mismatch = None

    def count(self) -> int:
        """Number of chunks stored."""
        return int(self._collection.count())

    def replace_document(self, doc_id: str, content_hash: str, title: str, date: str | None,
                         chunks: list[Chunk]) -> None:
        """Delete a document's chunks, then embed and add the new ones."""
        self._usable()
        self._store.delete(doc_id)
        if not chunks:
            return
        vectors = self._embed_model.get_text_embedding_batch(
            [c.embedding_text() for c in chunks])
        nodes: list[BaseNode] = []
        for chunk, vector in zip(chunks, vectors, strict=True):
            node = TextNode(
                id_=f"{doc_id}::{content_hash[:16]}::{chunk.index}",
                text=chunk.text,
                embedding=vector,
                metadata={"doc_id": doc_id, "start": chunk.start, "end": chunk.end,
                          "speaker": chunk.speaker or "", "content_hash": content_hash,
                          "title": title, "date": date or ""},
            )
            node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=doc_id)
            nodes.append(node)
        self._store.add(nodes)

    def delete_document(self, doc_id: str) -> None:
        """Remove every chunk of a document."""
        self._usable()
        self._store.delete(doc_id)

    def search(self, query: str, top_k: int) -> list[Hit]:
        """The top_k chunks most similar to the query."""
        self._usable()
        if self.count() == 0:
            return []
        embedding = self._embed_model.get_query_embedding(query)
        result = self._store.query(
            VectorStoreQuery(query_embedding=embedding, similarity_top_k=top_k))
        hits = []
        for node, score in zip(result.nodes or [], result.similarities or [], strict=False):
            meta: dict[str, Any] = node.metadata
            hits.append(Hit(
                doc_id=str(meta["doc_id"]), start=int(meta["start"]), end=int(meta["end"]),
                speaker=meta.get("speaker") or None, content_hash=str(meta["content_hash"]),
                text=node.get_content(), similarity=_cosine(score)))
        return hits


def _cosine(similarity: float) -> float:
    """llama-index reports exp(-distance); Chroma's cosine distance is 1 - cos."""
    return 1.0 + math.log(similarity) if similarity > 0 else -1.0
