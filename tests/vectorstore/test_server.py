"""The vector store on a real Chroma server (`chroma run` on a free loopback port): ingest, ask,
re-ingest, prune, delete, `podium reindex`, the model-mismatch guard, and its failures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from podium.app import Podium, build_app
from podium.errors import IndexMismatchError, PodiumError, VectorStoreError
from podium.models import build_vector_store
from podium.vectorstore.chroma import ChunkIndex, EmbeddingInfo
from tests.chromaserver import (
    ChromaServer,
    free_port,
    heartbeat,
    server_settings,
    start,
    stop,
)
from tests.conftest import REPO, fake_settings
from tests.fakes import FakeEmbedding

QUESTION = "What did Kuleba say about deliveries of ammunition?"
CHANGED = "000_9518d4b573beff47.txt"
GONE = "004_ed44ff3d7f8b6ba4.txt"


def _consistent(app: Podium) -> int:
    counts = app.docstore.counts()
    assert counts["pending"] == 0
    assert app.index.count() == counts["chunks"] == app.docstore.keyword_count()
    return counts["chunks"]


def _verbatim(app: Podium, question: str) -> list[str]:
    """Ask; every citation's quote is the stored text at its offsets; return the cited ids."""
    answer = app.ask(question)
    for c in answer.citations:
        doc = app.docstore.get(c.doc_id)
        assert doc is not None and doc.text[c.start:c.end] == c.quote
    return [c.doc_id for c in answer.citations]


def test_ingest_ask_change_prune_and_delete(tmp_path: Path, seed_copy: Path,
                                            chroma_server: ChromaServer) -> None:
    app = build_app(server_settings(tmp_path / "data", chroma_server))
    first = app.ingest([seed_copy], progress=False)
    assert len(first.added) == 5 and first.chunks_written == _consistent(app)
    assert _verbatim(app, QUESTION)
    assert not (app.data_dir / "chroma").exists()  # the vectors are on the server only

    (seed_copy / CHANGED).write_text(
        "SECRETARY BLINKEN:  Zanzibar lighthouses were discussed at length today.")
    again = app.ingest([seed_copy], progress=False)
    assert (again.updated, len(again.unchanged)) == ([CHANGED], 4)
    _consistent(app)
    hits = app.retriever.retrieve("Zanzibar lighthouses").hits
    assert hits[0].doc_id == CHANGED and "Zanzibar" in hits[0].text

    (seed_copy / GONE).unlink()
    assert app.ingest([seed_copy], prune=True, progress=False).pruned == [GONE]
    app.delete(CHANGED)
    assert sorted(app.docstore.doc_ids()) == sorted(
        p.name for p in seed_copy.iterdir() if p.name != CHANGED)
    _consistent(app)
    other = build_app(app.settings)  # a fresh client sees the same collection
    assert other.index.count() == app.index.count()
    assert {h.doc_id for h in other.retriever.retrieve("Zanzibar NATO Kuleba").hits}.isdisjoint(
        {CHANGED, GONE})


def test_reindex_and_the_model_guard(tmp_path: Path, seed_copy: Path,
                                     chroma_server: ChromaServer) -> None:
    old = build_app(server_settings(tmp_path / "data", chroma_server))
    old.ingest([seed_copy], progress=False)
    chunks = _consistent(old)
    other = EmbeddingInfo("fake-bow-32", 32)
    new = build_app(old.settings)
    new.__dict__["_embedding"] = (FakeEmbedding(32), other)
    with pytest.raises(IndexMismatchError, match="podium reindex"):
        new.ask(QUESTION)
    with pytest.raises(IndexMismatchError):
        new.ingest([seed_copy], reindex=True, progress=False)
    assert old.index.count() == chunks  # refused without touching the live collection

    report = new.reindex(progress=False)
    assert (report.documents, report.chunks_written) == (5, chunks)
    assert new.index.count() == chunks and _verbatim(new, QUESTION)
    with pytest.raises(IndexMismatchError, match="fake-bow-32"):
        build_app(old.settings).ask(QUESTION)
    client = build_vector_store(old.settings)
    names = {c.name for c in client.list_collections()}
    collection = old.settings.vectorstore.collection
    assert collection in names and f"{collection}-next" not in names


def test_reindex_podium_command_against_the_server(tmp_path: Path, seed_copy: Path,
                                                   chroma_server: ChromaServer) -> None:
    settings = server_settings(tmp_path / "data", chroma_server)
    env = {**os.environ, **chroma_server.env(settings.vectorstore.collection),
           "PODIUM_DATA_DIR": str(tmp_path / "data"), "PODIUM_EMBEDDING__PROVIDER": "fake",
           "PODIUM_LLM__PROVIDER": "fake"}
    podium = [sys.executable, "-m", "podium"]
    subprocess.run([*podium, "ingest", "--no-progress", str(seed_copy)], env=env, cwd=tmp_path,
                   check=True, capture_output=True)
    done = subprocess.run([*podium, "reindex", "--no-progress"], env=env, cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "reindex done: 5 documents" in done.stdout
    app = build_app(settings)
    assert app.index.count() == _consistent(app) > 0


def test_an_unreachable_server_is_one_line_naming_the_setting(tmp_path: Path,
                                                              seed_copy: Path) -> None:
    port = free_port()
    settings = fake_settings(tmp_path / "data", vectorstore={
        "provider": "chroma_server", "port": port})
    with pytest.raises(VectorStoreError) as caught:
        build_app(settings).ingest([seed_copy], progress=False)
    message = str(caught.value)
    assert "\n" not in message
    assert f"vectorstore.host / port / ssl = 127.0.0.1:{port}" in message
    assert f"scripts/chroma-server.sh DIR {port}" in message
    assert not (tmp_path / "data" / "chroma").exists()  # no local index instead

    env = {**os.environ, "PODIUM_DATA_DIR": str(tmp_path / "data"),
           "PODIUM_EMBEDDING__PROVIDER": "fake", "PODIUM_LLM__PROVIDER": "fake",
           "PODIUM_VECTORSTORE__PROVIDER": "chroma_server",
           "PODIUM_VECTORSTORE__PORT": str(port)}
    cli = subprocess.run([sys.executable, "-m", "podium", "ingest", str(seed_copy)], env=env,
                         cwd=tmp_path, capture_output=True, text=True)
    assert cli.returncode == 2 and "Traceback" not in cli.stderr
    assert cli.stderr.count("\n") == 1 and "chroma-server.sh" in cli.stderr


@pytest.mark.parametrize(("setting", "value"), [("database", "no_such_db"),
                                                ("tenant", "no_such_tenant")])
def test_a_misconfigured_server_names_the_setting(tmp_path: Path, chroma_server: ChromaServer,
                                                  setting: str, value: str) -> None:
    settings = server_settings(tmp_path / "data", chroma_server, vectorstore={setting: value})
    with pytest.raises(VectorStoreError, match=f"vectorstore.{setting} = '{value}'"):
        build_vector_store(settings)


def test_a_server_without_this_data_dirs_vectors_is_refused(tmp_path: Path, seed_copy: Path,
                                                            chroma_server: ChromaServer) -> None:
    local = build_app(fake_settings(tmp_path / "data"))
    local.ingest([seed_copy], progress=False)
    moved = build_app(server_settings(tmp_path / "data", chroma_server))
    with pytest.raises(PodiumError, match="holds none of the") as caught:
        moved.ingest([seed_copy], progress=False)
    assert "podium reindex" in caught.value.hint
    moved.reindex(progress=False)  # the way to move a data dir onto a server
    assert moved.index.count() == _consistent(moved) == local.index.count()
    assert _verbatim(moved, QUESTION)


def test_chroma_server_script_starts_a_server(tmp_path: Path) -> None:
    from tests.chromaserver import chroma_executable

    if chroma_executable() is None:
        pytest.skip("the `chroma` command is missing (chromadb installs it)")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start(["bash", str(REPO / "scripts" / "chroma-server.sh"), str(tmp_path / "db"),
                  str(port)], url, tmp_path / "script.log")
    try:
        assert heartbeat(url) and (tmp_path / "db").is_dir()
    finally:
        stop(proc)
    assert not heartbeat(url)


def test_the_token_is_sent_and_shown_only_as_set(tmp_path: Path,
                                                 chroma_server: ChromaServer) -> None:
    settings = server_settings(tmp_path / "data", chroma_server)
    settings.vectorstore.token = "s3cret"  # type: ignore[assignment]
    client = build_vector_store(settings)  # `chroma run` accepts (ignores) a bearer token
    assert client.heartbeat() > 0
    assert "s3cret" not in repr(settings)
    index = ChunkIndex(client, "t-token", FakeEmbedding(), EmbeddingInfo("fake-bow-64", 64))
    assert index.count() == 0


def test_a_server_that_goes_away_is_reported_in_one_line(tmp_path: Path, seed_copy: Path
                                                         ) -> None:
    from tests.chromaserver import chroma_executable

    exe = chroma_executable()
    if exe is None:
        pytest.skip("the `chroma` command is missing (chromadb installs it)")
    server = ChromaServer("127.0.0.1", free_port(), tmp_path / "chroma.log")
    proc = start([exe, "run", "--path", str(tmp_path / "db"), "--host", server.host,
                  "--port", str(server.port)], server.url, server.log)
    try:
        app = build_app(server_settings(tmp_path / "data", server))
        app.ingest([seed_copy], progress=False)
    finally:
        stop(proc)
    with pytest.raises(VectorStoreError) as caught:
        app.ask(QUESTION)
    assert "\n" not in str(caught.value) and "chroma-server.sh" in str(caught.value)


def test_a_page_keeps_answering_while_another_process_ingests(
        tmp_path: Path, seed_copy: Path, chroma_server: ChromaServer) -> None:
    settings = server_settings(tmp_path / "data", chroma_server)
    page = build_app(settings)
    page.ingest([seed_copy], progress=False)
    versions = {p.name: {p.read_text()} for p in seed_copy.iterdir()}
    more = tmp_path / "more"
    more.mkdir()
    for i in range(150):
        (more / f"new{i:03}.txt").write_text(
            f"SECRETARY BLINKEN:  The lighthouse{i} of Zanzibar{i} was repaired in week {i}.")
    changed = seed_copy / CHANGED  # and one transcript the page may be citing is replaced
    changed.write_text(changed.read_text() + "\n\nFOREIGN MINISTER KULEBA:  Ammunition now.\n")
    versions[CHANGED].add(changed.read_text())
    env = {**os.environ, **chroma_server.env(settings.vectorstore.collection),
           "PODIUM_DATA_DIR": str(page.data_dir), "PODIUM_EMBEDDING__PROVIDER": "fake",
           "PODIUM_LLM__PROVIDER": "fake"}
    during = 0
    with page.serving():
        writer = subprocess.Popen(
            [sys.executable, "-m", "podium", "ingest", "--no-progress", str(more),
             str(seed_copy)], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        while writer.poll() is None:
            new = sum(1 for d in page.docstore.doc_ids() if d.startswith("new"))
            answer = page.ask(QUESTION)  # never an error while the other process writes
            # an answer whose cited transcript was replaced while it was written abstains
            assert answer.citations or answer.abstained
            for c in answer.citations:
                assert any(text[c.start:c.end] == c.quote for text in versions[c.doc_id])
            during += 0 < new < 150
        out, err = writer.communicate()
        assert writer.returncode == 0, err
        assert "150 added, 1 updated, 4 unchanged, 0 skipped" in out
        assert during >= 1, "the ingest ended before the page answered beside it"
        assert page.ask(QUESTION).citations  # and it cites again once the ingest is done
        answer = page.ask("What happened to the lighthouse42 of Zanzibar42?")
        assert [c.doc_id for c in answer.citations][:1] == ["new042.txt"]
        assert page.index.count() == _consistent(page)
