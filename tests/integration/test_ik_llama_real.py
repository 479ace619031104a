"""The ik_llama runtime with the real packaged GGUF: an answer through Podium's Generator, the
cold load time, and the prompt cache (a second prompt evaluates only what follows the shared
prefix). Needs the extra [ik] (scripts/test.sh installs it)."""

from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path

import pytest

from podium.config import load_settings
from podium.models import build_generator
from podium.qa.evidence import Passage
from podium.qa.generate import LLMGenerator
from tests.conftest import REPO

pytestmark = pytest.mark.integration
pytest.importorskip("ik_llama_cpp", reason="the extra [ik] is not installed")

MODELS_DIR = Path(os.environ.get("PODIUM_MODELS_DIR", REPO / ".podium" / "models"))
PASSAGES = [
    Passage("001_0386686246588c25.txt", "Doorstep statement", "2024-04-03",
            "SECRETARY GENERAL STOLTENBERG", 0, 0,
            "Welcome to NATO Headquarters on Wednesday (3 April 2024), at the start of a two-day "
            "meeting of Foreign Ministers.", 0.8, 0.6),
    Passage("003_a576ca929dbfd933.txt", "Press availability", "2023-07-07",
            "SECRETARY BLINKEN", 0, 0,
            "The President decided to provide cluster munitions to Ukraine as a stopgap while "
            "production of other ammunition ramps up.", 0.7, 0.5),
]


@pytest.fixture(scope="module")
def generator() -> LLMGenerator:
    settings = load_settings(
        overrides={"models_dir": MODELS_DIR, "llm": {"runtime": "ik_llama", "max_tokens": 48}},
        env={}, discover=False).settings
    built = build_generator(settings)
    assert isinstance(built, LLMGenerator)
    assert built.name == "qwen2.5-coder-1.5b-instruct-q4_k_m (local, ik_llama)"
    started = time.perf_counter()
    built.llm.load()  # type: ignore[attr-defined]
    print(f"\nik_llama cold load: {time.perf_counter() - started:.1f} s")
    return built


def test_ik_llama_answers_through_the_generator(generator: LLMGenerator) -> None:
    started = time.perf_counter()
    pieces = generator.stream("On what date did Stoltenberg welcome the ministers?", PASSAGES)
    first = next(pieces)
    first_s = time.perf_counter() - started
    answer = first + "".join(pieces)
    total_s = time.perf_counter() - started
    print(f"\nik_llama first answer: first words {first_s:.1f} s, whole {total_s:.1f} s: "
          f"{answer!r}")
    assert "April" in answer and "[1]" in answer, answer
    assert "<|im_end|>" not in answer and "<|endoftext|>" not in answer


def test_second_prompt_evaluates_only_the_suffix(generator: LLMGenerator,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="podium.providers.ik_llama")
    answers = ["".join(generator.stream(q, PASSAGES)) for q in (
        "What did the President decide to provide to Ukraine?",
        "Which weapons did the President decide to send Ukraine as a stopgap?")]
    counts = [tuple(map(int, m.groups())) for r in caplog.records
              if (m := re.search(r"of (\d+) tokens: (\d+) reused from the cache, (\d+) evaluated",
                                 r.getMessage()))]
    [_, (total, reused, evaluated)] = counts
    print(f"\nsecond prompt: {total} tokens, {reused} reused, {evaluated} evaluated")
    assert reused + evaluated == total
    assert evaluated <= 30 < reused  # the system text and passages came from the cache
    assert "cluster" in answers[1].lower(), answers[1]
