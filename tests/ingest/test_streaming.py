"""Ingest at scale: batches across documents, a streamed input, progress, broken JSONL lines."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from tqdm import tqdm

from podium.app import build_app
from podium.ingest.loaders import discover
from podium.ingest.pipeline import Ingestor, _ReadAhead, count_documents
from tests.conftest import fake_settings

WORDS = "NATO allies discussed ammunition deliveries and the summit in Washington today. "


def _corpus(path: Path, n: int, words: int = 60, broken: dict[int, str] | None = None) -> Path:
    """A .jsonl.gz of n transcripts (line numbers in `broken` hold that text instead)."""
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for i in range(1, n + 1):
            if broken and i in broken:
                fh.write(broken[i] + "\n")
                continue
            text = f"SECRETARY BLINKEN:  Meeting {i} about topic{i}. " + WORDS * (words // 12)
            fh.write(json.dumps({"id": f"doc{i:04}", "title": f"Briefing {i}",
                                 "date": "2024-04-03", "text": text}) + "\n")
    return path


def test_documents_share_embedding_batches(tmp_path: Path, seed_copy: Path) -> None:
    app = build_app(fake_settings(tmp_path / "data"))
    calls: list[int] = []
    original = app.index.embed_texts

    def counting(texts: list[str]) -> list[list[float]]:
        calls.append(len(texts))
        return original(texts)

    app.index.embed_texts = counting  # type: ignore[method-assign]
    report = Ingestor(app.settings.ingest, app.docstore, app.index, batch_chunks=10**6).run(
        [seed_copy], progress=False)
    assert calls == [report.chunks_written]  # all five documents in one embedding call
    small = Ingestor(app.settings.ingest, app.docstore, app.index, batch_chunks=1)
    calls.clear()
    report = small.run([seed_copy], reindex=True, progress=False)
    assert len(calls) == 5 and sum(calls) == report.chunks_written  # one document at a time
    counts = app.docstore.counts()
    assert app.index.count() == counts["chunks"] == app.docstore.keyword_count()


def test_a_jsonl_gz_is_read_as_a_stream(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "big.jsonl.gz", 200, words=2400)  # ~3 MB of text
    text_bytes = 200 * len(WORDS) * 200
    app = build_app(fake_settings(tmp_path / "data"))
    ingestor = Ingestor(app.settings.ingest, app.docstore, app.index)
    warm = discover([_corpus(tmp_path / "warm.jsonl.gz", 1)], [".jsonl.gz"])
    list(ingestor._read(list(warm), {}, False, set()))  # type: ignore[arg-type]  # tiktoken
    todo = list(discover([corpus], [".jsonl.gz"]))
    tracemalloc.start()
    try:
        reader = _ReadAhead(ingestor._read(todo, {}, False, set()), 8)  # type: ignore[arg-type]
        n = sum(1 for _ in reader)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 200
    assert peak < text_bytes / 4, f"peak {peak:,} bytes for {text_bytes:,} bytes of text"


def test_the_progress_total_is_counted_cheaply(tmp_path: Path, seed_copy: Path) -> None:
    corpus = _corpus(tmp_path / "c.jsonl.gz", 7)
    plain = tmp_path / "p.jsonl"
    plain.write_text('{"id": "a", "text": "x"}\n{"id": "b", "text": "y"}')  # no final newline
    files = [f for f in discover([seed_copy, corpus, plain], [".txt", ".jsonl", ".jsonl.gz"])]
    assert count_documents(files) == 5 + 7 + 2  # type: ignore[arg-type]


def test_broken_lines_are_listed_and_the_exit_status_is_3(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "c.jsonl.gz", 6,
                     broken={2: "{not json", 5: json.dumps({"id": "doc0005", "text": 7})})
    env = {**os.environ, "PODIUM_DATA_DIR": str(tmp_path / "data"),
           "PODIUM_EMBEDDING__PROVIDER": "fake", "PODIUM_LLM__PROVIDER": "fake"}
    done = subprocess.run([sys.executable, "-m", "podium", "ingest", "--no-progress",
                           str(corpus)], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 3, done.stderr
    assert "4 added, 0 updated, 0 unchanged, 2 skipped" in done.stdout
    assert f"skipped {corpus}:2: invalid JSON" in done.stdout
    assert f"skipped {corpus}:5: record 'doc0005' has no string 'text'" in done.stdout
    assert "2 input(s) skipped" in done.stderr and "Traceback" not in done.stderr
    app = build_app(fake_settings(tmp_path / "data"))
    assert sorted(app.docstore.doc_ids()) == ["doc0001", "doc0003", "doc0004", "doc0006"]


def test_the_bar_shows_documents_and_chunks_per_second(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    import podium.ingest.pipeline as pipeline

    monkeypatch.setattr(pipeline, "tqdm", _EagerTqdm)
    corpus = _corpus(tmp_path / "c.jsonl.gz", 12)
    app = build_app(fake_settings(tmp_path / "data"))
    Ingestor(app.settings.ingest, app.docstore, app.index, batch_chunks=4).run([corpus])
    err = capsys.readouterr().err
    assert "12/12" in err and "doc/s" in err and "chunks/s" in err


class _EagerTqdm(tqdm):  # type: ignore[type-arg]
    """tqdm without its start delay or refresh interval, so a short test sees the bar."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.update(delay=0, mininterval=0, miniters=1)
        super().__init__(*args, **kwargs)
