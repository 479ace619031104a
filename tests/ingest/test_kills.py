"""Kill -9 an ingest at random moments, then run it again to the end: the index equals a clean
ingest of the same input (documents, chunks, keyword rows, vectors), with no duplicates or
orphans. CI kills 3 times over 200 transcripts made from the seed set; `scripts/test.sh --slow`
kills 10 times over 300 White House briefings from ../shared/corpus.

Kill -9 the Library tab's deletes the same way: after each kill, the data dir as a page opens
it holds every document whole (document, keyword chunks, vectors) or not at all. CI kills 3
times over 50 transcripts, `--slow` 10 times over 150.

Kill -9 `podium reindex` to another embedding model 3 times over 50 transcripts: after each
kill the old model's index is whole and answers with exact citations; a last run swaps in the
new model's index of exactly the same chunks."""

from __future__ import annotations

import gzip
import itertools
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from podium.app import Podium, build_app
from podium.errors import PodiumError
from podium.models import build_vector_store
from podium.ui.handlers import ChatPage
from podium.vectorstore.chroma import _node_id
from podium.vectorstore.docstore import DocumentStore
from tests.conftest import REPO, SEED, fake_settings

WHITE_HOUSE = REPO.parent / "shared" / "corpus" / "wh_briefing_room_2021_2025.jsonl.gz"


def _seed_copies(folder: Path, n: int) -> Path:
    """n transcripts: the seed set over and over, each copy a document of its own."""
    folder.mkdir()
    seeds = sorted(SEED.iterdir())
    for i in range(n):
        source = seeds[i % len(seeds)]
        text = source.read_text(encoding="utf-8")
        (folder / f"{i:03}_{source.name}").write_text(f"Copy {i}.\n\n{text}", encoding="utf-8")
    return folder


def _white_house(out: Path, n: int) -> Path:
    """n briefings spread over the White House corpus, as one JSONL file."""
    with gzip.open(WHITE_HOUSE, "rt", encoding="utf-8") as src:
        lines = [line for line in itertools.islice(src, 0, 25 * n, 25) if line.strip()][:n]
    out.write_text("".join(lines), encoding="utf-8")
    assert len(lines) == n and all(json.loads(line)["text"] for line in lines)
    return out


def _counts(data_dir: Path) -> dict[str, int]:
    app = build_app(fake_settings(data_dir))
    counts = app.docstore.counts()
    found = {"documents": counts["complete"], "pending": counts["pending"],
             "chunks": counts["chunks"], "keyword_rows": app.docstore.keyword_count(),
             "vectors": app.index.count()}
    app.docstore.close()
    return found


def _complete(data_dir: Path) -> int:
    try:
        with sqlite3.connect(f"file:{data_dir / 'podium.db'}?mode=ro", uri=True) as conn:
            return int(conn.execute(
                "SELECT COUNT(*) FROM documents WHERE status='complete'").fetchone()[0])
    except sqlite3.Error:
        return 0


def _killed_then_finished(source: Path, data_dir: Path, kills: int, total: int,
                          seed: int) -> None:
    """Kill the ingest `kills` times, each at a random moment after a random number of further
    documents is complete, then let it finish."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    env.update(PODIUM_DATA_DIR=str(data_dir), PODIUM_EMBEDDING__PROVIDER="fake",
               PODIUM_LLM__PROVIDER="fake")
    cmd = [sys.executable, "-m", "podium", "ingest", "--no-progress", str(source)]
    rng = random.Random(seed)
    for k in range(kills):
        done = _complete(data_dir)
        target = rng.randint(done + 1, done + max(1, (total - done) // (kills - k + 1)))
        proc = subprocess.Popen(cmd, env=env, cwd=data_dir.parent, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        while proc.poll() is None and _complete(data_dir) < target:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 0.3))  # anywhere in the next document's writes
        assert proc.poll() is None, "the ingest finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert _complete(data_dir) < total
    finished = subprocess.run(cmd, env=env, cwd=data_dir.parent, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr


def _clean(source: Path, data_dir: Path) -> None:
    _killed_then_finished(source, data_dir, kills=0, total=0, seed=0)


@pytest.mark.parametrize("kills", [3])
def test_killed_ingests_end_as_a_clean_ingest(tmp_path: Path, kills: int) -> None:
    corpus = _seed_copies(tmp_path / "corpus", 200)
    _clean(corpus, tmp_path / "clean")
    _killed_then_finished(corpus, tmp_path / "killed", kills, 200, seed=kills)
    clean, killed = _counts(tmp_path / "clean"), _counts(tmp_path / "killed")
    assert killed == clean and clean["documents"] == 200 and clean["pending"] == 0
    assert clean["chunks"] == clean["keyword_rows"] == clean["vectors"]


@pytest.mark.slow
def test_ten_kills_over_white_house_briefings(tmp_path: Path) -> None:
    if not WHITE_HOUSE.exists():
        pytest.skip(f"{WHITE_HOUSE} is not here")
    source = _white_house(tmp_path / "wh.jsonl", 300)
    _clean(source, tmp_path / "clean")
    _killed_then_finished(source, tmp_path / "killed", 10, 300, seed=10)
    clean, killed = _counts(tmp_path / "clean"), _counts(tmp_path / "killed")
    assert killed == clean and clean["documents"] == 300 and clean["pending"] == 0
    assert clean["chunks"] == clean["keyword_rows"] == clean["vectors"]


# A child process that deletes documents the way the page's Library tab does: ChatPage.delete,
# one click per document, skipping those already gone (the Library no longer lists them).
DELETER = """\
import sys
from pathlib import Path

from podium.app import build_app
from podium.ui.handlers import ChatPage
from tests.conftest import fake_settings

page = ChatPage(build_app(fake_settings(Path(sys.argv[1]))))
for doc_id in sys.argv[2:]:
    if page.app.docstore.get(doc_id) is not None:
        status = page.delete(doc_id)[0]
        assert status.startswith("Deleted"), status
"""


@contextmanager
def _opened(data_dir: Path) -> Iterator[Podium]:
    """The app on data_dir, as a page opening it would see it; closed afterwards, so that a
    later process's writes are seen (an embedded Chroma client caches what it has read)."""
    from chromadb.api.shared_system_client import SharedSystemClient

    app = build_app(fake_settings(data_dir))
    try:
        with app.serving():
            yield app
    finally:
        app.docstore.close()
        SharedSystemClient.clear_system_cache()


def _index_state(app: Podium) -> dict[str, tuple[str, int]]:
    """(content_hash, chunks) of every stored document, after checking that the stores agree:
    every document complete, its keyword chunks numbered 0..n-1 and in the FTS index, its
    vectors exactly its chunks' deterministic ids, and no chunk or vector of any other
    document (an orphan) or of another version."""
    db = sqlite3.connect(f"file:{app.data_dir / 'podium.db'}", uri=True, isolation_level=None)
    try:
        docs = {r[0]: (r[1], r[2], r[3]) for r in db.execute(
            "SELECT doc_id, status, content_hash, n_chunks FROM documents")}
        rows: dict[str, list[int]] = {}
        for doc_id, idx in db.execute("SELECT doc_id, idx FROM chunks ORDER BY doc_id, idx"):
            rows.setdefault(doc_id, []).append(idx)
        db.execute("BEGIN")
        try:  # the FTS index matches the chunks table, row for row
            db.execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES('integrity-check', 1)")
        except sqlite3.DatabaseError as exc:
            pytest.fail(f"the keyword index disagrees with the chunks: {exc}", pytrace=False)
        finally:
            db.execute("ROLLBACK")
    finally:
        db.close()
    stored = build_vector_store(app.settings).get_collection(
        app.settings.vectorstore.collection).get(include=["metadatas"])
    vectors: dict[str, list[str]] = {}
    for node_id, meta in zip(stored["ids"], stored["metadatas"] or [], strict=True):
        vectors.setdefault(str(meta["doc_id"]), []).append(node_id)

    problems = [f"{d}: {status}" for d, (status, _, _) in docs.items() if status != "complete"]
    problems += [f"keyword chunks of {d}, which is not stored" for d in rows.keys() - docs.keys()]
    problems += [f"vectors of {d}, which is not stored" for d in vectors.keys() - docs.keys()]
    for doc_id, (_, digest, n) in docs.items():
        if n < 1 or rows.get(doc_id) != list(range(n)):
            problems.append(f"{doc_id}: {n} chunks, keyword chunks {rows.get(doc_id)}")
        expected = sorted(_node_id(doc_id, digest, i) for i in range(n))
        if sorted(vectors.get(doc_id, [])) != expected:
            problems.append(f"{doc_id}: vectors {sorted(vectors.get(doc_id, []))}, "
                            f"expected {expected}")
    assert not problems, "the index is inconsistent:\n" + "\n".join(problems[:20])
    assert app.index.count() == sum(n for _, _, n in docs.values())
    return {d: (digest, n) for d, (_, digest, n) in docs.items()}


def _stored(data_dir: Path, doc_ids: list[str]) -> int:
    """How many of doc_ids the document store holds (read-only, while a child writes)."""
    try:
        with sqlite3.connect(f"file:{data_dir / 'podium.db'}?mode=ro", uri=True) as conn:
            rows = conn.execute("SELECT doc_id FROM documents").fetchall()
    except sqlite3.Error:
        return len(doc_ids)
    return len({r[0] for r in rows} & set(doc_ids))


def _killed_deletes(tmp_path: Path, n: int, kills: int, seed: int) -> None:
    """Delete most of n documents through the page's handler in a child process killed
    `kills` times at random moments; after each kill the opened index is consistent (every
    document fully present or fully gone); re-running the deletes removes the rest."""
    corpus = _seed_copies(tmp_path / "corpus", n)
    data = tmp_path / "data"
    with _opened(data) as app:
        app.ingest([corpus], progress=False)
        before = _index_state(app)
    rng = random.Random(seed)
    ids = sorted(before)
    keep = set(rng.sample(ids, max(1, n // 5)))
    doomed = [d for d in ids if d not in keep]
    cmd = [sys.executable, "-c", DELETER, str(data), *doomed]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    for k in range(kills):
        gone = len(doomed) - _stored(data, doomed)
        target = rng.randint(gone + 1, gone + max(1, (len(doomed) - gone) // (kills - k + 1)))
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        while proc.poll() is None and len(doomed) - _stored(data, doomed) < target:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.2))  # anywhere in the next delete's writes
        assert proc.poll() is None, "the deletes finished before they could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        with _opened(data) as app:
            now = _index_state(app)
        assert keep <= now.keys(), f"a kept document was deleted: {keep - now.keys()}"
        assert all(now[d] == before[d] for d in now), "a document changed"
        assert _stored(data, doomed) > 0
    finished = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True,
                              check=False)
    assert finished.returncode == 0, finished.stderr
    with _opened(data) as app:
        after = _index_state(app)
    assert after == {d: before[d] for d in keep}


@pytest.mark.parametrize("kills", [3])
def test_killed_page_deletes_leave_every_document_whole_or_gone(tmp_path: Path,
                                                                kills: int) -> None:
    _killed_deletes(tmp_path, 50, kills, seed=kills)


@pytest.mark.slow
def test_ten_killed_page_deletes(tmp_path: Path) -> None:
    _killed_deletes(tmp_path, 150, 10, seed=10)


def test_a_delete_stopped_between_the_stores_is_finished_by_the_next_ingest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the kills above mostly land, made certain: the vectors are gone, the document store
    fails (busy, or the process dies there). The next ingest of the same files must not take the
    listed document as unchanged and leave it without vectors."""
    corpus = _seed_copies(tmp_path / "corpus", 3)
    with _opened(tmp_path / "data") as app:
        app.ingest([corpus], progress=False)
        before = _index_state(app)
        victim = sorted(before)[1]

        def busy(self: DocumentStore, doc_id: str) -> None:
            raise PodiumError("the document store stayed busy")

        with monkeypatch.context() as patched:
            patched.setattr(DocumentStore, "delete", busy)
            status = ChatPage(app).delete(victim)[0]
        assert status.startswith("Not deleted"), status
        report = app.ingest([corpus], progress=False)
        assert report.added == [victim] and len(report.unchanged) == 2, report.summary()
        assert _index_state(app) == before


# A child process that runs `podium reindex` to another embedding model (fake-bow-32, the way
# tests/ingest/test_reindex.py sets it up) and prints a line after each document's new vectors
# are written, so that the parent can kill it at a chosen point.
REINDEXER = """\
import sys
from pathlib import Path

from podium.app import build_app
from podium.vectorstore.chroma import EmbeddingInfo, Rebuild
from tests.conftest import fake_settings
from tests.fakes import FakeEmbedding

added = Rebuild.add


def reporting_add(self, *args, **kwargs):
    added(self, *args, **kwargs)
    print("added", flush=True)


Rebuild.add = reporting_add
app = build_app(fake_settings(Path(sys.argv[1])))
app.__dict__["_embedding"] = (FakeEmbedding(32), EmbeddingInfo("fake-bow-32", 32))
print(app.reindex(progress=False).summary(), flush=True)
"""

QUESTION = "What did Kuleba say about ammunition?"


def _answers_with_exact_citations(app: Podium) -> None:
    answer = app.ask(QUESTION)
    assert answer.citations and not answer.abstained, answer.to_dict()
    for c in answer.citations:
        doc = app.docstore.get(c.doc_id)
        assert doc is not None and doc.text[c.start:c.end] == c.quote, c


@pytest.mark.parametrize("kills", [3])
def test_killed_reindexes_leave_the_live_index_then_finish_whole(tmp_path: Path,
                                                                 kills: int) -> None:
    """Kill -9 `podium reindex` to another embedding model at random moments: after each kill
    the old model's index answers as before, whole; a last run swaps in a new index of exactly
    the same chunks."""
    from chromadb.api.shared_system_client import SharedSystemClient

    from podium.vectorstore.chroma import EmbeddingInfo
    from tests.fakes import FakeEmbedding

    n = 50
    data = tmp_path / "data"
    with _opened(data) as app:
        app.ingest([_seed_copies(tmp_path / "corpus", n)], progress=False)
        before = _index_state(app)
    chunks = sum(c for _, c in before.values())
    cmd = [sys.executable, "-c", REINDEXER, str(data)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    rng = random.Random(kills)
    done = 0  # documents whose new vectors a killed run reported written
    for k in range(kills):
        target = rng.randint(done + 1, done + max(1, (n - done) // (kills - k + 1)))
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None
        written = 0  # this run's adds: a resumed run skips what is already written
        while done + written < target:
            line = proc.stdout.readline()
            assert line == "added\n", f"the reindex ended before it could be killed: {line!r}"
            written += 1
        time.sleep(rng.uniform(0.0, 0.3))  # anywhere in the next document's writes
        assert proc.poll() is None, "the reindex finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        done += written
        with _opened(data) as app:  # the old model, as a page opening the data dir
            assert _index_state(app) == before
            assert app.index.count() == chunks
            _answers_with_exact_citations(app)

    new = build_app(fake_settings(data))
    new.__dict__["_embedding"] = (FakeEmbedding(32), EmbeddingInfo("fake-bow-32", 32))
    try:
        report = new.reindex(progress=False)
        assert not report.interrupted and report.documents == n, report.summary()
        assert report.resumed >= 1 and report.chunks_written < chunks, report.summary()
        assert new.index.info.name == "fake-bow-32"
        assert _index_state(new) == before
        assert new.index.count() == chunks == new.docstore.keyword_count()
        collections = {c.name for c in build_vector_store(new.settings).list_collections()}
        assert collections == {new.settings.vectorstore.collection}
        _answers_with_exact_citations(new)
    finally:
        new.docstore.close()
        SharedSystemClient.clear_system_cache()
