"""The data-dir locks between a chat page and other processes' writes."""

from pathlib import Path

import pytest

from podium.app import build_app
from podium.errors import PodiumError
from tests.conftest import fake_settings


def test_a_serving_page_refuses_other_writers_but_not_its_own(tmp_path: Path,
                                                              seed_copy: Path) -> None:
    page = build_app(fake_settings(tmp_path / "data"))
    other = build_app(fake_settings(tmp_path / "data"))  # another process, as far as flock goes
    one, rest = sorted(seed_copy.iterdir())[0], sorted(seed_copy.iterdir())[1:]
    page.ingest([one], progress=False)
    with page.serving():
        with pytest.raises(PodiumError, match=r"a chat page \(pid \d+\) is serving") as refused:
            other.ingest(rest, progress=False)
        assert "Library tab" in (refused.value.hint or "")
        with pytest.raises(PodiumError, match="chat page"):
            other.delete(one.name)
        with pytest.raises(PodiumError, match="chat page"):
            other.reindex(progress=False)
        assert page.ingest(rest, progress=False).added == [p.name for p in rest]
    assert len(page.docstore.doc_ids()) == 5
    assert other.ingest([seed_copy], progress=False).unchanged  # the page is gone: allowed


def test_a_page_is_refused_while_another_process_writes(tmp_path: Path) -> None:
    page = build_app(fake_settings(tmp_path / "data"))
    writer = build_app(fake_settings(tmp_path / "data"))
    with writer._ingest_lock(), pytest.raises(PodiumError, match="another Podium process"), \
            page.serving():
        pass
    with page.serving():  # free again
        pass
