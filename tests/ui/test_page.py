"""The page's wiring (no browser): how many answers it writes at once."""

from __future__ import annotations

from pathlib import Path

from podium.app import build_app
from podium.ui.page import build_page
from tests.conftest import fake_settings


def test_concurrent_answers_is_the_ask_queues_limit(tmp_path: Path) -> None:
    for setting, limit in (({}, 1), ({"concurrent_answers": 6}, 6)):
        blocks = build_page(build_app(fake_settings(tmp_path / "data", ui=setting)))
        asks = [f for f in blocks.fns.values() if f.name == "ask"]
        assert len(asks) == 2  # the button and Enter in the question box
        assert {(f.concurrency_id, f.concurrency_limit) for f in asks} == {("model", limit)}
