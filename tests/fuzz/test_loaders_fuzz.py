"""Fuzz the loaders (.txt .md .html .htm .jsonl .jsonl.gz) with random bytes, hostile Unicode,
random nesting, metadata of every type and file names that are not UTF-8."""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from podium.ingest.chunking import chunk_document
from podium.ingest.loaders import RawDocument, Skipped, discover, load_file
from podium.ingest.parse import parse_document
from podium.text import count_tokens
from tests.fuzz.strategies import deep_json, dump, encoded, json_values, nasty_text

EXTENSIONS = [".txt", ".md", ".html", ".htm", ".jsonl", ".jsonl.gz"]
MAX_BYTES = 4 * 2**20


def check_items(items: list[RawDocument | Skipped], chunk_tokens: int = 200) -> None:
    """What a loader yields is storable: valid Unicode everywhere, one-line reasons, and its
    documents parse and chunk with exact offsets within the token cap."""
    for item in items:
        item.source.encode("utf-8")
        if isinstance(item, Skipped):
            assert item.reason.strip() and "\n" not in item.reason, item
            assert len(item.reason) < 400, item.reason
            continue
        assert isinstance(item, RawDocument)
        assert item.doc_id.strip()
        item.doc_id.encode("utf-8")
        item.text.encode("utf-8")
        json.dumps(item.metadata, default=str).encode("utf-8")
        check_chunks(item.doc_id, item.text, item.metadata, chunk_tokens)


def check_chunks(doc_id: str, text: str, metadata: dict[str, Any], chunk_tokens: int) -> None:
    """Chunks hold exact offsets, stay within the cap, and keep every word of the content."""
    doc = parse_document(doc_id, text, metadata)
    assert doc.text == text
    chunks = chunk_document(doc, chunk_tokens)
    previous_end = 0
    for n, chunk in enumerate(chunks):
        assert chunk.index == n
        assert previous_end <= chunk.start < chunk.end <= len(text)
        assert text[chunk.start:chunk.end] == chunk.text
        assert count_tokens(chunk.text) <= chunk_tokens
        previous_end = chunk.end


def _load(name: bytes, data: bytes) -> list[RawDocument | Skipped]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        with open(os.fsencode(folder) + b"/" + name, "wb") as fh:
            fh.write(data)
        items: list[RawDocument | Skipped] = []
        for found in discover([folder], EXTENSIONS):
            if isinstance(found, Skipped):
                items.append(found)
            else:
                items.extend(load_file(*found, max_bytes=MAX_BYTES))
        return items


names = st.binary(min_size=1, max_size=60).map(
    lambda b: b"x" + b.replace(b"/", b"_").replace(b"\x00", b"_"))


@given(names, st.sampled_from(EXTENSIONS[:4]), encoded(nasty_text()))
@example(b"caf\xe9", ".txt", b"Latin-1 name, UTF-8 text.")
@example(b"x", ".html", b"<p>The <b>president</b> said</p>")
@example(b"x", ".txt", b"a" * 200_000)
@example(b"x", ".html", b"<![if x]><p>a</p><!-- unclosed")
def test_text_files(name: bytes, ext: str, data: bytes) -> None:
    items = _load(name + ext.encode(), data)
    assert len(items) == 1
    check_items(items)


records = st.one_of(
    st.fixed_dictionaries(
        {"id": st.one_of(nasty_text(most=50), json_values()),
         "text": st.one_of(nasty_text(most=5_000), json_values())},
        optional={k: json_values() for k in ("title", "date", "source", "url", "speaker", "x")}
    ).map(dump),
    json_values().map(dump),
    st.integers(1, 3000).map(deep_json),
    nasty_text(surrogates=False, most=100),
)


@given(names, st.booleans(), st.lists(records, max_size=8), st.sampled_from(["\n", "\r\n"]))
@example(b"r", False, ['{"id": "a", "text": "ok"}', deep_json(5000)], "\n")
@example(b"r", False, ['{"id": "\\ud800", "text": "x"}', '{"id": "b", "text": "\\udfff"}'], "\n")
@example(b"r", True, ['{"id": "a", "text": "ok", "n": ' + "1" * 5000 + "}"], "\n")
@example(b"r", False, ['{"id": "a", "text": "x", "title": {"\\udc80": 1}}'], "\n")
def test_jsonl_files(name: bytes, gz: bool, lines: list[str], newline: str) -> None:
    data = newline.join(lines).encode("utf-8", "surrogatepass")
    if gz:
        data = gzip.compress(data)
    items = _load(name + (b".jsonl.gz" if gz else b".jsonl"), data)
    check_items(items)
    documents = [i for i in items if isinstance(i, RawDocument)]
    assert len(documents) <= sum(1 for line in lines if line.strip())


@given(st.binary(max_size=3000))
@example(gzip.compress(b'{"id": "a", "text": "b"}\n')[:-6])
def test_random_bytes_as_gzip(data: bytes) -> None:
    check_items(_load(b"r.jsonl.gz", data))
