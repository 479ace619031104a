"""Loaders: bad files and records become one-line reasons; what is read is valid Unicode."""

import gzip
import json
import os
import socket
from pathlib import Path

import pytest

from podium.app import Podium
from podium.ingest.loaders import (
    MAX_ID_CHARS,
    MAX_NESTING,
    RawDocument,
    Skipped,
    discover,
    html_to_text,
    load_file,
)

EXTENSIONS = [".txt", ".md", ".html", ".htm", ".jsonl", ".jsonl.gz"]
GOOD = {"id": "good", "text": "SECRETARY BLINKEN:  NATO is strong."}


def _load(file: Path, max_bytes: int = 2**20) -> list[RawDocument | Skipped]:
    return list(load_file(file, file.parent, max_bytes=max_bytes))


def _reasons(items: list[RawDocument | Skipped]) -> dict[str, str]:
    return {s.source.rsplit("/", 1)[-1]: s.reason for s in items if isinstance(s, Skipped)}


def _found(folder: Path) -> tuple[list[str], dict[str, str]]:
    items = list(discover([folder], EXTENSIONS))
    files = [f.relative_to(root).as_posix() for f, root in
             (i for i in items if not isinstance(i, Skipped))]
    return files, _reasons([i for i in items if isinstance(i, Skipped)])


def test_a_deeply_nested_record_is_skipped_and_the_rest_ingested(
        fake_app: Podium, tmp_path: Path) -> None:
    deep = '{"id": "deep", "text": "x", "meta": ' + "[" * 5000 + "]" * 5000 + "}"
    nested = {"id": "nested", "text": "x", "meta": [[[[]]]]}
    for _ in range(MAX_NESTING):
        nested = {"id": "nested", "text": "x", "meta": nested}
    lines = [deep, json.dumps(GOOD), json.dumps(nested)]
    file = tmp_path / "records.jsonl"
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = fake_app.ingest([file], progress=False)
    assert report.added == ["good"]
    reasons = {s.source: s.reason for s in report.skipped}
    assert reasons == {f"{file}:1": f"JSON nested more than {MAX_NESTING} levels deep",
                       f"{file}:3": f"JSON nested more than {MAX_NESTING} levels deep "
                                    "(in 'meta')"}


@pytest.mark.parametrize("record", [
    '{"id": "s1", "text": "bad \\ud800 text"}',
    '{"id": "s\\udc00", "text": "bad id"}',
    '{"id": "s3", "text": "ok", "title": "T\\udfff"}',
    '{"id": "s4", "text": "ok", "extra": {"k\\ud801": 1}}',
    '{"id": "s5", "text": "ok", "extra": [["\\udbff"]]}',
])
def test_a_lone_surrogate_is_skipped_with_a_reason(fake_app: Podium, tmp_path: Path,
                                                   record: str) -> None:
    file = tmp_path / "records.jsonl"
    file.write_text(f"{record}\n{json.dumps(GOOD)}\n", encoding="utf-8")
    report = fake_app.ingest([file], progress=False)
    assert report.added == ["good"]
    (skipped,) = report.skipped
    assert skipped.source == f"{file}:1"
    assert "lone UTF-16 surrogate" in skipped.reason and "\n" not in skipped.reason


def test_a_proper_surrogate_pair_is_an_ordinary_character(tmp_path: Path) -> None:
    file = tmp_path / "records.jsonl"
    file.write_text('{"id": "e", "text": "smile \\ud83d\\ude00"}\n', encoding="utf-8")
    (doc,) = _load(file)
    assert isinstance(doc, RawDocument) and doc.text == "smile \U0001f600"


def test_a_file_name_that_is_not_utf8_gets_a_usable_id(fake_app: Podium, tmp_path: Path
                                                       ) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    raw = os.fsencode(folder) + b"/caf\xe9.txt"
    with open(raw, "w", encoding="utf-8") as fh:
        fh.write("SECRETARY BLINKEN:  Lunch at the caf\u00e9 was discussed.")
    report = fake_app.ingest([folder], progress=False)
    assert report.added == ["caf\\xe9.txt"] and not report.skipped
    doc = fake_app.docstore.get("caf\\xe9.txt")
    assert doc is not None and doc.source.endswith("caf\\xe9.txt")
    (tmp_path / "in" / "notes.pdf").write_bytes(b"%PDF")
    os.rename(raw, os.fsencode(folder) + b"/caf\xe9.pdf")
    again = fake_app.ingest([folder], progress=False)
    assert {s.reason for s in again.skipped} == {"unsupported file type '.pdf'"}
    assert all(s.source.encode("utf-8") for s in again.skipped)


def test_symlinks_outside_the_input_are_skipped(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not for the index", encoding="utf-8")
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.txt").write_text("inside", encoding="utf-8")
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    (folder / "linked-dir").symlink_to(outside)
    (folder / "inside.txt").symlink_to(folder / "sub" / "a.txt")
    (folder / "also-sub").symlink_to(folder / "sub")
    (folder / "loop").symlink_to(folder)
    (folder / "broken.txt").symlink_to(tmp_path / "gone.txt")
    (folder / "dangling.txt").symlink_to(folder / "nothing.txt")
    files, reasons = _found(folder)
    assert files == ["inside.txt", "sub/a.txt"]  # also-sub and loop are aliases inside
    assert reasons == {
        "passwd.txt": "symlink outside the input (to /etc/passwd)",
        "linked-dir": f"symlink outside the input (to {outside})",
        "broken.txt": f"symlink outside the input (to {tmp_path / 'gone.txt'})",
        "dangling.txt": "broken symlink (its target does not exist)",
    }


def test_fifos_sockets_and_unreadable_folders_are_reported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "in"
    (folder / "locked").mkdir(parents=True)
    (folder / "ok.txt").write_text("fine", encoding="utf-8")
    os.mkfifo(folder / "pipe.txt")
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(folder / "sock.txt"))
        real_scandir = os.scandir

        def scandir(path: "os.PathLike[str] | str") -> object:
            if Path(path).name == "locked":
                raise PermissionError(13, "Permission denied")
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", scandir)
        files, reasons = _found(folder)
    finally:
        server.close()
    assert files == ["ok.txt"]
    assert reasons == {"locked": "cannot read folder: Permission denied",
                       "pipe.txt": "not a regular file (a FIFO)",
                       "sock.txt": "not a regular file (a socket)"}
    (given,) = discover([folder / "pipe.txt"], EXTENSIONS)
    assert isinstance(given, Skipped) and given.reason == "not a regular file (a FIFO)"
    # a file swapped for a FIFO after discovery is refused, not read (which would block)
    assert _reasons(_load(folder / "pipe.txt")) == {"pipe.txt": "not a regular file (a FIFO)"}


def test_html_keeps_the_spaces_around_inline_tags() -> None:
    assert html_to_text("<p>The <b>president</b> said</p>") == "The president said"
    assert html_to_text("<p>The<i> new </i>plan</p><p>Next</p>") == "The new plan\n\nNext"
    assert html_to_text("<p>A<br>B</p><div>C</div>") == "A\n\nB\n\nC"
    assert html_to_text("<p>word<b>bold</b></p>") == "wordbold"  # no space was there


def test_json_reasons_are_whole_words(tmp_path: Path) -> None:
    file = tmp_path / "records.jsonl"
    file.write_text('{"id": "a", "text": "unterminated\n{"id": 1}\n{"id": "b", "n": '
                    + "9" * 5000 + "}\n" + json.dumps({"id": "x" * 500, "text": 5}) + "\n",
                    encoding="utf-8")
    reasons = [s.reason for s in _load(file) if isinstance(s, Skipped)]
    assert reasons[0] == "invalid JSON: Unterminated string starting at column 21"
    assert reasons[1] == "record has no string 'id'"
    assert reasons[2] == "invalid JSON: a number with too many digits"
    assert reasons[3].startswith("record 'xxx") and "…" in reasons[3]
    assert reasons[3].endswith("has no string 'text'") and len(reasons[3]) < 100


def test_a_record_id_longer_than_the_limit_is_skipped(tmp_path: Path) -> None:
    file = tmp_path / "records.jsonl"
    file.write_text(json.dumps({"id": "i" * 300_000, "text": "x"}) + "\n"
                    + json.dumps({"id": "i" * MAX_ID_CHARS, "text": "x"}) + "\n",
                    encoding="utf-8")
    too_long, fits = _load(file)
    assert isinstance(too_long, Skipped) and too_long.reason == (
        "record id is 300,000 characters long (at most 1,024); give it a shorter 'id'")
    assert isinstance(fits, RawDocument)


def test_gzip_limits_and_corruption(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.jsonl.gz"
    with gzip.open(bomb, "wb") as fh:
        fh.write((json.dumps(GOOD) + "\n").encode() + b" " * 3_000_000)
    items = _load(bomb, max_bytes=2**20)
    assert isinstance(items[0], RawDocument)
    assert _reasons(items[1:]) == {
        "bomb.jsonl.gz:2": "record too large (ingest.max_file_mb allows less)"}
    many = tmp_path / "many.jsonl.gz"  # a corpus larger than the cap, streamed record by record
    with gzip.open(many, "wb") as fh:
        for i in range(400):
            fh.write((json.dumps({"id": f"r{i}", "text": "word " * 1000}) + "\n").encode())
    assert all(isinstance(item, RawDocument) for item in _load(many, max_bytes=2**20))
    assert len(_load(many, max_bytes=2**20)) == 400
    corrupt = tmp_path / "corrupt.jsonl.gz"
    data = bytearray(gzip.compress((json.dumps(GOOD) + "\n").encode() * 100))
    data[20:40] = b"\xff" * 20
    corrupt.write_bytes(bytes(data))
    reason = _reasons(_load(corrupt))["corrupt.jsonl.gz"]
    assert reason.startswith("cannot read:") and "\n" not in reason
