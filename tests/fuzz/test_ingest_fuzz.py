"""Fuzz ingest end to end (real pipeline, real Chroma and SQLite, fake embedder): folders of
random files and JSONL records, colliding ids, odd names. Property: a report or a PodiumError,
and the index stays consistent: every complete document has all its chunks in Chroma and in the
keyword index, with no orphans and no duplicates; ingesting the same input again writes nothing.
"""

from __future__ import annotations

import gzip
import os
import tempfile
import zlib
from pathlib import Path

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from podium.app import Podium, build_app
from podium.errors import PodiumError
from podium.vectorstore.chroma import _node_id
from tests.conftest import fake_settings
from tests.fuzz.strategies import assert_podium_error, deep_json, dump, encoded, nasty_text

IDS = ["a", "b.txt", "x/a.txt", "r", "\u202eevil", "dup"]  # small pool: ids collide
SENTENCES = st.lists(st.sampled_from([
    "SECRETARY BLINKEN:  NATO is strong. ", "Q  What about Kuleba? ", "\n\n",
    "FOREIGN MINISTER KULEBA:  We need ammunition now. ", "Leave a Reply\n\n"]), max_size=8
).map("".join)
texts = st.one_of(SENTENCES, nasty_text(most=5_000))
record = st.one_of(
    st.fixed_dictionaries({"id": st.sampled_from(IDS) | nasty_text(most=20),
                           "text": texts},
                          optional={"title": nasty_text(most=30), "date": st.sampled_from(
                              ["2024-04-03", "2024-13-45", "April 3, 2024", "x"]),
                              "speaker": nasty_text(most=30), "n": st.integers()}).map(dump),
    st.integers(1, 2000).map(deep_json), nasty_text(surrogates=False, most=50))
files = st.lists(st.tuples(
    st.sampled_from([b"a", b"b", b"x/a", b"caf\xe9", b"r", b"\xff\xfe"]),
    st.sampled_from([".txt", ".md", ".html", ".jsonl", ".jsonl.gz", ".pdf"]),
    st.one_of(texts.map(lambda t: t.encode("utf-8", "surrogatepass")), encoded(texts)),
    st.lists(record, max_size=5)), max_size=5)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Podium:
    return build_app(fake_settings(tmp_path_factory.mktemp("ingest") / "data",
                                   ingest={"max_file_mb": 1}))


def consistent(app: Podium) -> None:
    """Every complete document's chunks are in both indexes exactly once; nothing else is."""
    counts = app.docstore.counts()
    assert counts["pending"] == 0
    expected: set[str] = set()
    for info in app.docstore.listing():
        doc = app.docstore.get(info.doc_id)
        assert doc is not None and doc.status == "complete"
        chunks = app.docstore.chunks(info.doc_id)
        assert [c.index for c in chunks] == list(range(doc.n_chunks)) and chunks
        for chunk in chunks:
            assert doc.text[chunk.start:chunk.end] == chunk.text
            expected.add(_node_id(doc.doc_id, doc.content_hash, chunk.index))
    stored = app.index._collection.get(include=[])["ids"]
    assert len(stored) == len(set(stored)), "duplicate vectors"
    assert set(stored) == expected, (set(stored) - expected, expected - set(stored))
    assert app.docstore.keyword_count() == len(expected) == counts["chunks"]


def _write(folder: Path, name: bytes, ext: str, body: bytes, lines: list[str]) -> None:
    path = os.fsencode(folder) + b"/" + name + ext.encode()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if ext.startswith(".jsonl"):
        body = "\n".join(lines).encode("utf-8", "surrogatepass")
        if ext.endswith(".gz"):
            body = gzip.compress(body)
    with open(path, "wb") as fh:
        fh.write(body)


@given(files)
@example([(b"a", ".jsonl", b"", ['{"id": "a.txt", "text": "Q  Hi?"}', deep_json(5000),
                                  '{"id": "\\ud800", "text": "x"}']),
          (b"a", ".txt", b"SECRETARY BLINKEN:  NATO is strong.", [])])
@example([(b"caf\xe9", ".txt", b"Q  Caf\xc3\xa9?", []), (b"r", ".txt", b"a" * 300_000, [])])
@example([(b"r", ".jsonl.gz", b"", ['{"id": "dup", "text": "one"}', '{"id": "dup", "text": "2"}'])])
def test_ingest_keeps_the_index_consistent(app: Podium,
                                           inputs: list[tuple[bytes, str, bytes, list[str]]]
                                           ) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        for name, ext, body, lines in inputs:
            _write(folder, name, ext, body, lines)
        try:
            report = app.ingest([folder], progress=True)
        except PodiumError as exc:
            assert_podium_error(exc)
            consistent(app)
            return
        report.summary().encode("utf-8")
        event(f"documents indexed: {min(report.ingested, 3)}")  # --hypothesis-show-statistics
        for skipped in report.skipped:
            assert "\n" not in skipped.reason and skipped.reason.strip()
            skipped.source.encode("utf-8")
        consistent(app)
        again = app.ingest([folder], progress=False)
        assert again.chunks_written == 0 and not again.added and not again.updated
        assert sorted(again.unchanged) == sorted(report.added + report.updated
                                                 + report.unchanged)
        consistent(app)


def test_a_corrupt_gzip_is_a_reason_with_the_progress_bar(app: Podium, tmp_path: Path) -> None:
    """Found by hand while fuzzing: deflate data that breaks mid-stream (zlib.error, not an
    OSError) crashed the count behind the progress bar before the loaders could say why."""
    data = bytearray(gzip.compress(b'{"id": "z", "text": "Hello there, how are you."}\n' * 500,
                                   mtime=0))
    data[10] ^= 0xFF  # the first deflate block header: "invalid stored block lengths"
    (tmp_path / "c.jsonl.gz").write_bytes(bytes(data))
    with pytest.raises(zlib.error):
        gzip.decompress(bytes(data))
    report = app.ingest([tmp_path / "c.jsonl.gz"], progress=True)
    assert report.skipped and report.skipped[-1].reason.startswith("cannot read:")
    consistent(app)
