"""Shared fixtures: settings and apps wired with the fake models and a real Chroma in tmp_path."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from podium.app import Podium, build_app
from podium.config import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "data" / "transcripts"
SHARED_CORPUS = REPO.parent / "shared" / "corpus"


def fake_settings(data_dir: Path, **sections: Any) -> Settings:
    """Settings with the fake embedder and fake LLM, isolated from the environment."""
    overrides: dict[str, Any] = {
        "data_dir": data_dir, "embedding": {"provider": "fake"}, "llm": {"provider": "fake"},
        # Bag-of-words vectors score differently from MiniLM's; scale the abstention rule.
        "retrieval": {"min_similarity": 0.1, "strong_similarity": 0.7, "rescorer": "none",
                      "reranker": "none"}}
    for name, values in sections.items():
        overrides.setdefault(name, {}).update(values)
    return load_settings(overrides=overrides, env={}, discover=False).settings


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    """A private copy of the seed transcripts that a test may change."""
    target = tmp_path / "corpus"
    shutil.copytree(SEED, target)
    return target


@pytest.fixture
def fake_app(tmp_path: Path) -> Podium:
    """An app with fake models and an empty index in tmp_path."""
    return build_app(fake_settings(tmp_path / "data"))


@pytest.fixture
def seeded(fake_app: Podium, seed_copy: Path) -> Podium:
    """The fake-model app with the seed transcripts ingested."""
    fake_app.ingest([seed_copy], progress=False)
    return fake_app


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real Chroma server (`chroma run`) on a free loopback port, for the whole session."""
    from tests.chromaserver import run_server

    yield from run_server(tmp_path_factory.mktemp("chroma-server"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked slow run only with PODIUM_SLOW=1 (scripts/test.sh --slow)."""
    if os.environ.get("PODIUM_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: run with scripts/test.sh --slow (PODIUM_SLOW=1)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
