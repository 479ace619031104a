"""The data-dir locks between a chat page and other processes' writes; the warm-up."""

import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from podium.app import build_app
from podium.errors import PodiumError
from podium.prompts import load_prompt
from podium.qa.generate import LLMGenerator
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


def _join_warm_up() -> None:
    for thread in threading.enumerate():
        if thread.name.startswith("podium-warm"):
            thread.join()


def test_warm_up_primes_a_writer_with_a_prompt_cache(tmp_path: Path) -> None:
    calls: list[Any] = []
    llm = SimpleNamespace(load=lambda: calls.append("load"),
                          prime=lambda messages: calls.append(messages))
    app = build_app(fake_settings(tmp_path / "data"))
    app.__dict__["generator"] = generator = LLMGenerator(
        llm, load_prompt("answer"), name="primed", condense_prompt=load_prompt("condense"))
    app.warm_up()
    _join_warm_up()
    assert calls == ["load", generator.messages("", [])]
    assert calls[1][0].content == load_prompt("answer").system
