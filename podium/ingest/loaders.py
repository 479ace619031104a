"""Read files into raw documents: .txt, .md, .html, .jsonl, .jsonl.gz.

Every problem with an input becomes a `Skipped` record with a reason a user can act on;
nothing here raises for bad input.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

logger = logging.getLogger(__name__)

JSONL_FIELDS = ("title", "date", "source", "url", "speaker")


@dataclass
class RawDocument:
    """A decoded document before parsing: its id, verbatim text and given metadata."""

    doc_id: str
    text: str
    source: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Skipped:
    """An input that was not ingested, and why."""

    source: str
    reason: str


def discover(paths: list[Path], extensions: list[str]) -> Iterator[tuple[Path, Path] | Skipped]:
    """Yield (file, root) pairs for every file to read; the doc_id is file relative to root."""
    for path in paths:
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                rel = file.relative_to(path)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                if _has_extension(file, extensions):
                    yield file, path
                else:
                    yield Skipped(str(file), f"unsupported file type {_suffix(file)!r}")
        elif path.is_file():
            if _has_extension(path, extensions):
                yield path, path.parent
            else:
                yield Skipped(str(path), f"unsupported file type {_suffix(path)!r}")
        else:
            yield Skipped(str(path), "no such file or folder")


def load_file(file: Path, root: Path, *, max_bytes: int) -> Iterator[RawDocument | Skipped]:
    """Read one file; JSONL files yield one document per record."""
    source = str(file)
    try:
        size = file.stat().st_size
    except OSError as exc:
        yield Skipped(source, f"cannot read: {exc.strerror}")
        return
    if size > max_bytes:
        mib = size / 2**20
        yield Skipped(source, f"too large ({mib:.1f} MiB; ingest.max_file_mb allows less)")
        return
    doc_id = file.relative_to(root).as_posix()
    name = file.name.lower()
    if name.endswith(".jsonl") or name.endswith(".jsonl.gz"):
        yield from _load_jsonl(file)
        return
    try:
        data = file.read_bytes()
    except OSError as exc:
        yield Skipped(source, f"cannot read: {exc.strerror}")
        return
    text_or_skip = decode(data, source)
    if isinstance(text_or_skip, Skipped):
        yield text_or_skip
        return
    text = text_or_skip
    if name.endswith((".html", ".htm")):
        text = html_to_text(text)
    yield RawDocument(doc_id=doc_id, text=text, source=source)


def decode(data: bytes, source: str) -> str | Skipped:
    """Decode UTF-8 (with or without BOM, or UTF-16 with BOM); refuse binary data."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return Skipped(source, "invalid UTF-16 text")
    if b"\x00" in data[:8192]:
        return Skipped(source, "binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Skipped(
            source,
            f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "convert it, e.g. iconv -f cp1252 -t utf-8",
        )


def _load_jsonl(file: Path) -> Iterator[RawDocument | Skipped]:
    opener = gzip.open if file.name.lower().endswith(".gz") else open
    try:
        with opener(file, "rb") as fh:
            for lineno, line in enumerate(fh, start=1):
                if line.strip():
                    yield _jsonl_record(line, f"{file}:{lineno}")
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        yield Skipped(str(file), f"cannot read: {exc}")


def _jsonl_record(line: bytes, where: str) -> RawDocument | Skipped:
    decoded = decode(line, where)
    if isinstance(decoded, Skipped):
        return decoded
    try:
        record = json.loads(decoded)
    except json.JSONDecodeError as exc:
        return Skipped(where, f"invalid JSON ({exc.msg})")
    if not isinstance(record, dict):
        return Skipped(where, "a JSONL record must be an object")
    doc_id, text = record.get("id"), record.get("text")
    if not isinstance(doc_id, str) or not doc_id.strip():
        return Skipped(where, "record has no string 'id'")
    if not isinstance(text, str):
        return Skipped(where, f"record {doc_id!r} has no string 'text'")
    metadata = {k: v for k, v in record.items() if k not in ("id", "text") and v is not None}
    return RawDocument(doc_id=doc_id, text=text, source=where, metadata=metadata)


class _TextExtractor(HTMLParser):
    _BLOCK: ClassVar[set[str]] = {
        "p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article",
        "header", "footer", "blockquote", "pre", "title"}
    _SKIP: ClassVar[set[str]] = {"script", "style", "noscript", "template", "svg"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(" ".join(data.split()) if data.strip() else " ")


def html_to_text(html: str) -> str:
    """Visible text of an HTML page, one paragraph per block element."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [" ".join(block.split()) for block in "".join(parser.parts).split("\n\n")]
    return "\n\n".join(line for line in lines if line)


def _has_extension(file: Path, extensions: list[str]) -> bool:
    name = file.name.lower()
    return any(name.endswith(ext.lower()) for ext in extensions)


def _suffix(file: Path) -> str:
    return "".join(file.suffixes[-2:]) or file.name
