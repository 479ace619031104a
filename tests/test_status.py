"""`podium status`: counts, the index's model, disk use and unfinished work, read-only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from podium.app import build_app
from podium.cli import main
from podium.status import data_dir_status, human_bytes
from podium.vectorstore.chroma import ChunkIndex, EmbeddingInfo
from tests.chromaserver import ChromaServer, free_port, server_settings
from tests.conftest import fake_settings
from tests.fakes import FakeEmbedding


def test_a_missing_data_dir_reads_as_empty_and_is_not_created(tmp_path: Path) -> None:
    status = data_dir_status(fake_settings(tmp_path / "nothing"))
    assert status["exists"] is False and not (tmp_path / "nothing").exists()
    assert (status["documents"], status["chunks"], status["keyword_rows"]) == (
        {"complete": 0, "pending": 0}, 0, 0)
    assert status["vector_store"]["ids"] == 0 and status["unfinished"] == []
    assert status["disk"]["bytes"] == 0


def test_counts_model_and_disk_after_an_ingest(tmp_path: Path, seed_copy: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    app = build_app(fake_settings(tmp_path / "data"))
    report = app.ingest([seed_copy], progress=False)
    status = data_dir_status(app.settings)
    assert status["documents"] == {"complete": 5, "pending": 0}
    assert status["chunks"] == status["keyword_rows"] == report.chunks_written
    vectors = status["vector_store"]
    assert (vectors["ids"], vectors["embedding_model"], vectors["embedding_dim"]) == (
        report.chunks_written, "fake-bow-64", 64)
    assert status["unfinished"] == [] and status["pending_ids"] == []
    disk = status["disk"]
    assert disk["bytes"] == sum(disk["parts"].values()) > 0
    assert {"chroma", "podium.db"} <= set(disk["parts"])

    monkeypatch.chdir(tmp_path)
    for key in [k for k in __import__("os").environ if k.startswith("PODIUM_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PODIUM_DATA_DIR", str(app.data_dir))
    monkeypatch.setenv("PODIUM_EMBEDDING__PROVIDER", "fake")
    assert main(["status", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["chunks"] == report.chunks_written and printed["disk"]["bytes"] > 0
    assert main(["status"]) == 0
    text = capsys.readouterr().out
    assert "5 complete, 0 pending" in text and "fake-bow-64 (64 dims)" in text
    assert "unfinished    none" in text and "bytes)" in text


def test_unfinished_ingest_and_reindex_are_named(tmp_path: Path, seed_copy: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    app = build_app(fake_settings(tmp_path / "data"))
    original = ChunkIndex.replace_document
    calls = {"n": 0}

    def flaky(self: ChunkIndex, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ChunkIndex, "replace_document", flaky)
    assert app.ingest([seed_copy], progress=False).interrupted
    monkeypatch.setattr(ChunkIndex, "replace_document", original)
    status = data_dir_status(app.settings)
    assert status["documents"]["pending"] == 1 and len(status["pending_ids"]) == 1
    assert "1 document(s) pending" in status["unfinished"][0]

    app.ingest([seed_copy], progress=False)
    other = ChunkIndex(app.index._client, "podium", FakeEmbedding(32),
                       EmbeddingInfo("fake-bow-32", 32))
    rebuild = other.rebuild()
    first = app.docstore.listing()[0]
    rebuild.add(first.doc_id, first.content_hash, first.title, first.date,
                app.docstore.chunks(first.doc_id))
    status = data_dir_status(app.settings)
    assert status["vector_store"]["reindex"] == {
        "collection": "podium-next", "ids": first.n_chunks, "embedding_model": "fake-bow-32",
        "embedding_dim": 32}
    assert any("unfinished `podium reindex` to fake-bow-32" in n for n in status["unfinished"])
    assert status["vector_store"]["embedding_model"] == "fake-bow-64"  # the live index


def test_status_of_a_server_store(tmp_path: Path, seed_copy: Path,
                                  chroma_server: ChromaServer) -> None:
    app = build_app(server_settings(tmp_path / "data", chroma_server))
    report = app.ingest([seed_copy], progress=False)
    status = data_dir_status(app.settings)
    assert status["vector_store"]["ids"] == status["chunks"] == report.chunks_written
    assert chroma_server.url in status["vector_store"]["where"]
    assert "chroma" not in status["disk"]["parts"]

    gone = fake_settings(tmp_path / "data", vectorstore={"provider": "chroma_server",
                                                         "port": free_port()})
    status = data_dir_status(gone)
    assert "chroma-server.sh" in status["vector_store"]["error"]
    assert status["documents"]["complete"] == 5  # the rest is still reported


def test_human_bytes() -> None:
    assert [human_bytes(n) for n in (0, 1023, 1536, 5 * 2**20, 3 * 2**30, 2**42)] == [
        "0 B", "1023 B", "1.5 KiB", "5.0 MiB", "3.0 GiB", "4096.0 GiB"]

