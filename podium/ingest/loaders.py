"""Read files into raw documents: .txt, .md, .html, .jsonl, .jsonl.gz.

Every problem with an input becomes a `Skipped` record with a one-line reason a user can act
on; nothing here raises for bad input. What leaves this module is valid Unicode throughout
(ids, sources, texts and metadata), so the stores downstream can always encode it.
"""

from __future__ import annotations

import gzip
import itertools
import json
import logging
import os
import re
import stat
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

from podium.text import lone_surrogate, shorten

logger = logging.getLogger(__name__)

JSONL_FIELDS = ("title", "date", "source", "url", "speaker")
MAX_NESTING = 64  # JSON arrays/objects deeper than this are refused, not parsed
MAX_ID_CHARS = 1024  # a record id is shown in answers, chips and messages
_SPACES = re.compile(r"\s+")


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


def shown(path: Path | str) -> str:
    """A path as valid Unicode: bytes that are not UTF-8 appear as \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def discover(paths: list[Path], extensions: list[str]) -> Iterator[tuple[Path, Path] | Skipped]:
    """Yield (file, root) pairs for every file to read; the doc_id is file relative to root.

    Inside a folder, hidden names are left out; a symlink is followed only to a file inside the
    folder (a linked folder inside it is read under its own name); symlinks that lead outside,
    FIFOs, sockets, devices and unreadable folders are skipped with a reason.
    """
    for path in paths:
        try:
            if path.is_dir():
                yield from _walk(path, path, path.resolve(), extensions)
            elif path.is_file():
                yield from _file(path, path.parent, extensions)
            elif path.is_symlink():
                yield Skipped(shown(path), "broken symlink (its target does not exist)")
            elif os.path.lexists(path):
                yield Skipped(shown(path), f"not a regular file ({_kind(path)})")
            else:
                yield Skipped(shown(path), "no such file or folder")
        except (OSError, RuntimeError) as exc:  # e.g. a symlink loop, a name too long
            yield Skipped(shown(path), f"cannot read: {_why(exc)}")


def _walk(folder: Path, root: Path, real_root: Path, extensions: list[str]
          ) -> Iterator[tuple[Path, Path] | Skipped]:
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        yield Skipped(shown(folder), f"cannot read folder: {_why(exc)}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            if entry.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(real_root):
                    yield Skipped(shown(path), f"symlink outside the input (to {shown(target)})")
                    continue
                if entry.is_dir():
                    continue  # an alias of a folder inside the input, read under its own name
            if entry.is_dir():
                yield from _walk(path, root, real_root, extensions)
            elif entry.is_file():
                yield from _file(path, root, extensions)
            elif entry.is_symlink():
                yield Skipped(shown(path), "broken symlink (its target does not exist)")
            else:
                yield Skipped(shown(path), f"not a regular file ({_kind(path)})")
        except (OSError, RuntimeError) as exc:
            yield Skipped(shown(path), f"cannot read: {_why(exc)}")


def _file(path: Path, root: Path, extensions: list[str]) -> Iterator[tuple[Path, Path] | Skipped]:
    if _has_extension(path, extensions):
        yield path, root
    else:
        yield Skipped(shown(path), f"unsupported file type {_suffix(path)!r}")


def _kind(path: Path) -> str:
    mode = path.stat().st_mode
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a file or folder"


def _why(exc: BaseException) -> str:
    return shorten(getattr(exc, "strerror", None) or str(exc) or type(exc).__name__, 120)


def load_file(file: Path, root: Path, *, max_bytes: int) -> Iterator[RawDocument | Skipped]:
    """Read one file; JSONL files yield one document per record."""
    source = shown(file)
    try:
        info = file.stat()
    except OSError as exc:
        yield Skipped(source, f"cannot read: {_why(exc)}")
        return
    if not stat.S_ISREG(info.st_mode):
        yield Skipped(source, f"not a regular file ({_kind(file)})")
        return
    doc_id = shown(file.relative_to(root).as_posix())
    name = file.name.lower()
    if name.endswith(".jsonl") or name.endswith(".jsonl.gz"):  # streamed: the cap is per record
        yield from _load_jsonl(file, source, max_bytes)
        return
    if info.st_size > max_bytes:
        mib = info.st_size / 2**20
        yield Skipped(source, f"too large ({mib:.1f} MiB; ingest.max_file_mb allows less)")
        return
    try:
        data = file.read_bytes()
    except OSError as exc:
        yield Skipped(source, f"cannot read: {_why(exc)}")
        return
    text_or_skip = decode(data, source)
    if isinstance(text_or_skip, Skipped):
        yield text_or_skip
        return
    text = text_or_skip
    if name.endswith((".html", ".htm")):
        try:
            text = html_to_text(text)
        except (AssertionError, ValueError, RecursionError) as exc:  # the parser's own limits
            yield Skipped(source, f"cannot parse the HTML ({_why(exc)})")
            return
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


def _load_jsonl(file: Path, source: str, max_bytes: int) -> Iterator[RawDocument | Skipped]:
    """One document per line, read as a stream; a line over max_bytes is skipped."""
    opener = gzip.open if file.name.lower().endswith(".gz") else open
    try:
        with opener(file, "rb") as fh:
            for lineno, line in _lines(fh.readline, max_bytes):
                where = f"{source}:{lineno}"
                if line is None:
                    yield Skipped(where, "record too large (ingest.max_file_mb allows less)")
                elif line.strip():
                    yield _jsonl_record(line, where)
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        yield Skipped(source, f"cannot read: {_why(exc)}")


def _lines(readline: Callable[[int], bytes], max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line) pairs, each read in at most max_bytes; None for a longer line, whose
    rest is read past in bounded pieces (memory stays bounded, even for a gzip bomb)."""
    for lineno in itertools.count(1):
        line = readline(max_bytes + 1)
        if not line:
            return
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while (rest := readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield lineno, None
            continue
        yield lineno, line


def _jsonl_record(line: bytes, where: str) -> RawDocument | Skipped:
    decoded = decode(line.rstrip(b"\r\n"), where)
    if isinstance(decoded, Skipped):
        return decoded
    try:
        record = json.loads(decoded)
    except json.JSONDecodeError as exc:
        # json's messages end in "at" ("Unterminated string starting at"): name the column
        return Skipped(where, f"invalid JSON: {exc.msg.removesuffix(' at')} at column "
                              f"{exc.colno}")
    except RecursionError:
        return Skipped(where, f"JSON nested more than {MAX_NESTING} levels deep")
    except ValueError:  # an integer with more digits than Python converts (4300)
        return Skipped(where, "invalid JSON: a number with too many digits")
    if not isinstance(record, dict):
        return Skipped(where, "a JSONL record must be an object")
    problem = _invalid(record)
    if problem:
        return Skipped(where, problem)
    doc_id, text = record.get("id"), record.get("text")
    if not isinstance(doc_id, str) or not doc_id.strip():
        return Skipped(where, "record has no string 'id'")
    if len(doc_id) > MAX_ID_CHARS:
        return Skipped(where, f"record id is {len(doc_id):,} characters long "
                              f"(at most {MAX_ID_CHARS:,}); give it a shorter 'id'")
    if not isinstance(text, str):
        return Skipped(where, f"record {shorten(repr(doc_id), 60)} has no string 'text'")
    metadata = {k: v for k, v in record.items() if k not in ("id", "text") and v is not None}
    return RawDocument(doc_id=doc_id, text=text, source=where, metadata=metadata)


def _invalid(record: dict[str, Any]) -> str | None:
    """Why a decoded record cannot be stored: nested too deeply, or a lone surrogate."""
    stack: list[tuple[str, Any, int]] = [(k, v, 1) for k, v in record.items()]
    for key in record:
        if (at := lone_surrogate(key)) is not None:
            return _surrogate_reason("a field name", key, at)
    while stack:
        name, value, depth = stack.pop()
        if depth > MAX_NESTING:
            return f"JSON nested more than {MAX_NESTING} levels deep (in {name!r})"
        if isinstance(value, str) and (at := lone_surrogate(value)) is not None:
            return _surrogate_reason(repr(name), value, at)
        if isinstance(value, dict):
            for key, item in value.items():
                if (at := lone_surrogate(key)) is not None:
                    return _surrogate_reason(f"a key in {name!r}", key, at)
                stack.append((name, item, depth + 1))
        elif isinstance(value, list):
            stack.extend((name, item, depth + 1) for item in value)
    return None


def _surrogate_reason(where: str, value: str, at: int) -> str:
    code = f"\\u{ord(value[at]):04x}"
    return (f"{shorten(where, 60)} holds a lone UTF-16 surrogate ({code} at character {at}), "
            "which is not valid Unicode; fix the \\u escape")


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
        if not self._skipping:  # keep one space where the source had any: "The <b>x</b> said"
            self.parts.append(_SPACES.sub(" ", data))



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
    return shown("".join(file.suffixes[-2:]) or file.name)
