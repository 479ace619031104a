"""`podium reindex`: a new model's vectors are built beside the live index, then swapped in."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.app import Podium, build_app
from podium.errors import IndexMismatchError, PodiumError
from podium.models import build_vector_store
from podium.vectorstore.chroma import ChunkIndex, EmbeddingInfo
from tests.conftest import fake_settings
from tests.fakes import FakeEmbedding

OTHER = EmbeddingInfo("fake-bow-32", 32)


class InterruptingEmbedding(FakeEmbedding):
    """A fake whose batch call raises KeyboardInterrupt (Ctrl-C) after `calls` batches."""

    def __init__(self, calls: int) -> None:
        super().__init__(32)
        self._left = calls

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        if self._left == 0:
            raise KeyboardInterrupt
        self._left -= 1
        return [self.vector(t) for t in texts]


def _with_model(data_dir: Path, model: FakeEmbedding, info: EmbeddingInfo) -> Podium:
    """The app over the same data dir, but with another embedding model."""
    app = build_app(fake_settings(data_dir))
    app.__dict__["_embedding"] = (model, info)  # what build_embedder would return for it
    return app


def _seeded(tmp_path: Path, seed_copy: Path) -> tuple[Podium, int]:
    app = build_app(fake_settings(tmp_path / "data"))
    app.ingest([seed_copy], progress=False)
    return app, app.index.count()


def test_reindex_moves_the_index_to_the_new_model(tmp_path: Path, seed_copy: Path) -> None:
    old, chunks = _seeded(tmp_path, seed_copy)
    new = _with_model(old.data_dir, FakeEmbedding(32), OTHER)
    with pytest.raises(IndexMismatchError, match="podium reindex"):
        new.ask("What did Kuleba say about ammunition?")

    report = new.reindex(progress=False)

    assert (report.documents, report.chunks_written, report.interrupted) == (5, chunks, False)
    assert f"5 documents, {chunks} chunks embedded with fake-bow-32" in report.summary()
    assert new.index.count() == chunks == new.docstore.keyword_count()
    answer = new.ask("What did Kuleba say about ammunition?")
    assert answer.citations and not answer.abstained
    for c in answer.citations:
        text = new.docstore.get(c.doc_id)
        assert text is not None and text.text[c.start:c.end] == c.quote
    # the old model's vectors are gone: switching back asks for a re-index again
    back = build_app(fake_settings(old.data_dir))
    with pytest.raises(IndexMismatchError, match="fake-bow-32"):
        back.ask("What did Kuleba say about ammunition?")


def test_killed_reindex_leaves_the_live_index_and_resumes(tmp_path: Path,
                                                          seed_copy: Path) -> None:
    old, chunks = _seeded(tmp_path, seed_copy)
    before = old.ask("What did Kuleba say about ammunition?").to_dict()

    interrupted = _with_model(old.data_dir, InterruptingEmbedding(calls=2), OTHER)
    report = interrupted.reindex(progress=False)
    assert report.interrupted and "the index is unchanged" in report.summary()

    still = build_app(fake_settings(old.data_dir))  # the old model answers as before
    assert still.index.count() == chunks
    after = still.ask("What did Kuleba say about ammunition?").to_dict()
    assert (after["answer"], after["citations"]) == (before["answer"], before["citations"])

    resumed = _with_model(old.data_dir, FakeEmbedding(32), OTHER).reindex(progress=False)
    assert resumed.resumed >= 1 and resumed.documents == 5
    assert resumed.chunks_written < chunks
    assert _with_model(old.data_dir, FakeEmbedding(32), OTHER).index.count() == chunks


def test_a_swap_killed_halfway_is_finished_on_next_open(tmp_path: Path,
                                                       seed_copy: Path) -> None:
    old, chunks = _seeded(tmp_path, seed_copy)
    new = ChunkIndex(build_vector_store(old.settings), "podium", FakeEmbedding(32), OTHER)
    rebuild = new.rebuild()
    for info in old.docstore.listing():
        rebuild.add(info.doc_id, info.content_hash, info.title, info.date,
                    old.docstore.chunks(info.doc_id))
    # what _swap_in does before it renames: mark complete, drop the live collection
    rebuild._collection.modify(metadata={"embedding_model": OTHER.name, "embedding_dim": 32,
                                         "complete": True})
    new._client.delete_collection("podium")

    reopened = ChunkIndex(build_vector_store(old.settings), "podium", FakeEmbedding(32), OTHER)
    assert reopened.count() == chunks
    assert reopened.search(reopened.embed_query("ammunition"), 3)


def test_reindex_of_an_empty_data_dir_says_what_to_do(fake_app: Podium) -> None:
    with pytest.raises(PodiumError, match="podium ingest"):
        fake_app.reindex(progress=False)
