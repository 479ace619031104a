"""The page's wiring (no browser): how many answers it writes at once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from podium.app import build_app
from podium.ui.page import build_page, upload_cache
from tests.conftest import fake_settings


def test_concurrent_answers_is_the_ask_queues_limit(tmp_path: Path) -> None:
    for setting, limit in (({}, 1), ({"concurrent_answers": 6}, 6)):
        blocks = build_page(build_app(fake_settings(tmp_path / "data", ui=setting)))
        asks = [f for f in blocks.fns.values() if f.name == "ask"]
        assert len(asks) == 2  # the button and Enter in the question box
        assert {(f.concurrency_id, f.concurrency_limit) for f in asks} == {("model", limit)}


def test_uploads_are_cached_in_a_private_folder_removed_when_the_page_stops(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gradio.utils import get_upload_folder

    monkeypatch.delenv("GRADIO_TEMP_DIR", raising=False)
    with upload_cache() as folder:
        assert get_upload_folder() == str(folder)  # where Gradio copies what the page receives
        (folder / "abc" / "notes.txt").parent.mkdir()
        (folder / "abc" / "notes.txt").write_text("uploaded", encoding="utf-8")
    assert not folder.exists() and "GRADIO_TEMP_DIR" not in os.environ
    mine = tmp_path / "mine"
    mine.mkdir()
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(mine))
    with upload_cache() as folder:
        assert folder == mine
    assert mine.exists()  # the user's own choice is left alone
