import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from podium.app import Podium, build_app
from podium.errors import IndexMismatchError, PodiumError
from podium.models import build_vector_store
from podium.vectorstore.chroma import ChunkIndex, EmbeddingInfo
from tests.conftest import REPO, fake_settings
from tests.fakes import FakeEmbedding


def _consistent(app: Podium) -> int:
    """Every complete document's chunks are in Chroma and in the keyword index exactly once;
    return the chunk count."""
    counts = app.docstore.counts()
    assert counts["pending"] == 0
    assert app.index.count() == counts["chunks"] == app.docstore.keyword_count()
    return counts["chunks"]


def test_ingest_seed_then_again_writes_nothing(fake_app: Podium, seed_copy: Path) -> None:
    first = fake_app.ingest([seed_copy], progress=False)
    assert (len(first.added), first.chunks_written) == (5, _consistent(fake_app))
    assert first.chunks_written > 20
    again = fake_app.ingest([seed_copy], progress=False)
    assert (len(again.unchanged), again.chunks_written, len(again.added)) == (5, 0, 0)
    assert "0 added, 0 updated, 5 unchanged, 0 skipped; 0 chunks written" in again.summary()


def test_changed_document_replaces_its_chunks(fake_app: Podium, seed_copy: Path) -> None:
    fake_app.ingest([seed_copy], progress=False)
    target = seed_copy / "000_9518d4b573beff47.txt"
    target.write_text("SECRETARY BLINKEN:  Zanzibar lighthouses were discussed at length today.",
                      encoding="utf-8")
    report = fake_app.ingest([seed_copy], progress=False)
    assert (report.updated, len(report.unchanged)) == (["000_9518d4b573beff47.txt"], 4)
    _consistent(fake_app)
    hits = fake_app.retriever.retrieve("Kuleba ammunition deliveries birthday of NATO").hits
    assert all("physically on the birthday" not in h.text for h in hits)
    assert fake_app.docstore.keyword_search(["birthday", "physically"], 50) == []
    found = fake_app.docstore.keyword_search(["zanzibar"], 5)
    assert [(h.doc_id, h.text) for h in found] == [
        ("000_9518d4b573beff47.txt",
         "SECRETARY BLINKEN:  Zanzibar lighthouses were discussed at length today.")]
    assert fake_app.docstore.get("000_9518d4b573beff47.txt").n_chunks == 1  # type: ignore[union-attr]


def test_prune_removes_documents_that_are_gone(fake_app: Podium, seed_copy: Path) -> None:
    fake_app.ingest([seed_copy], progress=False)
    (seed_copy / "004_ed44ff3d7f8b6ba4.txt").unlink()
    kept = fake_app.ingest([seed_copy], progress=False)
    assert kept.pruned == [] and len(fake_app.docstore.doc_ids()) == 5
    pruned = fake_app.ingest([seed_copy], prune=True, progress=False)
    assert pruned.pruned == ["004_ed44ff3d7f8b6ba4.txt"]
    assert "004_ed44ff3d7f8b6ba4.txt" not in fake_app.docstore.doc_ids()
    assert all(h.doc_id != "004_ed44ff3d7f8b6ba4.txt"
               for h in fake_app.docstore.keyword_search(["nato", "ukraine", "blinken"], 500))
    _consistent(fake_app)


def test_prune_with_a_missing_input_is_refused_and_removes_nothing(
        fake_app: Podium, seed_copy: Path) -> None:
    fake_app.ingest([seed_copy], progress=False)
    before = _consistent(fake_app)
    with pytest.raises(PodiumError, match=r"--prune refused: no such file or folder: .*typo"):
        fake_app.ingest([seed_copy.parent / "typo"], prune=True, progress=False)
    with pytest.raises(PodiumError, match="typo"):  # one bad path among good ones is enough
        fake_app.ingest([seed_copy, seed_copy.parent / "typo"], prune=True, progress=False)
    assert (len(fake_app.docstore.doc_ids()), _consistent(fake_app)) == (5, before)


def test_prune_keeps_documents_whose_input_could_not_be_read(fake_app: Podium, seed_copy: Path
                                                             ) -> None:
    fake_app.ingest([seed_copy], progress=False)
    (seed_copy / "000_9518d4b573beff47.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00IHDR")
    (seed_copy / "004_ed44ff3d7f8b6ba4.txt").unlink()
    (seed_copy / "slides.pdf").write_bytes(b"%PDF-1.4")  # never indexed: no reason to hold back
    report = fake_app.ingest([seed_copy], prune=True, progress=False)
    assert report.pruned == ["004_ed44ff3d7f8b6ba4.txt"]
    assert "not pruned: 1 document(s) kept because their input could not be read" in (
        report.summary())
    assert "000_9518d4b573beff47.txt" in fake_app.docstore.doc_ids()
    _consistent(fake_app)


def test_prune_keeps_records_of_a_jsonl_line_that_broke(fake_app: Podium, tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    lines = [json.dumps({"id": f"r{i}", "text": f"MS. PSAKI:  Topic {i} was discussed."})
             for i in range(3)]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fake_app.ingest([corpus], progress=False)
    corpus.write_text("\n".join([lines[0], "{broken", lines[2]]) + "\n", encoding="utf-8")
    report = fake_app.ingest([corpus], prune=True, progress=False)
    assert report.pruned == [] and "r1" in fake_app.docstore.doc_ids()


def test_reindex_of_one_file_keeps_every_other_document(fake_app: Podium, seed_copy: Path
                                                        ) -> None:
    fake_app.ingest([seed_copy], progress=False)
    before = _consistent(fake_app)
    one = seed_copy / "001_0386686246588c25.txt"
    report = fake_app.ingest([one], reindex=True, progress=False)
    assert (report.updated, report.added) == (["001_0386686246588c25.txt"], [])
    assert fake_app.docstore.counts()["complete"] == 5
    assert _consistent(fake_app) == before
    for doc_id in fake_app.docstore.doc_ids():  # every document still answers a search
        doc = fake_app.docstore.get(doc_id)
        assert doc is not None
        hits = fake_app.retriever.retrieve(doc.text[:400]).hits
        assert doc_id in {h.doc_id for h in hits}


def test_bad_inputs_are_skipped_with_reasons(fake_app: Podium, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "good.txt").write_text("SECRETARY BLINKEN:  NATO is strong.", encoding="utf-8")
    (bad / "empty.txt").write_text("   \n", encoding="utf-8")
    (bad / "boiler.txt").write_text("Leave a Reply\n\nYour email address will not be published.")
    (bad / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR")
    (bad / "latin1.txt").write_bytes("Déjà vu at NATO".encode("cp1252"))
    (bad / "slides.pdf").write_bytes(b"%PDF-1.4")
    (bad / "big.md").write_text("word " * 300_000, encoding="utf-8")
    records = [{"id": "r1", "title": "T", "date": "2024-01-02", "text": "Q  Hello?", "url": "u"},
               "{not json", {"title": "no id"}, {"id": "r4", "text": 5}]
    lines = [json.dumps(r) if isinstance(r, dict) else r for r in records]
    with gzip.open(bad / "recs.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    app = build_app(fake_settings(tmp_path / "data", ingest={"max_file_mb": 1}))
    report = app.ingest([bad, tmp_path / "missing.txt"], progress=False)
    reasons = {Path(s.source.split(":")[0]).name + (":" + s.source.split(":")[1]
               if s.source.count(":") else ""): s.reason for s in report.skipped}
    assert sorted(report.added) == ["good.txt", "r1"]
    assert reasons["empty.txt"].startswith("empty")
    assert reasons["boiler.txt"].startswith("empty")
    assert "binary" in reasons["binary.txt"]
    assert "not UTF-8" in reasons["latin1.txt"] and "iconv" in reasons["latin1.txt"]
    assert "unsupported file type" in reasons["slides.pdf"]
    assert "too large" in reasons["big.md"]
    assert "invalid JSON" in reasons["recs.jsonl.gz:2"]
    assert "no string 'id'" in reasons["recs.jsonl.gz:3"]
    assert "no string 'text'" in reasons["recs.jsonl.gz:4"]
    assert "no such file" in reasons["missing.txt"]
    stored = app.docstore.get("r1")
    assert stored is not None and stored.metadata == {"title": "T", "date": "2024-01-02",
                                                      "url": "u"}
    assert (stored.title, stored.date) == ("T", "2024-01-02")


def test_html_is_reduced_to_visible_text(fake_app: Podium, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><head><script>alert(1)</script><title>Briefing</title></head>"
                    "<body><p>SECRETARY BLINKEN: NATO&nbsp;is strong.</p></body></html>")
    fake_app.ingest([page], progress=False)
    doc = fake_app.docstore.get("page.html")
    assert doc is not None and "alert" not in doc.text and "NATO is strong." in doc.text


def test_interrupted_ingest_resumes_without_duplicates(fake_app: Podium, seed_copy: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    original = ChunkIndex.replace_document
    calls = {"n": 0}

    def flaky(self: ChunkIndex, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ChunkIndex, "replace_document", flaky)
    report = fake_app.ingest([seed_copy], progress=False)
    assert report.interrupted and len(report.added) == 2
    assert fake_app.docstore.counts()["pending"] == 1
    monkeypatch.setattr(ChunkIndex, "replace_document", original)
    resumed = fake_app.ingest([seed_copy], progress=False)
    assert len(resumed.unchanged) == 2 and len(resumed.updated) + len(resumed.added) == 3
    _consistent(fake_app)


def test_killed_ingest_process_leaves_a_usable_index(tmp_path: Path) -> None:
    corpus = tmp_path / "many"
    corpus.mkdir()
    for i in range(80):
        (corpus / f"doc{i:03}.txt").write_text(
            f"SECRETARY BLINKEN:  Meeting number {i} covered topic{i} and NATO. " * 20)
    env = {**os.environ, "PODIUM_DATA_DIR": str(tmp_path / "data"),
           "PODIUM_EMBEDDING__PROVIDER": "fake", "PODIUM_LLM__PROVIDER": "fake"}
    cmd = [sys.executable, "-m", "podium", "ingest", "--no-progress", str(corpus)]
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    db = tmp_path / "data" / "podium.db"
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
        if db.exists() and _complete(db) >= 5:
            break
    assert proc.poll() is None, "ingest finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    app = build_app(fake_settings(tmp_path / "data"))
    partial = app.docstore.counts()["complete"]
    assert 0 < partial < 80
    assert app.retriever.retrieve("topic7 NATO meeting").hits  # usable while half-done
    app.docstore.close()
    done = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert "chunks written" in done.stdout
    app = build_app(fake_settings(tmp_path / "data"))
    assert app.docstore.counts()["complete"] == 80
    _consistent(app)


def _complete(db: Path) -> int:
    import sqlite3

    with sqlite3.connect(db) as conn:
        try:
            return conn.execute("SELECT COUNT(*) FROM documents WHERE status='complete'"
                                ).fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def test_another_embedding_model_is_refused_until_reindexed(fake_app: Podium,
                                                            seed_copy: Path) -> None:
    fake_app.ingest([seed_copy], progress=False)
    other = ChunkIndex(build_vector_store(fake_app.settings), "podium", FakeEmbedding(32),
                       EmbeddingInfo("fake-bow-32", 32))
    with pytest.raises(IndexMismatchError, match="podium reindex"):
        other.embed_query("NATO")
    with pytest.raises(IndexMismatchError):
        other.replace_document("x.txt", "h", "t", None, [])
    assert fake_app.index.count() == _consistent(fake_app)  # the live index is untouched


def test_cli_exit_status_when_nothing_could_be_ingested(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("")
    env = {**os.environ, "PODIUM_DATA_DIR": str(tmp_path / "data"),
           "PODIUM_EMBEDDING__PROVIDER": "fake"}
    result = subprocess.run([sys.executable, "-m", "podium", "ingest", str(tmp_path / "empty.txt")],
                            env=env, cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 1
    assert "nothing could be ingested" in result.stderr
    assert "skipped" in result.stdout and "empty" in result.stdout
